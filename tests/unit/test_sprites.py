"""Sprite sheets: which frames become tiles, the sheet layout and the WebVTT that maps
playback times to tiles."""

from __future__ import annotations

import re
from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st

from mpr.core.models import ThumbnailSpec
from mpr.core.sprites import MAX_ROWS_PER_SHEET, frame_buckets, sprite_layout, sprite_vtt

CUE = re.compile(r"^(\d\d):(\d\d):(\d\d)\.(\d{3}) --> (\d\d):(\d\d):(\d\d)\.(\d{3})$")
TARGET = re.compile(r"^(?P<sheet>\S+)#xywh=(?P<x>\d+),(?P<y>\d+),(?P<w>\d+),(?P<h>\d+)$")


def seconds(h: str, m: str, s: str, ms: str) -> float:
    return int(h) * 3600 + int(m) * 60 + int(s) + int(ms) / 1000


def cues(vtt: str) -> list[tuple[float, float, str, int, int, int, int]]:
    """(start, end, sheet, x, y, w, h) of each cue; asserts the WebVTT shape on the way."""
    blocks = vtt.split("\n\n")
    assert blocks[0] == "WEBVTT"
    found = []
    for block in filter(None, blocks[1:]):
        timing, target = block.splitlines()
        times, where = CUE.match(timing), TARGET.match(target)
        assert times is not None, timing
        assert where is not None, target
        found.append(
            (
                seconds(*times.groups()[:4]),
                seconds(*times.groups()[4:]),
                where["sheet"],
                int(where["x"]),
                int(where["y"]),
                int(where["w"]),
                int(where["h"]),
            )
        )
    return found


def test_frame_buckets_of_a_constant_rate_range() -> None:
    # Given 10 s at 25 fps, When tiles are taken every 2 s, Then there are five
    times = [i / 25 for i in range(250)]
    assert frame_buckets(times, 0.0, 10.0, 2.0) == [0, 1, 2, 3, 4]
    # And a trimmed range counts its buckets from its own start
    assert frame_buckets(times, 1.0, 5.0, 2.0) == [0, 1]


def test_frame_buckets_skip_intervals_without_frames() -> None:
    # Given a variable-rate source with no frame between 1 s and 7 s
    times = [0.0, 0.5, 1.0, 7.0, 7.5]
    # Then the empty intervals get no tile
    assert frame_buckets(times, 0.0, 8.0, 2.0) == [0, 3]


def test_frame_on_a_bucket_boundary_with_rounding_error_starts_the_bucket() -> None:
    # Given a frame time that arithmetic put a hair before 2 s
    times = [0.0, 1.9999999, 3.0]
    # Then it belongs to the bucket starting at 2 s, as ffmpeg's select will see it
    assert frame_buckets(times, 0.0, 4.0, 2.0) == [0, 1]


def test_layout_for_thirteen_tiles() -> None:
    # Given 13 tiles of a 1280x720 source with the default spec (160 wide, 10 columns)
    layout = sprite_layout(ThumbnailSpec(), 13, 1280, 720)
    # Then one sheet of 10 columns and 2 rows holds 160x90 tiles
    assert (layout.tiles, layout.columns, layout.rows_per_sheet, layout.sheets) == (13, 10, 2, 1)
    assert (layout.tile_width, layout.tile_height) == (160, 90)


def test_layout_spreads_many_tiles_over_sheets() -> None:
    layout = sprite_layout(ThumbnailSpec(), 250, 640, 272)
    assert (layout.columns, layout.rows_per_sheet, layout.sheets) == (10, MAX_ROWS_PER_SHEET, 3)
    assert layout.tile_height == 68


def test_layout_of_few_tiles_is_one_row() -> None:
    layout = sprite_layout(ThumbnailSpec(), 3, 853, 479)
    assert (layout.tiles, layout.columns, layout.rows_per_sheet, layout.sheets) == (3, 3, 1, 1)
    assert layout.tile_height % 2 == 0
    assert layout.tile_height == 90  # 160 * 479 / 853 = 89.8


def test_layout_has_at_least_one_tile() -> None:
    assert sprite_layout(ThumbnailSpec(), 0, 640, 360).tiles == 1


def test_vtt_cues_point_at_their_tiles() -> None:
    # Given 13 tiles every 2 s over 25 s
    layout = sprite_layout(ThumbnailSpec(), 13, 1280, 720)
    # When the WebVTT is written
    found = cues(sprite_vtt(layout, list(range(13)), 2.0, 25.0, "sprite_{:03d}.jpg"))
    # Then cue i spans [2i, 2i+2) and points at row i // 10, column i % 10
    assert len(found) == 13
    assert found[0] == (0.0, 2.0, "sprite_000.jpg", 0, 0, 160, 90)
    assert found[9] == (18.0, 20.0, "sprite_000.jpg", 1440, 0, 160, 90)
    assert found[12] == (24.0, 25.0, "sprite_000.jpg", 320, 90, 160, 90)


def test_vtt_tile_stands_until_the_next_tile() -> None:
    # Given tiles for buckets 0 and 3 only (no frames in between)
    layout = sprite_layout(ThumbnailSpec(), 2, 640, 360)
    found = cues(sprite_vtt(layout, [0, 3], 2.0, 8.0, "s{}.jpg"))
    # Then the first tile covers 0-6 s and the second 6-8 s
    assert [(start, end) for start, end, *_ in found] == [(0.0, 6.0), (6.0, 8.0)]


def test_vtt_moves_to_the_next_sheet() -> None:
    # Given 250 tiles (100 per sheet)
    layout = sprite_layout(ThumbnailSpec(), 250, 640, 272)
    found = cues(sprite_vtt(layout, list(range(250)), 2.0, 500.0, "sprite_{:03d}.jpg"))
    # Then tile 100 opens the second sheet at its top left corner
    assert found[99][2:5] == ("sprite_000.jpg", 1440, 612)
    assert found[100][2:5] == ("sprite_001.jpg", 0, 0)
    assert found[249][:3] == (498.0, 500.0, "sprite_002.jpg")


def test_vtt_time_stamps_have_hours() -> None:
    layout = sprite_layout(ThumbnailSpec(), 1, 640, 360)
    vtt = sprite_vtt(layout, [1862], 2.0, 3725.5, "s.jpg")
    assert "01:02:04.000 --> 01:02:05.500" in vtt.splitlines()


@given(
    buckets=st.lists(st.integers(0, 2000), min_size=1, max_size=300, unique=True).map(sorted),
    interval=st.sampled_from([0.5, 1.0, 2.0, 5.0, 10.0]),
    columns=st.integers(1, 50),
    width=st.integers(32, 3840),
    height=st.integers(32, 2160),
)
def test_vtt_cues_are_contiguous_and_inside_their_sheets(
    buckets: list[int], interval: float, columns: int, width: int, height: int
) -> None:
    # Given any set of tiles and any layout
    spec = ThumbnailSpec(sprite_interval_seconds=interval, sprite_columns=columns)
    layout = sprite_layout(spec, len(buckets), width, height)
    duration = (buckets[-1] + 1) * interval
    # When the WebVTT is written
    found = cues(sprite_vtt(layout, buckets, interval, duration, "sheet{}.jpg"))
    # Then there is one cue per tile, contiguous in time, ending at the duration
    assert len(found) == len(buckets)
    assert found[0][0] == buckets[0] * interval
    assert found[-1][1] == duration
    for before, after in pairwise(found):
        assert before[1] == after[0]
        assert before[0] < before[1]
    # And every tile lies inside one of the sheets
    sheet_w = layout.columns * layout.tile_width
    sheet_h = layout.rows_per_sheet * layout.tile_height
    for _, _, sheet, x, y, w, h in found:
        assert sheet in {f"sheet{i}.jpg" for i in range(layout.sheets)}
        assert x + w <= sheet_w
        assert y + h <= sheet_h
