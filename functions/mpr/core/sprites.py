"""Sprite sheet layout and the WebVTT that maps times to sprite tiles."""

from __future__ import annotations

import math
from collections.abc import Sequence

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


# Bucket boundaries move back by this much, so that a frame time computed as 0.9999999 by
# ffmpeg and 1.0 here falls in the same bucket (frames are at least ~4 ms apart).
BUCKET_EARLY = 0.001


def frame_buckets(times: Sequence[float], start: float, end: float, interval: float) -> list[int]:
    """Indices k of the intervals [k*interval, (k+1)*interval) that hold a frame of the range.

    One picture is taken per bucket, at its first frame (see `picture_frames`).
    """
    return sorted({_bucket(t, start, interval) for t in times if start <= t < end})


def picture_frames(times: Sequence[float], start: float, end: float, interval: float) -> list[int]:
    """Indices of the frames pictured every `interval`: the first frame of each bucket of
    `frame_buckets`, in time order (picture i shows bucket `frame_buckets(...)[i]`)."""
    firsts: dict[int, int] = {}
    for i, t in enumerate(times):
        if start <= t < end:
            firsts.setdefault(_bucket(t, start, interval), i)
    return sorted(firsts.values())


def _bucket(t: float, start: float, interval: float) -> int:
    return math.floor((t - start + BUCKET_EARLY) / interval)


def sprite_layout(spec: ThumbnailSpec, tiles: int, width: int, height: int) -> SpriteLayout:
    """Tile size, columns and sheets for `tiles` pictures of a `width`x`height` source."""
    tiles = max(1, tiles)
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


def sprite_vtt(
    layout: SpriteLayout,
    buckets: Sequence[int],
    interval: float,
    duration: float,
    sheet_name: str,
) -> str:
    """WebVTT cues `start --> end` pointing at `sheet#xywh=x,y,w,h`, one per tile.

    Tile i shows bucket `buckets[i]` and stands until the next tile's bucket begins.
    `sheet_name` is a format string with one integer field, e.g. `sprite_{:03d}.jpg`.
    """
    per_sheet = layout.columns * layout.rows_per_sheet
    lines = ["WEBVTT", ""]
    for i, bucket in enumerate(buckets):
        start = bucket * interval
        end = buckets[i + 1] * interval if i + 1 < len(buckets) else duration
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
