"""Thumbnails and sprite sheets taken from the chunk tasks' decodes are the pictures a
decode of the whole selected range gives.

The reference is one plain ffmpeg over the selected range, as the pipeline made them before
the chunk tasks took pictures: the first frame of each interval (counted from the range
start, on the source's ffprobe frame times), scaled to full-range JPEG, the tiles laid out
by ffmpeg's `tile` filter. Same frames, same pixels, so the same bytes.
"""

from __future__ import annotations

import math
import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from mpr.settings import get_settings
from tests.media.test_transcode_cases import selected, transcode
from tests.support.media import facts

pytestmark = pytest.mark.slow

CUE = re.compile(
    r"^(\d\d):(\d\d):(\d\d)\.(\d{3}) --> (\d\d):(\d\d):(\d\d)\.(\d{3})\n(\S+)#xywh=(.*)$"
)
TILE_WIDTH, COLUMNS, SPRITE_EVERY, THUMB_EVERY = 160, 10, 2.0, 10.0


def first_of_each_interval(times: list[float], start: float, every: float) -> list[int]:
    """Indices (into `times`) of the first frame of every interval that holds one."""
    seen: set[int] = set()
    chosen = []
    for i, t in enumerate(times):
        bucket = math.floor((t - start) / every + 1e-6)
        if bucket not in seen:
            seen.add(bucket)
            chosen.append(i)
    return chosen


def reference(
    source: Path, start: float, end: float, frames: list[int], chain: str, quality: int, out: Path
) -> list[Path]:
    """The chosen frames (numbered from the range start) of one decode, through `chain`."""
    out.mkdir()
    pick = "+".join(f"eq(n,{n})" for n in frames)
    subprocess.run(
        [
            get_settings().ffmpeg,
            "-v",
            "error",
            "-ss",
            f"{start:.6f}",
            "-t",
            f"{end - start:.6f}",
            "-i",
            str(source),
            "-vf",
            f"select='{pick}',{chain}",
            "-fps_mode",
            "passthrough",
            "-q:v",
            str(quality),
            "-start_number",
            "0",
            str(out / "%05d.jpg"),
        ],
        check=True,
    )
    return sorted(out.iterdir())


@pytest.mark.parametrize(
    ("clip_name", "trim"), [("cfr", None), ("vfr", None), ("cfr", (1.3, 4.7)), ("rotated", None)]
)
def test_chunk_pictures_are_the_pictures_of_one_decode(
    clip_name: str,
    trim: tuple[float, float] | None,
    clip: Callable[[str], Path],
    tmp_path: Path,
) -> None:
    # Given a source cut into several chunks, with thumbnails every 10 s and tiles every 2 s
    source = clip(clip_name)
    src = facts(source)
    args = ["--preset", "thumbnails", "--workers", "2", "--chunk-seconds", "1"]
    if trim:
        args += ["--trim-start", str(trim[0]), "--trim-end", str(trim[1])]

    # When it is transcoded
    manifest = transcode(source, tmp_path / "out", *args)
    assert isinstance(manifest["chunk_count"], int)
    assert manifest["chunk_count"] >= 2

    # Then the sprite's cues start on each interval that holds a frame, each tile of the
    # sprite's size, and last until the next tile (the last one to the range's end)
    frames = selected(src, trim)
    start = frames[0]
    end = trim[1] if trim else src.frame_times[0] + src.video_duration
    end = min(end, src.frame_times[0] + src.video_duration)
    tiles = first_of_each_interval(frames, start, SPRITE_EVERY)
    width, height = src.width, src.height
    if clip_name == "rotated":
        width, height = height, width
    tile_height = max(2, round(TILE_WIDTH * height / width / 2) * 2)
    vtt = (tmp_path / "out" / "thumbnails" / "sprite" / "sprite.vtt").read_text()
    cues = [CUE.match(block) for block in vtt.strip().split("\n\n")[1:]]
    assert len(cues) == len(tiles)
    buckets = [math.floor((frames[i] - start) / SPRITE_EVERY + 1e-6) for i in tiles]
    for n, (cue, bucket) in enumerate(zip(cues, buckets, strict=True)):
        assert cue is not None
        h, m, s, ms = (int(x) for x in cue.groups()[:4])
        assert h * 3600 + m * 60 + s + ms / 1000 == pytest.approx(bucket * SPRITE_EVERY, abs=1e-3)
        x, y, w, hh = (int(v) for v in cue.group(10).split(","))
        assert (w, hh) == (TILE_WIDTH, tile_height)
        assert (x, y) == ((n % COLUMNS) * TILE_WIDTH, (n // COLUMNS) * tile_height)

    # And the sheets and thumbnails are, byte for byte, those of one decode of the range
    chain = f"scale={TILE_WIDTH}:{tile_height}:flags=bicubic:out_range=full,format=yuvj420p"
    rows = math.ceil(len(tiles) / COLUMNS)
    columns = min(COLUMNS, len(tiles))
    sheets = reference(
        source, start, end, tiles, f"{chain},tile={columns}x{rows}", 4, tmp_path / "sheets"
    )
    made = sorted((tmp_path / "out" / "thumbnails" / "sprite").glob("sprite_*.jpg"))
    assert [p.read_bytes() for p in made] == [p.read_bytes() for p in sheets]
    thumbs = reference(
        source,
        start,
        end,
        first_of_each_interval(frames, start, THUMB_EVERY),
        "scale=640:-2:flags=bicubic:out_range=full,format=yuvj420p",
        3,
        tmp_path / "thumbs",
    )
    made = sorted((tmp_path / "out" / "thumbnails" / "thumbs").glob("thumb_*.jpg"))
    assert [p.read_bytes() for p in made] == [p.read_bytes() for p in thumbs]
