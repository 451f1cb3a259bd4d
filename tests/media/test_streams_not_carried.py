"""Source streams that no output carries are named in the manifest and on stdout."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.cli import mpr_transcode
from tests.support.media import EXTRA_NOT_CARRIED, make_extra_streams, streams


def test_data_streams_are_listed_as_not_carried(tmp_path: Path) -> None:
    # Given a source with a second audio track, subtitles and a timecode track
    source = make_extra_streams(tmp_path / "extra.mp4")
    described = [
        (s["index"], s["codec_type"], s.get("codec_name"), s["tags"])  # type: ignore[index]
        for s in streams(source)
    ]
    assert described == [
        (0, "video", "h264", {"language": "und"}),
        (1, "audio", "aac", {"language": "eng"}),
        (2, "audio", "aac", {"language": "fra"}),
        (3, "subtitle", "mov_text", {"language": "eng"}),
        (4, "data", None, {"language": "eng"}),
    ]
    assert streams(source)[4]["codec_tag_string"] == "tmcd"

    # When it is transcoded
    out = tmp_path / "out"
    done = mpr_transcode(str(source), "--out", str(out))
    assert done.returncode == 0, done.stderr

    # Then the output carries the video and both audio tracks, the subtitles beside it
    output = next(out.glob("*.mp4"))
    assert [(s["codec_type"], s["tags"]) for s in streams(output)] == [  # type: ignore[index]
        ("video", {"language": "und"}),
        ("audio", {"language": "eng"}),
        ("audio", {"language": "fra"}),
    ]
    # and the manifest and stdout name every stream that was left out
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["media"]["not_carried"] == EXTRA_NOT_CARRIED
    assert [line for line in done.stdout.splitlines() if line.startswith("not carried")] == [
        "not carried: stream 4 (data, tmcd, eng)",
    ]
