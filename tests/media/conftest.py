"""Synthetic clips made with lavfi by the pinned ffmpeg, one per hard case of the pipeline."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.media import ffmpeg

VIDEO = "testsrc2=s={size}:r={rate}:d={seconds}"
TONE = "sine=f=440:r={sample_rate}:d={seconds}"

# name -> ffmpeg arguments after `-y`; each makes one source with a known difficulty.
RECIPES: dict[str, list[str]] = {
    # constant frame rate, regular 1 s GOPs, B-frames, AAC audio
    "cfr": [
        "-f",
        "lavfi",
        "-i",
        VIDEO.format(size="640x360", rate=30, seconds=6),
        "-f",
        "lavfi",
        "-i",
        TONE.format(sample_rate=48000, seconds=6),
        "-c:v",
        "libx264",
        "-g",
        "30",
        "-bf",
        "3",
        "-pix_fmt",
        "yuv420p",
        "-c:a",
        "aac",
    ],
    # variable frame rate: frames dropped irregularly, timestamps kept
    "vfr": [
        "-f",
        "lavfi",
        "-i",
        VIDEO.format(size="640x360", rate=30, seconds=6),
        "-vf",
        "select='not(mod(n\\,3))+not(mod(n\\,7))'",
        "-fps_mode",
        "vfr",
        "-c:v",
        "libx264",
        "-g",
        "20",
        "-pix_fmt",
        "yuv420p",
    ],
    # B-frame pyramid with open GOPs (leading B-frames reference the previous GOP)
    "open_gop": [
        "-f",
        "lavfi",
        "-i",
        VIDEO.format(size="640x360", rate=25, seconds=6),
        "-f",
        "lavfi",
        "-i",
        TONE.format(sample_rate=44100, seconds=6),
        "-c:v",
        "libx264",
        "-g",
        "25",
        "-bf",
        "3",
        "-x264-params",
        "open-gop=1:b-pyramid=normal",
        "-pix_fmt",
        "yuv420p",
        "-c:a",
        "aac",
    ],
    # the only keyframe is the first frame
    "one_keyframe": [
        "-f",
        "lavfi",
        "-i",
        VIDEO.format(size="640x360", rate=25, seconds=6),
        "-f",
        "lavfi",
        "-i",
        TONE.format(sample_rate=44100, seconds=6),
        "-c:v",
        "libx264",
        "-g",
        "1000",
        "-keyint_min",
        "1000",
        "-sc_threshold",
        "0",
        "-pix_fmt",
        "yuv420p",
        "-c:a",
        "aac",
    ],
    # odd frame size (4:4:4 so that the source itself can be odd)
    "odd_size": [
        "-f",
        "lavfi",
        "-i",
        VIDEO.format(size="321x241", rate=24, seconds=5),
        "-c:v",
        "libx264",
        "-g",
        "24",
        "-pix_fmt",
        "yuv444p",
    ],
    # no audio at all
    "no_audio": [
        "-f",
        "lavfi",
        "-i",
        VIDEO.format(size="480x270", rate=30, seconds=5),
        "-c:v",
        "libx264",
        "-g",
        "30",
        "-pix_fmt",
        "yuv420p",
    ],
    # audio lasts 2 s longer than the video
    "long_audio": [
        "-f",
        "lavfi",
        "-i",
        VIDEO.format(size="640x360", rate=30, seconds=4),
        "-f",
        "lavfi",
        "-i",
        TONE.format(sample_rate=48000, seconds=6),
        "-c:v",
        "libx264",
        "-g",
        "30",
        "-pix_fmt",
        "yuv420p",
        "-c:a",
        "aac",
    ],
    # audio starts 2 s after the video (a late first sample, kept as an edit list)
    "late_audio": [
        "-f",
        "lavfi",
        "-i",
        VIDEO.format(size="640x360", rate=30, seconds=5),
        "-itsoffset",
        "2",
        "-f",
        "lavfi",
        "-i",
        TONE.format(sample_rate=48000, seconds=3),
        "-c:v",
        "libx264",
        "-g",
        "30",
        "-pix_fmt",
        "yuv420p",
        "-c:a",
        "aac",
    ],
    # two audio tracks of different lengths and rates: eng 6 s at 48 kHz, spa 4.5 s at
    # 44.1 kHz, titled and marked as the default
    "two_audio": [
        *("-f", "lavfi", "-i", VIDEO.format(size="854x480", rate=30, seconds=6)),
        *("-f", "lavfi", "-i", TONE.format(sample_rate=48000, seconds=6)),
        *("-f", "lavfi", "-i", "sine=f=660:r=44100:d=4.5"),
        *("-map", "0", "-map", "1", "-map", "2"),
        *("-c:v", "libx264", "-g", "30", "-bf", "3", "-pix_fmt", "yuv420p", "-c:a", "aac"),
        *("-metadata:s:a:0", "language=eng", "-metadata:s:a:1", "language=spa"),
        *("-metadata:s:a:1", "title=Español"),
        *("-disposition:a:0", "0", "-disposition:a:1", "default"),
    ],
    # video starts 2 s after the audio
    "late_video": [
        "-itsoffset",
        "2",
        "-f",
        "lavfi",
        "-i",
        VIDEO.format(size="640x360", rate=30, seconds=3),
        "-f",
        "lavfi",
        "-i",
        TONE.format(sample_rate=48000, seconds=5),
        "-c:v",
        "libx264",
        "-g",
        "30",
        "-pix_fmt",
        "yuv420p",
        "-c:a",
        "aac",
    ],
}


@pytest.fixture(scope="session")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """Make (once per session) the clip of a recipe name; `rotated` adds a 90 degree turn,
    `late_start` shifts every timestamp by 1.4 s, `crowded_times` puts three frames within
    two ticks of each other."""
    folder = tmp_path_factory.mktemp("clips")
    made: dict[str, Path] = {}

    def make(name: str) -> Path:
        if name not in made:
            path = folder / f"{name}.mp4"
            if name == "rotated":
                plain = make("cfr")
                ffmpeg("-display_rotation", "90", "-i", str(plain), "-c", "copy", str(path))
            elif name == "crowded_times":
                # video only: frames 30 and 31 take frame 29's time and the muxer moves
                # each one tick (1/12800 s) on, as in a phone file with a timestamp glitch
                plain = folder / "crowded-plain.mp4"
                ffmpeg(
                    "-i", str(make("cfr")), "-c:v", "libx264", "-bf", "0", "-g", "30",
                    "-pix_fmt", "yuv420p", "-video_track_timescale", "12800", "-an",
                    str(plain),
                )  # fmt: skip
                glitch = "setts=ts='if(eq(N\\,30)+eq(N\\,31)\\,PREV_OUTPTS\\,PTS)'"
                ffmpeg("-i", str(plain), "-c", "copy", "-bsf:v", glitch, str(path))
            elif name == "late_start":
                # the container starts at 1.378 s (audio), the video at 1.4 s
                plain = make("cfr")
                ffmpeg("-i", str(plain), "-c", "copy", "-output_ts_offset", "1.4", str(path))
            else:
                ffmpeg(*RECIPES[name], str(path))
            made[name] = path
        return made[name]

    return make
