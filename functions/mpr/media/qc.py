"""Measuring outputs for quality control: frame counts, durations, A/V start, PSNR, and
each audio track's start, duration and samples."""

from __future__ import annotations

import math
import re

from mpr.core import ffmpeg_args
from mpr.core.errors import MediaProcessingError
from mpr.core.ffmpeg_args import input_options
from mpr.core.models import ChunkPlan, SizedRendition
from mpr.core.qc import AudioMeasurement, Measurement
from mpr.media.probe import stream_facts
from mpr.media.tools import Tools

_AVERAGE = re.compile(r"PSNR .*average:(inf|[0-9.]+)")
PSNR_SAMPLES = 60


def measure(tools: Tools, path: str) -> Measurement:
    """Frame count, duration and stream starts of an MP4 file or an HLS media playlist
    (whose segments have no index that states their frames: its packets are counted)."""
    counted = path.endswith(".m3u8")
    facts = stream_facts(tools, path, count_packets=counted)
    video, audio = facts.get("video"), facts.get("audio")
    if video is None:
        raise MediaProcessingError(f"output {path} has no video stream")
    duration = _number(video.get("duration")) or _number(facts["format"].get("duration"))
    return Measurement(
        frames=int(str(video.get("nb_read_packets" if counted else "nb_frames") or 0)),
        duration=duration,
        has_audio=audio is not None,
        video_start=_number(video.get("start_time")),
        audio_start=_number(audio.get("start_time")) if audio is not None else None,
    )


def measure_audio(tools: Tools, path: str, *, count_samples: bool) -> list[AudioMeasurement]:
    """Start and duration of every audio track of an MP4 file, read from its index; with
    `count_samples`, the samples each track decodes to, counted frame by frame."""
    probe = ["-protocol_whitelist", input_options(path)["protocol_whitelist"], "-select_streams"]
    info = tools.probe_json(
        [*probe, "a", "-show_entries", "stream=index,start_time,duration", path],
        "ffprobe audio tracks",
    )
    streams = info.get("streams") or []
    samples: dict[int, int] = {int(s["index"]): 0 for s in streams}
    if count_samples:
        frames = tools.probe_json(
            [*probe, "a", "-show_entries", "frame=stream_index,nb_samples", path],
            "ffprobe audio samples",
        )
        for frame in frames.get("frames") or []:
            samples[int(frame["stream_index"])] += int(frame.get("nb_samples") or 0)
    return [
        AudioMeasurement(
            start=_number(s.get("start_time")),
            duration=_number(s.get("duration")),
            samples=samples[int(s["index"])] if count_samples else None,
        )
        for s in streams
    ]


def psnr(
    tools: Tools,
    output: str,
    source: str,
    sized: SizedRendition,
    plan: ChunkPlan,
    samples: int = PSNR_SAMPLES,
) -> float:
    """Mean PSNR (dB, luma and chroma) of about `samples` frames of the output vs the source."""
    step = max(1, plan.total_frames // samples)
    first, last = plan.chunks[0], plan.chunks[-1]
    args = ffmpeg_args.psnr(
        output, source, sized, first.select_from, last.select_to, step, ffmpeg_bin=tools.ffmpeg
    )
    found = _AVERAGE.findall(tools.run(args, "measuring PSNR"))
    if not found:
        raise MediaProcessingError(f"PSNR of {output} could not be measured")
    return math.inf if found[-1] == "inf" else float(found[-1])


def _number(value: object) -> float:
    try:
        return float(str(value))
    except ValueError:
        return 0.0
