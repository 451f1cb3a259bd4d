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
import json
import shutil
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.compare import (
    Timing,
    add_source_arguments,
    cores,
    describe,
    frames_of,
    mpr_command,
    orders,
    outputs_of,
    presets_for_single,
    single_command,
    source_from,
    timed,
)
from bench.sources import tools
from mpr.core.planning import plan_chunks
from mpr.media import probe as media_probe


def main(argv: Sequence[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    source, made = source_from(args)
    t = tools()
    media, index = media_probe.probe(t, str(source))
    presets = presets_for_single(args.presets)
    outputs = outputs_of(presets, media)
    counts = sorted(args.cores) if args.cores else _doublings(len(cores(None)))
    print(describe(source, media, len(index.times), made))
    print(f"presets  {' '.join(p.name for p in presets)}; --chunk-seconds {args.chunk_seconds:g}")
    print()
    print(f"{'cores':>5} {'chunks':>6} {'run':<7}{'wall s':>8}{'cpu s':>8}{'busy':>6}")

    work = Path(tempfile.mkdtemp(prefix="mpr-scaling-"))
    rows: dict[int, dict[str, Timing]] = {}
    try:
        for count in counts:
            cpus = cores(count)
            plan = plan_chunks(
                index, target_seconds=args.chunk_seconds, min_seconds=2.0, workers=count
            )
            timings = rows[count] = {"single": Timing(), "mpr": Timing()}
            manifest: dict[str, Any] = {}
            for i, order in enumerate(orders(args.repeat)):
                for name in order:
                    out = work / f"{count}-{name}-{i}"
                    out.mkdir(parents=True)
                    if name == "mpr":
                        cmd = mpr_command(source, presets, out, count, args.chunk_seconds)
                    else:
                        cmd = single_command(t, source, outputs, manifest, out)
                    wall, cpu, _ = timed(cmd, cpus=cpus)
                    if name == "mpr":
                        manifest = json.loads((out / "manifest.json").read_text())
                    for o in outputs:
                        frames = frames_of(t, out / o.path)
                        if frames != plan.total_frames:
                            sys.exit(
                                f"{name} {o.path}: {frames} frames, source has {plan.total_frames}"
                            )
                    timings[name].wall.append(wall)
                    timings[name].cpu.append(cpu)
                    print(
                        f"{count:>5} {len(plan.chunks):>6} {name:<7}{wall:>8.2f}{cpu:>8.2f}"
                        f"{cpu / wall:>6.1f}",
                        flush=True,
                    )
                    shutil.rmtree(out)
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
