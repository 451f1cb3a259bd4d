"""A source whose video timestamps repeat is refused at probe, never half transcoded."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.support.media import ffprobe, make_broken_timestamps


def test_repeated_presentation_times_are_refused_at_probe(tmp_path: Path) -> None:
    # Given a phone-like file whose packets show 1.100000 s twice, then 65 µs apart
    source = make_broken_timestamps(tmp_path / "glitch.mp4")
    packets = ffprobe("-select_streams", "v:0", "-show_entries", "packet=pts_time", str(source))
    times = sorted(float(p["pts_time"]) for p in packets["packets"])  # type: ignore[index]
    assert times.count(1.1) == 2
    assert round(times[times.index(1.1) + 2] - 1.1, 6) == 0.000065

    # When it is transcoded in chunks
    out = tmp_path / "out"
    args = ["--preset", "hls-ladder", "--chunk-seconds", "2", "--workers", "2", "--quiet"]
    done = subprocess.run(
        [sys.executable, "-m", "mpr", "transcode", str(source), "--out", str(out), *args],
        capture_output=True,
        text=True,
        check=False,
    )

    # Then it is refused as invalid input, with the reason, and nothing is written
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().splitlines() == [
        "error: video timestamps are broken: 1 frame(s) repeat the presentation time of "
        "another (first at 1.100000 s); remux the source with corrected timestamps"
    ]
    assert not out.exists() or list(out.iterdir()) == []
