"""Sprite sheet layout and the WebVTT that maps times to sprite tiles."""

from __future__ import annotations

import math

from pydantic import BaseModel, ConfigDict

from mpr.core.models import ThumbnailSpec

MAX_ROWS_PER_SHEET = 10


class SpriteLayout(BaseModel):
    model_config = ConfigDict(frozen=True)

    tiles: int
    columns: int
    rows_per_sheet: int
    tile_width: int
    tile_height: int
    sheets: int


def sprite_layout(spec: ThumbnailSpec, duration: float, width: int, height: int) -> SpriteLayout:
    """How many tiles of what size, and how many sheets, for a range of `duration` seconds."""
    tiles = max(1, math.ceil(duration / spec.sprite_interval_seconds - 1e-9))
    tile_height = max(2, round(spec.sprite_tile_width * height / width / 2) * 2)
    columns = min(spec.sprite_columns, tiles)
    rows = min(MAX_ROWS_PER_SHEET, math.ceil(tiles / columns))
    sheets = math.ceil(tiles / (columns * rows))
    return SpriteLayout(
        tiles=tiles,
        columns=columns,
        rows_per_sheet=rows,
        tile_width=spec.sprite_tile_width,
        tile_height=tile_height,
        sheets=sheets,
    )


def sprite_vtt(layout: SpriteLayout, interval: float, duration: float, sheet_name: str) -> str:
    """WebVTT cues `start --> end` pointing at `sheet#xywh=x,y,w,h` for each tile.

    `sheet_name` is a format string with one integer field, e.g. `sprite_{:03d}.jpg`.
    """
    per_sheet = layout.columns * layout.rows_per_sheet
    lines = ["WEBVTT", ""]
    for i in range(layout.tiles):
        start, end = i * interval, min(duration, (i + 1) * interval)
        sheet, pos = divmod(i, per_sheet)
        row, col = divmod(pos, layout.columns)
        x, y = col * layout.tile_width, row * layout.tile_height
        lines += [
            f"{_stamp(start)} --> {_stamp(end)}",
            f"{sheet_name.format(sheet)}#xywh={x},{y},{layout.tile_width},{layout.tile_height}",
            "",
        ]
    return "\n".join(lines)


def _stamp(seconds: float) -> str:
    millis = round(seconds * 1000)
    h, rest = divmod(millis, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}.{ms:03d}"
