"""Joining encoded chunks into one rendition and muxing the audio tracks."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from mpr.core import ffmpeg_args
from mpr.media.tools import Tools


def stitch(
    tools: Tools,
    chunk_files: Sequence[Path],
    durations: Sequence[float],
    audio: Path | None,
    output: Path,
    tags: Sequence[ffmpeg_args.TrackTags] = (),
) -> None:
    """Concatenate chunk files (all in one folder) with their planned durations, add every
    audio track of `audio`, tagged with `tags`."""
    folder = chunk_files[0].parent
    script = folder / "chunks.ffconcat"
    script.write_text(ffmpeg_args.concat_list([f.name for f in chunk_files], durations))
    args = ffmpeg_args.stitch(
        str(script), str(audio) if audio else None, str(output), ffmpeg_bin=tools.ffmpeg, tags=tags
    )
    tools.run(args, f"stitching {output.name}")
