"""`mpr estimate` on the two cases the design is judged by, with the assumptions printed.

    .venv/bin/python -m bench.estimate_cases [--lambdas 100] [--arch x86_64|arm64]

1. A 10-minute 1080p30 camera source (bench/sources.py, the 20 s clip looped by stream
   copy), `--preset hls-ladder --preset thumbnails`.
2. bnusunny/serverless-video-transcoder's published case: a 1 h 4K source to a 720p MP4
   (their figure: 119.4 s on 10 GB Lambdas with 120 s segments); here a 10 s 2160p30 camera
   clip looped to an hour, `--preset mp4-720p`.

Each runs the real `mpr estimate` (probe of the file, the cloud plan, the calibrated model)
as a subprocess and prints its table. Making the sources costs a few CPU-minutes the first
time (cached in the bench cache); the estimates themselves take seconds.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from bench.sources import SourceSpec, camera_source, looped

CASES: tuple[tuple[str, SourceSpec, int, tuple[str, ...]], ...] = (
    ("10 min 1080p30, HLS ladder + thumbnails", SourceSpec(seconds=20), 30,
     ("hls-ladder", "thumbnails")),
    ("1 h 4K to 720p MP4 (bnusunny's case)", SourceSpec(seconds=10, height=2160), 360,
     ("mp4-720p",)),
)  # fmt: skip


def main(argv: Sequence[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    for title, spec, loops, presets in CASES:
        source = looped(camera_source(spec), loops)
        print(f"## {title}: {source} ({source.stat().st_size / 1e9:.2f} GB)", flush=True)
        subprocess.run(_estimate_command(source, presets, args), check=True)


def _estimate_command(source: Path, presets: Sequence[str], args: argparse.Namespace) -> list[str]:
    mpr = Path(sys.executable).with_name("mpr")
    return [
        str(mpr),
        "estimate",
        str(source),
        *(f"--preset={p}" for p in presets),
        f"--lambdas={args.lambdas}",
        f"--arch={args.arch}",
    ]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lambdas", type=int, default=100)
    parser.add_argument("--arch", choices=("x86_64", "arm64"), default="x86_64")
    return parser


if __name__ == "__main__":
    main()
