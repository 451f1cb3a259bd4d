"""Encoding one chunk of video, and the audio once for the whole range."""

from __future__ import annotations

import math
import re
from pathlib import Path

from mpr.core import ffmpeg_args
from mpr.core.errors import MediaProcessingError
from mpr.core.models import AudioInfo, ChunkTask
from mpr.core.qc import mean_psnr
from mpr.media.probe import stream_facts
from mpr.media.tools import Tools

_FRAME_PSNR = re.compile(r"PSNR=\s*(inf|[0-9.]+)")


def encode_chunk(tools: Tools, source: str, task: ChunkTask, output: Path, threads: int) -> float:
    """Encode a chunk, check it holds exactly the planned frames; return its mean luma PSNR
    against the scaled source, measured by x264 on every frame."""
    stats = output.with_suffix(".vstats")
    args = ffmpeg_args.chunk_encode(
        source,
        str(output),
        task.chunk,
        task.sized,
        gop=task.gop_frames,
        timescale=task.timescale,
        b_frames=task.b_frames,
        ffmpeg_bin=tools.ffmpeg,
        threads=threads,
        stats_file=str(stats),
    )
    tools.run(args, f"encoding chunk {task.chunk.index} ({task.sized.id})")
    frames = int(str(stream_facts(tools, str(output)).get("video", {}).get("nb_read_packets", 0)))
    if frames != task.chunk.frames:
        raise MediaProcessingError(
            f"chunk {task.chunk.index} ({task.sized.id}) has {frames} frames, "
            f"planned {task.chunk.frames}"
        )
    psnrs = [math.inf if v == "inf" else float(v) for v in _FRAME_PSNR.findall(stats.read_text())]
    if len(psnrs) != frames:
        raise MediaProcessingError(
            f"chunk {task.chunk.index} ({task.sized.id}): PSNR of {len(psnrs)} of {frames} frames"
        )
    return mean_psnr(psnrs)


def encode_audio(
    tools: Tools,
    source: str,
    audio: AudioInfo,
    start: float,
    duration: float,
    bitrate_kbps: int,
    output: Path,
) -> None:
    """AAC for the selected range, encoded once (never per chunk: priming would click)."""
    args = ffmpeg_args.audio_encode(
        source,
        str(output),
        start=start,
        duration=duration,
        sample_rate=audio.sample_rate,
        channels=audio.channels,
        bitrate_kbps=bitrate_kbps,
        ffmpeg_bin=tools.ffmpeg,
    )
    tools.run(args, "encoding audio")
