"""Pydantic models shared by every layer: media facts, presets, plans, manifests and jobs.

Times are seconds on the source's presentation timeline with the container's start time
subtracted, which is the timeline ffmpeg uses after input seeking.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from enum import StrEnum
from itertools import pairwise
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from mpr.core.captions import CaptionError, check_language
from mpr.core.estimate import JobEstimate, X264Preset

# Broken output (wrong frames, corruption) measures 10-20 dB; hard footage at ladder
# bitrates measures 29-32 dB luma, which must still pass.
DEFAULT_MIN_PSNR_DB = 25.0

Name = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._-]{0,62}$")]


def _bcp47(tag: str) -> str:
    try:
        return check_language(tag)
    except CaptionError as exc:
        raise ValueError(str(exc)) from exc


Language = Annotated[str, Field(max_length=64), AfterValidator(_bcp47)]


class Model(BaseModel):
    """Base model: immutable and strict about unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")


# --- media facts -------------------------------------------------------------------------


class VideoInfo(Model):
    codec: str
    width: int = Field(gt=0, description="coded width in pixels")
    height: int = Field(gt=0, description="coded height in pixels")
    display_width: int = Field(gt=0, description="width after applying rotation")
    display_height: int = Field(gt=0, description="height after applying rotation")
    rotation: int = Field(0, description="clockwise display rotation in degrees")
    fps: float = Field(gt=0, description="average frame rate")
    frame_rate: str = Field(description="average frame rate as a ratio, e.g. 30000/1001")
    time_base: str = Field("1/90000", description="stream time base, e.g. 1/12800")
    variable_frame_rate: bool = False
    max_frame_interval: float = Field(0.0, ge=0, description="longest gap between frames")
    frame_count: int = Field(ge=1)
    duration: float = Field(gt=0)
    start_time: float = 0.0
    pix_fmt: str | None = None
    has_b_frames: bool = False
    keyframe_count: int = Field(ge=1)


class AudioInfo(Model):
    """An audio stream of the source, with its tags (language, title) and disposition."""

    codec: str
    sample_rate: int = Field(gt=0)
    channels: int = Field(gt=0)
    duration: float = Field(ge=0)
    start_time: float = 0.0
    index: int = Field(0, ge=0, description="stream index in the source container")
    language: str | None = Field(None, description="language tag as the container states it")
    title: str | None = None
    default: bool = Field(False, description="the source marks it as the default track")


class SourceStream(Model):
    """A stream of the source, named as ffprobe numbers and describes it."""

    index: int = Field(ge=0, description="stream index in the source container")
    type: str = Field(description="audio, video, subtitle, data or attachment")
    codec: str
    language: str | None = None
    title: str | None = None
    default: bool = False
    forced: bool = False


class MediaInfo(Model):
    """What probing a source found, with the audio tracks its job carries (all, or those of
    the job's `audio_languages`); safe to show to users and to store in manifests."""

    format_name: str
    size_bytes: int = Field(ge=0)
    duration: float = Field(gt=0)
    start_time: float = 0.0
    bit_rate: int | None = None
    video: VideoInfo
    audio: AudioInfo | None = Field(None, description="the first audio track the job carries")
    other_audio: list[AudioInfo] = Field(
        default_factory=list, description="the further audio tracks the job carries, in order"
    )
    not_carried: list[SourceStream] = Field(
        default_factory=list,
        description="source streams no output carries: audio tracks the job's languages "
        "leave out, image-based subtitles (PGS, DVB), data, cover art and further video",
    )
    subtitles: list[SourceStream] = Field(
        default_factory=list, description="text subtitle streams, carried as WebVTT captions"
    )

    @property
    def audio_tracks(self) -> list[AudioInfo]:
        """Every audio track the job carries, in the source's order."""
        return [self.audio, *self.other_audio] if self.audio is not None else []


class FrameIndex(Model):
    """Presentation times of every video frame and which of them are keyframes.

    Kept apart from MediaInfo because it grows with the source (stored as a work file).
    """

    times: list[float] = Field(min_length=1, description="frame times, ascending")
    keyframes: list[int] = Field(min_length=1, description="indices into times")
    end: float = Field(description="end of the last frame (its time plus its duration)")
    repeated: list[float] = Field(
        default_factory=list, description="times that more than one frame had (kept once)"
    )
    first_backwards: float | None = Field(
        None,
        description="the first time lower than the time of the frame decoded before it "
        "(normal with B-frames)",
    )

    @model_validator(mode="after")
    def _consistent(self) -> FrameIndex:
        if any(b <= a for a, b in pairwise(self.times)):
            raise ValueError("frame times must be strictly increasing")
        if self.end <= self.times[-1]:
            raise ValueError("end must lie after the last frame time")
        if any(not 0 <= k < len(self.times) for k in self.keyframes):
            raise ValueError("keyframe index out of range")
        return self


# --- presets -----------------------------------------------------------------------------


class VideoRendition(Model):
    """One H.264 video encode. Identical renditions across presets are encoded once."""

    name: Name
    height: int = Field(ge=16, le=4320, description="target height; capped at the source's")
    crf: int = Field(21, ge=0, le=51)
    max_bitrate_kbps: int = Field(ge=50, le=100_000)
    buffer_kbps: int | None = Field(None, ge=50, le=200_000)
    profile: Literal["baseline", "main", "high"] = "high"
    x264_preset: X264Preset = "veryfast"
    audio_bitrate_kbps: int = Field(128, ge=32, le=512)


class AudioEncoding(Model):
    """One audio encode of every carried track. Identical encodings across presets are
    encoded once."""

    codec: Literal["aac", "opus"] = "aac"
    bitrate_kbps: int = Field(128, ge=32, le=512, description="per track")

    @property
    def id(self) -> str:
        return f"{self.codec}-{self.bitrate_kbps}k"


class ThumbnailSpec(Model):
    interval_seconds: float = Field(10.0, gt=0, le=3600)
    width: int = Field(640, ge=32, le=3840)
    sprite_interval_seconds: float = Field(2.0, gt=0, le=600)
    sprite_tile_width: int = Field(160, ge=32, le=640)
    sprite_columns: int = Field(10, ge=1, le=50)


class Preset(Model):
    """A named output: an MP4, an HLS ladder, a CMAF ladder (one set of segments served by
    an HLS master playlist and a DASH manifest), thumbnails with a scrubbing sprite, or
    audio only (an M4A with every carried track)."""

    name: Name
    kind: Literal["mp4", "hls", "cmaf", "thumbnails", "audio"]
    description: str = ""
    renditions: list[VideoRendition] = Field(default_factory=list)
    cap_to_source: bool = Field(
        True,
        description="drop ladder rungs taller than the source (HLS, CMAF) or scale down only",
    )
    segment_seconds: float = Field(4.0, ge=1, le=30)
    thumbnails: ThumbnailSpec | None = None
    audio: AudioEncoding | None = Field(None, description="the encoding of an audio preset")
    audio_only_variant: bool = Field(
        False,
        description="HLS and CMAF: the master playlist also offers the audio alone, as a "
        "variant of its own",
    )

    @model_validator(mode="after")
    def _shape(self) -> Preset:
        if (self.kind == "audio") != (self.audio is not None):
            raise ValueError("an audio preset, and only an audio preset, has audio settings")
        if self.audio_only_variant and not self.segmented:
            raise ValueError("only an hls or cmaf preset has an audio-only variant")
        if self.kind in ("thumbnails", "audio"):
            if self.renditions:
                raise ValueError(f"{self.kind} presets have no video renditions")
        elif not self.renditions:
            raise ValueError(f"a {self.kind} preset needs at least one rendition")
        if self.kind == "mp4" and len(self.renditions) != 1:
            raise ValueError("an mp4 preset has exactly one rendition")
        names = [r.name for r in self.renditions]
        if len(set(names)) != len(names):
            raise ValueError("rendition names must be unique within a preset")
        return self

    @property
    def segmented(self) -> bool:
        """A ladder whose rungs the chunk tasks segment (HLS or CMAF)."""
        return self.kind in ("hls", "cmaf")


# --- jobs --------------------------------------------------------------------------------


class Trim(Model):
    start: float = Field(0.0, ge=0)
    end: float | None = Field(None, gt=0)

    @model_validator(mode="after")
    def _ordered(self) -> Trim:
        if self.end is not None and self.end <= self.start:
            raise ValueError("trim end must be after trim start")
        return self


class CaptionSpec(Model):
    """A caption file (SRT or WebVTT) attached to a job."""

    source: str = Field(min_length=1, description="storage key or path of the caption file")
    language: Language = Field(description="BCP 47 language tag, e.g. en or pt-BR")
    label: str | None = Field(None, max_length=100, description="name shown in players")
    default: bool = False
    forced: bool = Field(False, description="only for dialogue the audio does not make clear")


class JobSpec(Model):
    """What to make of one source."""

    source: str = Field(min_length=1, description="storage key or path of the source")
    presets: list[Preset] = Field(min_length=1)
    trim: Trim | None = None
    chunk_seconds: float = Field(10.0, ge=1, le=600)
    min_chunk_seconds: float = Field(2.0, ge=0.5, le=600)
    gop_seconds: float = Field(2.0, ge=0.5, le=10)
    workers: int = Field(1, ge=1, le=10_000, description="parallelism the plan spreads over")
    min_psnr_db: float = Field(
        DEFAULT_MIN_PSNR_DB, ge=0, le=100, description="QC floor (luma PSNR) of every video output"
    )
    captions: list[CaptionSpec] = Field(default_factory=list, max_length=20)
    audio_languages: list[Language] | None = Field(
        None,
        max_length=20,
        description="BCP 47 tags of the source's audio tracks to carry (e.g. en, es); "
        "None carries every track",
    )


class Chunk(Model):
    """A run of consecutive frames encoded by one worker.

    Frames with times in [select_from, select_to) belong to the chunk; those bounds lie
    half way between frames so that float rounding never moves a frame across a boundary.
    """

    index: int = Field(ge=0)
    first_frame: int = Field(ge=0)
    frames: int = Field(ge=1)
    start: float = Field(description="time of the chunk's first frame")
    end: float = Field(description="time where the next chunk starts")
    seek: float = Field(description="input seek point: just after the keyframe to decode from")
    select_from: float
    select_to: float

    @property
    def duration(self) -> float:
        return self.end - self.start


class ChunkPlan(Model):
    chunks: list[Chunk] = Field(min_length=1)
    start: float
    end: float
    total_frames: int = Field(ge=1)

    @property
    def duration(self) -> float:
        return self.end - self.start


class SizedRendition(Model):
    """A rendition with its output frame size fixed for one source."""

    rendition: VideoRendition
    width: int = Field(ge=2)
    height: int = Field(ge=2)

    @property
    def id(self) -> str:
        """Stable id of the encode: identical settings and size share one encode."""
        settings = self.rendition.model_dump(exclude={"name"})
        digest = hashlib.sha256(
            json.dumps([settings, self.width, self.height], sort_keys=True).encode()
        ).hexdigest()[:8]
        return f"{self.height}p-{digest}"


class SegmentTarget(Model):
    """An HLS or CMAF rung a chunk task segments its encode of `rendition` into."""

    preset: str
    rendition: str = Field(description="id of the SizedRendition")
    name: str = Field(description="the rung's folder in the preset's output")
    segment_seconds: float = Field(gt=0)

    @property
    def key(self) -> str:
        """`preset/rung`: where the rung's files go, unique in the job."""
        return f"{self.preset}/{self.name}"


class PictureTarget(Model):
    """Frames of a chunk that become numbered pictures: thumbnails or sprite tiles."""

    preset: str
    kind: Literal["thumbs", "tiles"]
    width: int = Field(ge=2)
    height: int = Field(description="-2: keep the aspect ratio, even")
    frames: list[int] = Field(min_length=1, description="offsets into the chunk's frames")
    first_number: int = Field(ge=0, description="the number of the first picture in the job")


class ChunkTask(Model):
    """One item of the fan-out (the ItemReader's rows): a chunk encoded to every video
    rendition of the job, decoded once for all of them; the same decode makes the chunk's
    pictures, and each HLS rung is segmented from the chunk's encode."""

    job_id: str
    source: str
    chunk: Chunk
    renditions: list[SizedRendition] = Field(
        description="none when the job only takes pictures (its chunks are only decoded)"
    )
    gop_frames: int = Field(ge=1)
    timescale: int = Field(ge=1)
    b_frames: bool = True
    source_start: float | None = Field(
        default=None,
        description="the source's start time if its container header describes every "
        "stream (ffmpeg_args.header_start): the encode then skips ffmpeg's stream analysis",
    )
    offset: float = Field(0.0, description="the chunk's start on the output timeline")
    stitched: list[str] | None = Field(
        default=None, description="ids of the renditions an MP4 output stitches (None: all)"
    )
    segments: list[SegmentTarget] = Field(default_factory=list)
    pictures: list[PictureTarget] = Field(default_factory=list)

    @property
    def pixels(self) -> int:
        """Pixels the task encodes: its share of the work."""
        return self.chunk.frames * sum(s.width * s.height for s in self.renditions)


class QCCheck(Model):
    name: str
    passed: bool
    expected: int | float | str | None = None
    actual: int | float | str | None = None
    detail: str = ""


class QCResult(Model):
    passed: bool
    checks: list[QCCheck]


class OutputRecord(Model):
    preset: str
    kind: Literal["mp4", "hls", "cmaf", "thumbnails", "sprite", "captions", "audio"]
    path: str = Field(
        description="relative to the output root; a CMAF ladder's is its DASH manifest, "
        "with its HLS master playlist `master.m3u8` beside it"
    )
    rendition: str | None = None
    width: int | None = None
    height: int | None = None
    duration: float | None = None
    frames: int | None = None
    bandwidth: int | None = None
    encoder_args: list[str] = Field(default_factory=list)
    files: list[str] = Field(default_factory=list, description="every file of the output")
    qc: QCResult | None = None
    language: str | None = Field(None, description="BCP 47 tag of a captions or audio output")
    label: str | None = None
    default: bool = Field(False, description="the track players select by default")
    forced: bool = Field(False, description="captions only for what the audio does not make clear")


class Manifest(Model):
    job_id: str
    source: str
    media: MediaInfo
    trim: Trim | None = None
    chunk_count: int
    outputs: list[OutputRecord]
    timings: dict[str, float] = Field(description="seconds spent per stage")
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    estimate: JobEstimate | None = Field(
        None, description="the cost model's prediction on Lambda, beside the measured timings"
    )


class JobStatus(StrEnum):
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"


class JobRecord(Model):
    """The state of a job as a job store keeps it."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    job_id: str
    status: JobStatus = JobStatus.QUEUED
    stage: str = "queued"
    spec: JobSpec
    chunks_total: int = 0
    chunks_done: int = 0
    error: str | None = None
    error_cause: str | None = None
    manifest_key: str | None = None
    callback_url: str | None = None
    metadata: dict[str, str] = Field(default_factory=dict)
    idempotency_key: str | None = None
    owner: str | None = None
    timings: dict[str, float] = Field(default_factory=dict)
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    updated_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    request_hash: str | None = Field(
        None, description="SHA-256 of the request that made the job (idempotency checks)"
    )

    @property
    def progress(self) -> float:
        """Percent done, counted per finished chunk encode; 100 only once SUCCEEDED."""
        if self.status is JobStatus.SUCCEEDED:
            return 100.0
        if self.chunks_total == 0:
            return 0.0
        return round(min(99.0, 100.0 * self.chunks_done / self.chunks_total), 1)
