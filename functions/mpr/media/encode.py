"""Encoding one chunk of video, and every audio track once for the whole range."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from mpr.core import ffmpeg_args
from mpr.core.errors import MediaProcessingError
from mpr.core.models import AudioEncoding, ChunkTask, PictureTarget, SizedRendition
from mpr.core.qc import mean_psnr, vstats_psnrs
from mpr.media.tools import Tools


def encode_chunk(
    tools: Tools,
    source: str,
    task: ChunkTask,
    folder: Path,
    threads: int,
    decode_threads: int = 0,
    pictures: Sequence[tuple[PictureTarget, str]] = (),
) -> dict[str, tuple[Path, float]]:
    """Encode a chunk to each of its renditions in `folder` and check that each holds exactly
    the planned frames. Per rendition id: the file and its mean luma PSNR against the scaled
    source, measured by x264 on every frame it wrote (`-vstats_file` has a line per frame,
    so it also counts them). `threads` and `decode_threads` are each encoder's and the
    decoder's thread counts (0: by the cores).

    One rendition is one ffmpeg. With several, the ffmpeg that decodes the chunk encodes
    the largest rendition and pipes scaled raw frames to an encoding ffmpeg for each other
    one, so the chunk is decoded once for the whole ladder and the largest frames never
    go through a pipe. The decoding ffmpeg also writes `pictures` (see
    `ffmpeg_args.chunk_encode`).
    """
    what = f"encoding chunk {task.chunk.index}"
    if not task.renditions:
        args = ffmpeg_args.chunk_pictures(
            source, task.chunk, pictures, tools.ffmpeg, decode_threads, task.source_start
        )
        tools.run(args, f"decoding chunk {task.chunk.index} for its pictures")
        return {}
    files = {s.id: (folder / f"{s.id}.mp4", folder / f"{s.id}.vstats") for s in task.renditions}
    top = max(task.renditions, key=lambda s: s.width * s.height)
    others = [s for s in task.renditions if s is not top]

    def chunk_encode(piped: Sequence[tuple[SizedRendition, str]]) -> list[str]:
        return ffmpeg_args.chunk_encode(
            source,
            str(files[top.id][0]),
            task.chunk,
            top,
            gop=task.gop_frames,
            timescale=task.timescale,
            b_frames=task.b_frames,
            ffmpeg_bin=tools.ffmpeg,
            threads=threads,
            stats_file=str(files[top.id][1]),
            decode_threads=decode_threads,
            piped=piped,
            source_start=task.source_start,
            pictures=pictures,
        )

    if not others:
        tools.run(chunk_encode(()), what)
    else:
        encoders = [
            ffmpeg_args.frames_encode(
                str(files[s.id][0]),
                task.chunk,
                s,
                gop=task.gop_frames,
                timescale=task.timescale,
                b_frames=task.b_frames,
                ffmpeg_bin=tools.ffmpeg,
                threads=threads,
                stats_file=str(files[s.id][1]),
            )
            for s in others
        ]
        tools.run_fanout(
            lambda pipes: chunk_encode(list(zip(others, pipes, strict=True))), encoders, what
        )
    encoded: dict[str, tuple[Path, float]] = {}
    for rendition, (output, stats) in files.items():
        written = stats.read_text() if stats.exists() else ""  # ffmpeg opens it at frame 1
        frames = vstats_psnrs(written)
        if len(frames) != task.chunk.frames:
            raise MediaProcessingError(
                f"chunk {task.chunk.index} ({rendition}) has {len(frames)} frames, "
                f"planned {task.chunk.frames}"
            )
        encoded[rendition] = (output, mean_psnr(frames))
    return encoded


def encode_audio(
    tools: Tools,
    source: str,
    tracks: Sequence[ffmpeg_args.AudioTrackEncode],
    encoding: AudioEncoding,
    start: float,
    duration: float,
    output: Path,
    source_start: float | None = None,
) -> None:
    """Every track of the selected range in one MP4, encoded once (never per chunk: priming
    would click), the source read once for them all. `source_start`: see
    `ffmpeg_args.header_start`."""
    args = ffmpeg_args.audio_encode(
        source,
        str(output),
        start=start,
        duration=duration,
        tracks=tracks,
        codec=encoding.codec,
        bitrate_kbps=encoding.bitrate_kbps,
        ffmpeg_bin=tools.ffmpeg,
        source_start=source_start,
    )
    tools.run(args, f"encoding audio ({encoding.id})")
