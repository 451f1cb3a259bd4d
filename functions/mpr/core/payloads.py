"""The JSON payloads passed between pipeline stages, identical in the cloud and locally.

Payloads carry storage keys and small facts, never media or long lists (Step Functions
caps a payload at 256 KB); the chunk task list lives in the work area for the ItemReader.
"""

from __future__ import annotations

from pydantic import Field

from mpr.core.hls import Segment
from mpr.core.models import Model


class JobRef(Model):
    job_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")


class ProbeRequest(JobRef):
    source: str = Field(description="key in the input storage")


class ProbeResult(JobRef):
    source: str
    media_key: str
    frames_key: str
    has_audio: bool


class PlanRequest(ProbeResult):
    pass


class PlanResult(JobRef):
    source: str
    tasks_key: str = Field(description="work key of the JSON array of ChunkTask (ItemReader)")
    chunk_count: int
    task_count: int
    renditions: list[str] = Field(description="ids of the distinct video encodes")
    has_audio: bool
    stitched: list[str] = Field(
        default_factory=list, description="ids of the encodes an MP4 output needs stitched"
    )


class SegmentedChunk(Model):
    """A chunk's run of segments in one HLS or CMAF rung, as its task wrote and measured
    them."""

    segments: list[Segment] = Field(min_length=1)
    frames: int = Field(description="video packets counted in the segments")
    start: float = Field(description="time of the first frame, read back from the segments")
    codecs: str = Field(description="RFC 6381 codec of the video, e.g. avc1.64001f")
    codec_config: str = Field(
        "", description="hash of the decoder configuration (SPS/PPS) the segments were made with"
    )
    timescale: int = Field(ge=1, description="ticks per second of the segments' track")


class SegmentedAudio(Model):
    """One audio track of an HLS or CMAF preset, as the audio encode segmented and measured
    it, with how players present it."""

    folder: str = Field(description="the rendition's folder in the preset's output")
    segments: list[Segment] = Field(min_length=1)
    start: float = Field(description="time of the first sample, read back from the segments")
    duration: float = Field(description="the track's duration: its segments' as measured")
    timescale: int = Field(ge=1, description="ticks per second of the segments' track")
    sample_rate: int = Field(gt=0)
    channels: int = Field(gt=0)
    language: str | None = Field(None, description="BCP 47 tag")
    name: str = Field(description="unique in the job; what players list")
    default: bool = False


class RenditionChunk(JobRef):
    """One chunk of one rendition, as encoded."""

    rendition: str
    chunk: int
    key: str = Field(description="work key of the chunk's MP4, stored where an MP4 stitches it")
    frames: int
    psnr_db: float = Field(description="mean luma PSNR of the chunk against the scaled source")
    hls: dict[str, SegmentedChunk] = Field(
        default_factory=dict, description="per HLS preset, the chunk's segments of this rung"
    )


class EncodeChunkResult(JobRef):
    chunk: int
    renditions: list[RenditionChunk]


class EncodeAudioRequest(JobRef):
    source: str


class EncodeAudioResult(JobRef):
    key: str | None = Field(description="work key of the encoded audio; None without audio")


class StitchRequest(JobRef):
    rendition: str


class StitchResult(JobRef):
    rendition: str
    key: str


class PackageResult(JobRef):
    outputs_key: str = Field(description="work key of the JSON list of OutputRecord")


class FinalizeResult(JobRef):
    manifest_key: str
    status: str


class FailRequest(JobRef):
    error: str = "Error"
    cause: str = ""


class FailResult(JobRef):
    status: str
    error: str
