"""Encoding one chunk of video, and the audio once for the whole range."""

from __future__ import annotations

from pathlib import Path

from mpr.core import ffmpeg_args
from mpr.core.errors import MediaProcessingError
from mpr.core.models import AudioInfo, ChunkTask
from mpr.core.qc import mean_psnr, vstats_psnrs
from mpr.media.tools import Tools


def encode_chunk(
    tools: Tools,
    source: str,
    task: ChunkTask,
    folder: Path,
    threads: int,
    decode_threads: int = 0,
) -> dict[str, tuple[Path, float]]:
    """Encode a chunk to each of its renditions in `folder` and check that each holds exactly
    the planned frames. Per rendition id: the file and its mean luma PSNR against the scaled
    source, measured by x264 on every frame it wrote (`-vstats_file` has a line per frame,
    so it also counts them). `threads` and `decode_threads` are each encoder's and the
    decoder's thread counts (0: by the cores)."""
    outputs = [(folder / f"{sized.id}.mp4", sized) for sized in task.renditions]
    stats = folder / "chunk.vstats"
    args = ffmpeg_args.chunk_encode(
        source,
        [(str(path), sized) for path, sized in outputs],
        task.chunk,
        gop=task.gop_frames,
        timescale=task.timescale,
        b_frames=task.b_frames,
        ffmpeg_bin=tools.ffmpeg,
        threads=threads,
        stats_file=str(stats),
        decode_threads=decode_threads,
    )
    tools.run(args, f"encoding chunk {task.chunk.index}")
    psnrs = vstats_psnrs(stats.read_text())
    encoded: dict[str, tuple[Path, float]] = {}
    for i, (path, sized) in enumerate(outputs):
        frames = psnrs.get(i, [])
        if len(frames) != task.chunk.frames:
            raise MediaProcessingError(
                f"chunk {task.chunk.index} ({sized.id}) has {len(frames)} frames, "
                f"planned {task.chunk.frames}"
            )
        encoded[sized.id] = (path, mean_psnr(frames))
    return encoded


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
