"""Measuring outputs for quality control: frame counts, durations, A/V start, PSNR."""

from __future__ import annotations

import math
import re

from mpr.core import ffmpeg_args
from mpr.core.errors import MediaProcessingError
from mpr.core.models import ChunkPlan, SizedRendition
from mpr.core.qc import Measurement
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
