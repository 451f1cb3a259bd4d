"""How `mpr transcode` and one plain ffmpeg scale with cores, on the same source.

    .venv/bin/python -m bench.scaling [--cores 2 4 8 16] [--source CLIP] [--loop K]
        [--seconds 60] [--presets mp4-1080p] [--chunk-seconds 10] [--repeat 1]

For each core count both run pinned to that many cores (mpr with one worker per core, as
its default), in alternating order. Reported per core count: best wall time of each, the
ratio mpr/single, each one's speed-up over its own time on the fewest cores, and the cores
each kept busy (CPU seconds / wall seconds). Every output's frame count is checked against
the source's.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from bench.compare import Timing, add_source_arguments, alternate_runs, cores, frames_of, prepare
from mpr.core.planning import plan_chunks


def main(argv: Sequence[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    bench = prepare(args)
    counts = sorted(args.cores) if args.cores else _doublings(len(cores(None)))
    print(bench.describe())
    print(
        f"presets  {' '.join(p.name for p in bench.presets)};"
        f" --chunk-seconds {args.chunk_seconds:g}"
    )
    print()
    print(f"{'cores':>5} {'chunks':>6} {'run':<7}{'wall s':>8}{'cpu s':>8}{'busy':>6}")

    work = Path(tempfile.mkdtemp(prefix="mpr-scaling-"))
    rows: dict[int, dict[str, Timing]] = {}
    try:
        for count in counts:
            plan = plan_chunks(
                bench.index, target_seconds=args.chunk_seconds, min_seconds=2.0, workers=count
            )
            timings = rows[count] = {"single": Timing(), "mpr": Timing()}
            runs = alternate_runs(
                bench,
                work / str(count),
                repeat=args.repeat,
                workers=count,
                chunk_seconds=args.chunk_seconds,
                cpus=cores(count),
            )
            for run in runs:
                for o in bench.outputs:
                    frames = frames_of(bench.tools, run.out / o.written_by(run.name))
                    if frames != plan.total_frames:
                        sys.exit(
                            f"{run.name} {o.path}: {frames} frames, source has {plan.total_frames}"
                        )
                shutil.rmtree(run.out)
                timings[run.name].wall.append(run.wall)
                timings[run.name].cpu.append(run.cpu)
                print(
                    f"{count:>5} {len(plan.chunks):>6} {run.name:<7}{run.wall:>8.2f}"
                    f"{run.cpu:>8.2f}{run.cpu / run.wall:>6.1f}",
                    flush=True,
                )
        _summary(rows)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench.scaling", description=__doc__)
    add_source_arguments(p)
    p.add_argument("--cores", type=int, nargs="+", help="core counts [1, 2, 4, ... all]")
    p.add_argument("--presets", nargs="+", default=["mp4-1080p"], help="mp4 and hls presets")
    p.add_argument("--chunk-seconds", type=float, default=10.0, help="mpr --chunk-seconds")
    p.add_argument("--repeat", type=int, default=1, help="runs of each per core count")
    return p


def _doublings(available: int) -> list[int]:
    counts = [1]
    while counts[-1] * 2 <= available:
        counts.append(counts[-1] * 2)
    return counts if counts[-1] == available else [*counts, available]


def _summary(rows: dict[int, dict[str, Timing]]) -> None:
    first = min(rows)
    base = {name: min(timing.wall) for name, timing in rows[first].items()}
    print()
    print(f"best wall time per core count; speed-up against {first} core(s)")
    print(f"{'cores':>5}{'single s':>10}{'mpr s':>9}{'mpr/single':>12}{'single x':>10}{'mpr x':>8}")
    for count, timings in sorted(rows.items()):
        single, chunked = min(timings["single"].wall), min(timings["mpr"].wall)
        print(
            f"{count:>5}{single:>10.2f}{chunked:>9.2f}{chunked / single:>12.3f}"
            f"{base['single'] / single:>10.2f}{base['mpr'] / chunked:>8.2f}"
        )


if __name__ == "__main__":
    main()
