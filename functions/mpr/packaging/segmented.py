"""HLS and CMAF ladders (fMP4): each chunk task segments its encode of every rung;
packaging a rung is writing its playlist over the chunks' segments and publishing them with
one init segment. Each carried audio track is a rendition of one group that every variant
plays (`_audio-0`, `_audio-1`, ...; in DASH an AdaptationSet each), segmented by the audio
encode, which runs beside the chunk tasks; `audio_tracks` lists them (language, name,
default, segments). An audio-only variant can join the ladder.

A chunk starts on a keyframe at its own place on the output timeline, and every fragment
states its decode time, so the chunks' segments join with no discontinuity; the QC reads
back where each chunk's segments start and checks every join.

A CMAF ladder is the same segments and playlists with a static DASH manifest beside the
master playlist (`core.dash`), both written from the same segment records, so packaging
stays a manifest-writing step that does not grow with the source. The segments are CMAF
fragments as DASH players need them: one track per file (a video init per rung, one audio
init), each segment `styp` + `sidx` + `moof` (with `tfdt`, base offsets from the `moof`) +
`mdat`, starting on a keyframe; the video timescale represents every source timestamp, the
audio's is its sample rate. The video init's edit list takes away the B-frame delay so
presentation starts at 0 (the `sidx` times); ffmpeg's `cmaf` movflag would drop it and start
the video late by that delay, so it is not used.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import TypeAdapter

from mpr.core import dash, hls, keys
from mpr.core.audio import TrackExpectation, expectations, labels
from mpr.core.models import (
    AudioEncoding,
    ChunkTask,
    MediaInfo,
    OutputRecord,
    Preset,
    QCResult,
    SegmentTarget,
    SizedRendition,
)
from mpr.core.payloads import SegmentedAudio, SegmentedChunk
from mpr.core.presets import renditions_for
from mpr.core.qc import (
    AudioMeasurement,
    Measurement,
    audio_checks,
    chunk_joins,
    judge,
    one_codec_config,
)
from mpr.media import hls as media_hls
from mpr.media.tools import Tools
from mpr.packaging.job import PackagingJob
from mpr.ports import Storage

INIT = "init.mp4"
PLAYLIST = "index.m3u8"
MASTER = "master.m3u8"
MPD = "manifest.mpd"
AUDIO_FOLDER = "_audio"  # never a rung's name: those start with a letter or a digit
AUDIO_CODEC = "mp4a.40.2"
AUDIO_TRACKS = TypeAdapter(list[SegmentedAudio])


def segment_chunk(
    tools: Tools,
    work: Storage,
    task: ChunkTask,
    target: SegmentTarget,
    encoded: Path,
    folder: Path,
) -> SegmentedChunk:
    """Segment a chunk's encode of one rung into the work area; measure what was written.

    The playlist's durations are exact: the last packet lasts to the chunk's planned end,
    and the last segment's duration is what the chunk leaves after the others; in ticks of
    the track's timescale (`dash.in_ticks`) they add up to the chunk's planned duration.
    """
    chunk = task.chunk
    written = media_hls.segment(
        tools,
        encoded,
        folder,
        f"seg_{chunk.index:05d}",
        target.segment_seconds,
        offset=task.offset,
        last_packet=chunk.frames - 1,
        end_ticks=round(chunk.duration * task.timescale),
    )
    rest = chunk.duration - sum(s.duration for s in written[:-1])
    start, video = media_hls.stream_start(tools, folder, "video")
    timescale = media_hls.timescale(video)
    segments = dash.in_ticks(
        [*written[:-1], written[-1].model_copy(update={"duration": rest})],
        timescale,
        round(chunk.duration * timescale),
    )
    uploads = [s.uri for s in segments] + ([INIT] if chunk.index == 0 else [])
    for name in uploads:
        key = keys.segment(task.job_id, target.preset, target.name, name)
        work.put_file(key, folder / name, "video/mp4" if name == INIT else "video/iso.segment")
    return SegmentedChunk(
        segments=segments,
        frames=int(str(video.get("nb_read_packets") or 0)),
        start=start,
        codecs=hls.avc1_codec(str(video.get("profile", "High")), int(str(video.get("level", 40)))),
        codec_config=str(video.get("extradata_hash", "")),
        timescale=timescale,
    )


def segment_audio(
    tools: Tools,
    work: Storage,
    job_id: str,
    preset: Preset,
    audio: Path,
    media: MediaInfo,
    tmp: Path,
) -> list[SegmentedAudio]:
    """Segment each track of the job's encoded audio (an MP4 with every carried track) for
    one HLS or CMAF preset into the work area, beside the chunk tasks; each track is a
    rendition of its own, with its own duration."""
    made = []
    for n, label in enumerate(labels(media.audio_tracks)):
        name = f"{AUDIO_FOLDER}-{n}"
        folder = tmp / "hls" / preset.name / name
        written = media_hls.segment(
            tools, audio, folder, "seg", preset.segment_seconds, from_zero=True, stream=f"a:{n}"
        )
        start, stream = media_hls.stream_start(tools, folder, "audio")
        timescale = media_hls.timescale(stream)
        segments = dash.in_ticks(written, timescale)
        for uri in [INIT, *(s.uri for s in segments)]:
            key = keys.segment(job_id, preset.name, name, uri)
            work.put_file(key, folder / uri, "audio/mp4" if uri == INIT else "video/iso.segment")
        made.append(
            SegmentedAudio(
                folder=name,
                segments=segments,
                start=start,
                duration=sum(s.duration for s in segments),
                timescale=timescale,
                sample_rate=int(str(stream.get("sample_rate"))),
                channels=int(str(stream.get("channels"))),
                language=label.language,
                name=label.name,
                default=label.default,
            )
        )
    work.put_bytes(_audio_key(job_id, preset), AUDIO_TRACKS.dump_json(made), "application/json")
    return made


def audio_tracks(job: PackagingJob, preset: Preset) -> list[SegmentedAudio]:
    """The audio renditions `segment_audio` made for a preset (language, name, default and
    segments of each, in order); none where the job has no audio."""
    key = _audio_key(job.job_id, preset)
    return AUDIO_TRACKS.validate_json(job.work.get_bytes(key)) if job.work.exists(key) else []


def _audio_key(job_id: str, preset: Preset) -> str:
    return keys.segment(job_id, preset.name, AUDIO_FOLDER, "segments.json")


class _Audio:
    """One audio rendition of an HLS or CMAF preset, published with its playlist and
    checked, as each manifest lists it."""

    def __init__(
        self, job: PackagingJob, preset: Preset, made: SegmentedAudio, expected: TrackExpectation
    ) -> None:
        folder = f"{preset.name}/{made.folder}"
        playlist = f"{folder}/{PLAYLIST}"
        job.put_text(playlist, hls.media_playlist(made.segments, INIT))
        files = [
            playlist,
            *job.publish(
                (keys.segment(job.job_id, preset.name, made.folder, uri), f"{folder}/{uri}")
                for uri in [INIT, *(s.uri for s in made.segments)]
            ),
        ]
        self.start = made.start
        self.peak, self.average = hls.bandwidths([(s.duration, s.size) for s in made.segments])
        self.rendition = hls.AudioRendition(
            uri=f"{made.folder}/{PLAYLIST}",
            name=made.name,
            language=made.language,
            default=made.default,
        )
        self.dash = dash.AudioRendition(
            id=made.folder,
            track=dash.Track(folder=made.folder, timescale=made.timescale, segments=made.segments),
            bandwidth=max(1, self.peak),
            codecs=AUDIO_CODEC,
            sample_rate=made.sample_rate,
            channels=made.channels,
            name=made.name,
            language=made.language,
            default=made.default,
        )
        checks = audio_checks(
            [expected], [AudioMeasurement(start=made.start, duration=made.duration)]
        )[1:]  # the one track: its start and duration
        self.record = OutputRecord(
            preset=preset.name,
            kind="audio",
            path=playlist,
            rendition=made.folder,
            duration=made.duration,
            bandwidth=self.peak,
            files=files,
            qc=QCResult(passed=all(c.passed for c in checks), checks=checks),
            language=made.language,
            label=made.name,
            default=made.default,
        )


@dataclass(frozen=True)
class _Rung:
    """A packaged rung: its output record and how each manifest lists it."""

    record: OutputRecord
    variant: hls.Variant
    representation: dash.VideoRepresentation


def package(
    job: PackagingJob, preset: Preset, subtitles: Sequence[hls.SubtitleRendition] = ()
) -> list[OutputRecord]:
    """The master playlist (offering every audio track and `subtitles`), each audio
    rendition and every rung's playlist and segments, each checked against the source; for
    a CMAF ladder, the DASH manifest of the same segments beside the master playlist."""
    expected = expectations(job.media, job.plan, AudioEncoding(codec="aac"))
    audio = [
        _Audio(job, preset, made, want)
        for made, want in zip(audio_tracks(job, preset), expected, strict=True)
    ]
    rungs = [_rung(job, preset, sized, audio) for sized in renditions_for(preset, job.media)]
    records = [r.record for r in rungs]
    variants = [r.variant for r in rungs]
    if preset.audio_only_variant and audio:
        played = next(a for a in audio if a.rendition.default)
        variants.append(
            hls.Variant(
                uri=played.rendition.uri,
                bandwidth=played.peak,
                average_bandwidth=played.average,
                codecs=AUDIO_CODEC,
            )
        )
    master = f"{preset.name}/{MASTER}"
    job.put_text(master, hls.master_playlist(variants, [a.rendition for a in audio], subtitles))
    manifests = [master]
    if preset.kind == "cmaf":  # the output's path: the DASH manifest, the master beside it
        manifests.append(f"{preset.name}/{MPD}")
        job.put_text(
            manifests[-1],
            dash.manifest(
                job.plan.duration,
                [r.representation for r in rungs],
                [a.dash for a in audio],
                subtitles,
            ),
        )
    checked = [*records, *(a.record for a in audio)]
    combined = QCResult(
        passed=all(r.qc is not None and r.qc.passed for r in checked),
        checks=[
            c.model_copy(update={"name": f"{r.rendition}.{c.name}"})
            for r in checked
            if r.qc is not None
            for c in r.qc.checks
        ],
    )
    top = OutputRecord(
        preset=preset.name,
        kind=_kind(preset),
        path=manifests[-1],
        duration=records[0].duration,
        frames=records[0].frames,
        files=[
            *manifests,
            *(f for a in audio for f in a.record.files),
            *(f for r in records for f in r.files),
        ],
        qc=combined,
    )
    return [top, *records, *(a.record for a in audio)]


def _kind(preset: Preset) -> Literal["hls", "cmaf"]:
    return "cmaf" if preset.kind == "cmaf" else "hls"


def _rung(
    job: PackagingJob, preset: Preset, sized: SizedRendition, audio: Sequence[_Audio]
) -> _Rung:
    parts = [r.hls[preset.name] for r in job.chunk_results(sized)]
    segments = [s for p in parts for s in p.segments]
    name = sized.rendition.name
    folder = f"{preset.name}/{name}"
    files = job.publish(
        (keys.segment(job.job_id, preset.name, name, uri), f"{folder}/{uri}")
        for uri in [INIT, *(s.uri for s in segments)]
    )
    playlist = f"{folder}/{PLAYLIST}"
    job.put_text(playlist, hls.media_playlist(segments, INIT))
    duration = sum(s.duration for s in segments)
    played = next((a for a in audio if a.rendition.default), None)
    measured = Measurement(
        frames=sum(p.frames for p in parts),
        duration=duration,
        has_audio=played is not None,
        video_start=parts[0].start,
        audio_start=played.start if played else None,
        psnr_db=job.psnr(sized),
    )
    judged = judge(job.expect, measured)
    extra = [
        chunk_joins([p.start for p in parts], [sum(s.duration for s in p.segments) for p in parts]),
        one_codec_config([p.codec_config for p in parts]),
    ]
    qc = QCResult(
        passed=judged.passed and all(c.passed for c in extra), checks=[*judged.checks, *extra]
    )
    video_peak, video_average = hls.bandwidths([(s.duration, s.size) for s in segments])
    peak, average = video_peak, video_average
    if audio:  # the variant plays any one of the audio renditions
        peak += max(a.peak for a in audio)
        average += max(a.average for a in audio)
    frame_rate = job.plan.total_frames / job.plan.duration
    variant = hls.Variant(
        uri=f"{name}/{PLAYLIST}",
        bandwidth=peak,
        average_bandwidth=average,
        width=sized.width,
        height=sized.height,
        codecs=",".join([parts[0].codecs, *([AUDIO_CODEC] if audio else [])]),
        frame_rate=frame_rate,
    )
    representation = dash.VideoRepresentation(
        id=name,
        track=dash.Track(folder=name, timescale=parts[0].timescale, segments=segments),
        bandwidth=max(1, video_peak),
        width=sized.width,
        height=sized.height,
        codecs=parts[0].codecs,
        frame_rate=frame_rate,
    )
    record = job.video_record(
        preset,
        _kind(preset),
        playlist,
        sized,
        qc,
        [playlist, *files],
        frames=measured.frames,
        duration=duration,
        bandwidth=peak,
    )
    return _Rung(record, variant, representation)
