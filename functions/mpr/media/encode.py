"""Encoding one chunk of video, and the audio once for the whole range."""

from __future__ import annotations

from pathlib import Path

from mpr.core import ffmpeg_args
from mpr.core.errors import MediaProcessingError
from mpr.core.models import AudioInfo, ChunkTask
from mpr.core.qc import mean_psnr, vstats_psnrs
from mpr.media.tools import Tools


def encode_chunk(
    tools: Tools, source: str, task: ChunkTask, output: Path, threads: int, decode_threads: int = 0
) -> float:
    """Encode a chunk, check it holds exactly the planned frames; return its mean luma PSNR
    against the scaled source, measured by x264 on every frame it wrote (`-vstats_file`
    has a line per frame, so it also counts them). `threads` and `decode_threads` are the
    encoder's and decoder's thread counts (0: by the cores)."""
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
        decode_threads=decode_threads,
    )
    tools.run(args, f"encoding chunk {task.chunk.index} ({task.sized.id})")
    psnrs = vstats_psnrs(stats.read_text()).get(0, [])
    if len(psnrs) != task.chunk.frames:
        raise MediaProcessingError(
            f"chunk {task.chunk.index} ({task.sized.id}) has {len(psnrs)} frames, "
            f"planned {task.chunk.frames}"
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
