"""Bad input to `mpr transcode`: exit 2, one `error:` line, nothing written outside --out."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.cli import mpr_transcode
from tests.support.media import ffmpeg


def run(
    tmp_path: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return mpr_transcode(*args, cwd=tmp_path, env=env)


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


PLAYLIST = b"#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\nfile:///etc/passwd\n#EXT-X-ENDLIST\n"
CONCAT = b"ffconcat version 1.0\nfile '/etc/passwd'\n"


@pytest.mark.parametrize(
    ("make_source", "extra", "message"),
    [
        (lambda d, c: d / "missing.mp4", [], "does not exist"),
        (lambda d, c: write(d / "empty.mp4", b""), [], "empty (0 bytes)"),
        (
            lambda d, c: write(d / "text.mp4", b"hello, not a video\n" * 50),
            [],
            "not a readable media file",
        ),
        (
            lambda d, c: write(d / "cut.mp4", c.read_bytes()[:20000]),
            [],
            "not a readable media file",
        ),
        (lambda d, c: write(d / "list.m3u8", PLAYLIST), [], "playlist or reference file"),
        (lambda d, c: write(d / "hidden.mp4", PLAYLIST), [], "playlist or reference file"),
        (lambda d, c: write(d / "concat.txt", CONCAT), [], "playlist or reference file"),
        (lambda d, c: c, ["--preset", "mp4-4k"], "unknown preset 'mp4-4k'"),
        (lambda d, c: c, ["--trim-start", "4", "--trim-end", "2"], "trim end must be after"),
        (lambda d, c: c, ["--trim-start", "-1"], "trim start"),
        (lambda d, c: c, ["--trim-start", "50"], "at or after the end of the video"),
    ],
    ids=[
        "missing",
        "empty",
        "text",
        "truncated",
        "m3u8",
        "disguised-m3u8",
        "concat-list",
        "unknown-preset",
        "trim-reversed",
        "trim-negative",
        "trim-past-end",
    ],
)
def test_bad_input_exits_2_with_one_error_line(
    make_source: Callable[[Path, Path], Path],
    extra: list[str],
    message: str,
    tmp_path: Path,
    bikes_clip: Path,
) -> None:
    # Given a bad source or option, and a work folder that must stay as it is
    inputs = tmp_path / "in"
    inputs.mkdir()
    source = make_source(inputs, bikes_clip)
    before = sorted(p.name for p in inputs.iterdir())
    out = tmp_path / "out"

    # When transcoding it
    done = run(tmp_path, str(source), "--out", str(out), *extra)

    # Then: exit 2, exactly one line on stderr starting with `error:` that says what is wrong
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("error: ")
    assert message in lines[0]
    # and nothing was written anywhere but --out (which holds no leftovers)
    assert sorted(p.name for p in inputs.iterdir()) == before
    assert sorted(p.name for p in tmp_path.iterdir()) in (["in"], ["in", "out"])
    assert not out.exists() or list(out.iterdir()) == []


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("MPR_MAX_WIDTH", "320", "error: frame size 640x272 exceeds the limit 320x"),
        ("MPR_MAX_INPUT_BYTES", "1000", "error: source is 509868 bytes; the limit is 1000 bytes"),
        ("MPR_MAX_DURATION_SECONDS", "5", "error: source lasts 10.0 s; the limit is 5 s"),
    ],
)
def test_caps_from_settings_reject_the_source(
    variable: str, value: str, message: str, tmp_path: Path, bikes_clip: Path
) -> None:
    # Given a cap below the 10 s, 640x272, 509,868-byte source
    done = run(tmp_path, str(bikes_clip), "--out", str(tmp_path / "o"), env={variable: value})
    # Then the job fails with the limit named, and no output is left
    assert done.returncode == 2
    assert done.stderr.startswith(message), done.stderr
    assert not (tmp_path / "o" / "manifest.json").exists()


@pytest.mark.slow
def test_failed_quality_control_fails_the_job(tmp_path: Path, bikes_clip: Path) -> None:
    # Given a PSNR floor no H.264 encode reaches
    done = run(
        tmp_path, str(bikes_clip), "--out", str(tmp_path / "o"), env={"MPR_QC_MIN_PSNR_DB": "99"}
    )
    # Then the job fails naming the check, and leaves neither outputs without a manifest
    # nor work files
    assert done.returncode == 1
    assert done.stderr.startswith("error: quality control failed: mp4-720p.mp4: psnr expected 99")
    assert list((tmp_path / "o").iterdir()) == []


def test_audio_only_source_has_no_video_stream(tmp_path: Path, tools: object) -> None:
    # Given an audio-only file
    from mpr.settings import get_settings

    audio = tmp_path / "tone.m4a"
    subprocess.run(
        [
            get_settings().ffmpeg,
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            "sine=d=2",
            "-c:a",
            "aac",
            str(audio),
        ],
        check=True,
    )
    # When transcoding it, Then it is refused for having no video
    done = run(tmp_path, str(audio), "--out", str(tmp_path / "o"))
    assert done.returncode == 2
    assert "no video stream" in done.stderr


def test_an_image_sequence_pattern_is_refused_without_reading_its_frames(tmp_path: Path) -> None:
    # Given a JPEG named as an image sequence pattern, beside the frames the pattern names
    inputs = tmp_path / "in"
    inputs.mkdir()
    ffmpeg("-f", "lavfi", "-i", "testsrc2=s=64x48:r=1:d=3", str(inputs / "clip%d.jpg"))
    source = inputs / "clip%d.jpg"
    shutil.copy(inputs / "clip1.jpg", source)
    frames = [inputs / f"clip{n}.jpg" for n in (1, 2, 3)]
    # whose access times lie before their modification: any read of them moves it (relatime)
    for frame in frames:
        os.utime(frame, (frame.stat().st_mtime - 3 * 86400, frame.stat().st_mtime))
    read_before = [frame.stat().st_atime for frame in frames]
    frames[2].read_bytes()
    assert frames[2].stat().st_atime > read_before[2], "reads do not update access times here"
    read_before[2] = frames[2].stat().st_atime

    # When transcoding it
    done = run(tmp_path, str(source), "--out", str(tmp_path / "out"))

    # Then none of the frames it names was opened, and it is refused as unreadable
    assert [frame.stat().st_atime for frame in frames] == read_before
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("error: source is not a readable media file"), done.stderr
