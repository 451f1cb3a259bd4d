"""Poster frames and scrubbing sprites (with their WebVTT): an upload's preview straight
from the source, and a job's sprite sheets from the tiles its chunk tasks wrote."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from mpr.core import ffmpeg_args
from mpr.core.models import ThumbnailSpec
from mpr.core.sprites import SpriteLayout, sprite_layout, sprite_vtt
from mpr.media.tools import Tools

SHEET_NAME = "sprite_{:03d}.jpg"


def make_tile_sheets(
    tools: Tools, tiles: Sequence[Path], out_dir: Path, layout: SpriteLayout
) -> list[Path]:
    """Sprite sheets (`SHEET_NAME`) from raw tile files in order, all in one folder."""
    out_dir.mkdir(parents=True, exist_ok=True)
    script = tiles[0].parent / "tiles.ffconcat"
    script.write_text(ffmpeg_args.concat_list([t.name for t in tiles]))
    args = ffmpeg_args.tile_sheets(
        str(script),
        str(out_dir / "sprite_%03d.jpg"),
        layout.columns,
        layout.rows_per_sheet,
        ffmpeg_bin=tools.ffmpeg,
    )
    tools.run(args, "making the sprite sheets")
    return sorted(out_dir.glob("sprite_*.jpg"))


def make_sprite(
    tools: Tools,
    source: str,
    out_dir: Path,
    spec: ThumbnailSpec,
    duration: float,
    *,
    width: int,
    height: int,
    buckets: Sequence[int],
    start: float = 0.0,
) -> tuple[list[Path], Path]:
    """Sprite sheets and `sprite.vtt` of a source, a `width`x`height` picture; returns both.

    `buckets` are the sprite intervals that hold frames (core.sprites.frame_buckets).
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    layout = sprite_layout(spec, len(buckets), width, height)
    args = ffmpeg_args.sprite_sheets(
        source,
        str(out_dir / "sprite_%03d.jpg"),
        spec,
        tile_height=layout.tile_height,
        columns=layout.columns,
        rows=layout.rows_per_sheet,
        start=start,
        duration=duration,
        ffmpeg_bin=tools.ffmpeg,
    )
    tools.run(args, "making the sprite")
    vtt = out_dir / "sprite.vtt"
    vtt.write_text(sprite_vtt(layout, buckets, spec.sprite_interval_seconds, duration, SHEET_NAME))
    return sorted(out_dir.glob("sprite_*.jpg")), vtt


def make_poster(tools: Tools, source: str, out_path: Path, at_seconds: float, width: int) -> None:
    """One JPEG frame at `at_seconds`, `width` pixels wide."""
    out_path.parent.mkdir(parents=True, exist_ok=True)
    args = ffmpeg_args.poster(source, str(out_path), at_seconds, width, ffmpeg_bin=tools.ffmpeg)
    tools.run(args, "making the poster frame")
