"""A source whose video timestamps are broken is refused at probe, never half transcoded."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.cli import mpr_transcode
from tests.support.media import ffprobe, make_backward_timestamps, make_broken_timestamps


def decode_order_pts(path: Path) -> list[float]:
    packets = ffprobe("-select_streams", "v:0", "-show_entries", "packet=pts_time", str(path))
    return [float(p["pts_time"]) for p in packets["packets"]]  # type: ignore[index]


def repeated_then_65_us(source: Path) -> str:
    # packets show 1.100000 s twice, then 65 µs apart
    times = sorted(decode_order_pts(source))
    assert times.count(1.1) == 2
    assert round(times[times.index(1.1) + 2] - 1.1, 6) == 0.000065
    return "1 frame(s) repeat the presentation time of another (first at 1.100000 s)"


def backwards_without_b_frames(source: Path) -> str:
    # no B-frames, and the frame decoded after 1.133 s shows at 1.101 s
    video = ffprobe("-select_streams", "v:0", "-show_entries", "stream=has_b_frames", str(source))
    assert video["streams"] == [{"has_b_frames": 0}]
    pts = decode_order_pts(source)
    assert pts[pts.index(1.133) + 1] == 1.101
    return "presentation times go backwards in a stream without B-frames (first at 1.101000 s)"


@pytest.mark.parametrize(
    ("make", "describe"),
    [
        (lambda d: make_broken_timestamps(d / "glitch.mp4"), repeated_then_65_us),
        (lambda d: make_backward_timestamps(d / "swapped.mkv"), backwards_without_b_frames),
    ],
    ids=["repeated", "backwards"],
)
def test_broken_presentation_times_are_refused_at_probe(
    make: Callable[[Path], Path], describe: Callable[[Path], str], tmp_path: Path
) -> None:
    # Given a source whose timestamps are broken as a phone's glitch breaks them
    source = make(tmp_path)
    reason = describe(source)

    # When it is transcoded in chunks
    out = tmp_path / "out"
    args = ["--preset", "hls-ladder", "--chunk-seconds", "2", "--workers", "2"]
    done = mpr_transcode(str(source), "--out", str(out), *args)

    # Then it is refused as invalid input, with the reason, and nothing is written
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().splitlines() == [
        f"error: video timestamps are broken: {reason}; remux the source with corrected timestamps"
    ]
    assert not out.exists() or list(out.iterdir()) == []
