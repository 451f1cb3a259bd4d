"""CPU-seconds of an H.264 encode per output pixel-second, for each x264 preset.

The cloud plan sizes chunks so that every chunk's encode fits the encode function's timeout
(`mpr.core.encode_budget`); its rates come from this command. Each run decodes the synthetic
camera source (`sources.py`), scales it and encodes it with the pinned ffmpeg's libx264,
and counts the CPU time of the ffmpeg process (`getrusage(RUSAGE_CHILDREN)`).

    .venv/bin/python -m bench.encode_cost [--seconds 4] [--height 720]
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import typing

from bench.sources import SourceSpec, camera_source, tools
from mpr.core.models import VideoRendition

PRESETS = typing.get_args(VideoRendition.model_fields["x264_preset"].annotation)


def cpu_seconds(command: list[str]) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(command, check=True, capture_output=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--height", type=int, default=720)
    args = parser.parse_args()
    spec = SourceSpec(seconds=20, height=1080, fps=30)
    source = camera_source(spec)
    width = round(args.height * 16 / 9 / 2) * 2
    pixel_seconds = width * args.height * spec.fps * args.seconds
    ffmpeg = tools().ffmpeg
    print(f"source {source.name}, {args.seconds:g} s to {width}x{args.height}")
    print("| preset | CPU-s | CPU-s per output pixel-second |")
    print("|---|---|---|")
    for preset in PRESETS:
        command = [
            ffmpeg, "-hide_banner", "-nostdin", "-t", str(args.seconds), "-i", str(source),
            "-an", "-vf", f"scale={width}:{args.height}", "-c:v", "libx264",
            "-preset", preset, "-crf", "21", "-f", "null", "-",
        ]  # fmt: skip
        cpu = cpu_seconds(command)
        print(f"| {preset} | {cpu:.2f} | {cpu / pixel_seconds:.3e} |")


if __name__ == "__main__":
    main()
