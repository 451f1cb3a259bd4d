"""`mpr transcode` against one plain ffmpeg making the same outputs, same source, same cores.

    .venv/bin/python -m bench.transcode_vs_ffmpeg [--seconds 60] [--height 1080] [--fps 30]
        [--source CLIP] [--loop K] [--presets mp4-1080p] [--cores N] [--workers N]
        [--chunk-seconds S] [--repeat 2] [--profile]

Runs alternate (mpr, single, single, mpr, ...) and the best wall time of each is compared.
Both outputs are then checked against the source: frame counts and PSNR over all frames.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import statistics
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.compare import (
    Bench,
    Timing,
    add_source_arguments,
    alternate_runs,
    cores,
    mpr_command,
    prepare,
    quality,
    timed,
)
from mpr.core.models import ChunkPlan
from mpr.core.planning import plan_chunks
from mpr.media.tools import Tools

TARGET_RATIO = 1.05


def main(argv: Sequence[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    bench = prepare(args)
    cpus = cores(args.cores)
    workers = args.workers or len(cpus)
    plan = plan_chunks(
        bench.index, target_seconds=args.chunk_seconds, min_seconds=2.0, workers=workers
    )
    print(bench.describe())
    print(
        f"cores    {len(cpus)}{' (pinned)' if args.cores else ''}; mpr --workers {workers}"
        f" --chunk-seconds {args.chunk_seconds:g} ({len(plan.chunks)} chunks)"
    )

    work = Path(tempfile.mkdtemp(prefix="mpr-bench-"))
    pinned = cpus if args.cores else None
    try:
        timings = {name: Timing() for name in ("single", "mpr")}
        manifests: list[dict[str, Any]] = []
        runs = alternate_runs(
            bench,
            work,
            repeat=args.repeat,
            workers=workers,
            chunk_seconds=args.chunk_seconds,
            cpus=pinned,
        )
        for run in runs:
            if run.round == 0:
                print(f"{run.name:<8}", shlex.join(run.cmd))
            timing = timings[run.name]
            timing.wall.append(run.wall)
            timing.cpu.append(run.cpu)
            timing.load.append(run.load)
            timing.outputs.append(run.out)
            print(
                f"  {run.name:<6} {run.wall:7.2f} s wall {run.cpu:7.2f} s cpu"
                f"  (load {run.load:.1f})"
            )
            if run.manifest is not None:
                manifests.append(run.manifest)
        _report(bench, plan, timings, manifests)
        if args.profile:
            _profile(
                bench.tools,
                mpr_command(
                    bench.source, bench.presets, work / "profile", workers, args.chunk_seconds
                ),
                work,
                pinned,
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench.transcode_vs_ffmpeg", description=__doc__)
    add_source_arguments(p)
    p.add_argument("--presets", nargs="+", default=["mp4-1080p"], help="mp4, hls and cmaf presets")
    p.add_argument("--cores", type=int, default=None, help="pin both to this many cores [all]")
    p.add_argument("--workers", type=int, default=None, help="mpr --workers [cores]")
    p.add_argument("--chunk-seconds", type=float, default=10.0, help="mpr --chunk-seconds")
    p.add_argument("--repeat", type=int, default=2, help="runs of each, order alternating")
    p.add_argument(
        "--profile",
        action="store_true",
        help="one more mpr run with every ffmpeg/ffprobe timed: CPU seconds by step",
    )
    return p


def _report(
    bench: Bench, plan: ChunkPlan, timings: dict[str, Timing], manifests: list[dict[str, Any]]
) -> None:
    single, chunked = timings["single"], timings["mpr"]
    print()
    print(f"{'':<16}{'single':>10}{'mpr':>10}{'mpr/single':>12}")
    for label, pick in (("best wall s", min), ("median wall s", statistics.median)):
        s, m = pick(single.wall), pick(chunked.wall)
        print(f"{label:<16}{s:>10.2f}{m:>10.2f}{m / s:>12.3f}")
    s, m = min(single.cpu), min(chunked.cpu)
    print(f"{'best cpu s':<16}{s:>10.2f}{m:>10.2f}{m / s:>12.3f}")
    ratio = min(chunked.wall) / min(single.wall)
    verdict = "meets" if ratio <= TARGET_RATIO else "misses"
    print(f"target: mpr <= {TARGET_RATIO}x single wall time -> {ratio:.3f}x, {verdict} it")

    print()
    print(f"source frames {plan.total_frames}; PSNR (dB) of every run, all frames")
    print(f"{'output':<24}{'frames s/m':>12}{'PSNR single':>18}{'PSNR mpr':>18}{'diff':>8}")
    for o in bench.outputs:
        found = {
            name: [
                quality(
                    bench.tools,
                    str(d / o.written_by(name)),
                    str(bench.source),
                    o,
                    plan,
                )
                for d in timing.outputs
            ]
            for name, timing in timings.items()
        }
        frames = "/".join(",".join(sorted({str(f) for f, _ in q})) for q in found.values())
        psnr = {name: [p for _, p in q] for name, q in found.items()}
        spans = [f"{min(v):.3f}-{max(v):.3f}" for v in psnr.values()]
        diff = statistics.mean(psnr["mpr"]) - statistics.mean(psnr["single"])
        name = f"{o.preset.name}/{o.sized.rendition.name}"
        print(f"{name:<24}{frames:>12}{spans[0]:>18}{spans[1]:>18}{diff:>+8.3f}")

    best = manifests[chunked.wall.index(min(chunked.wall))]
    stages: dict[str, float] = best["timings"]
    wall = min(chunked.wall)
    print()
    print(f"mpr stages (best run, {wall:.2f} s wall)")
    for stage, seconds in stages.items():
        print(f"  {stage:<10}{seconds:>8.2f} s {100 * seconds / wall:>5.1f} %")
    rest = wall - sum(stages.values())
    print(f"  {'startup':<10}{rest:>8.2f} s {100 * rest / wall:>5.1f} %  (process, imports, exit)")


TIME = Path("/usr/bin/time")
# A tool run belongs to the first step whose marker its command line contains.
STEPS = (
    ("packet=pts_time", "probe: frame index"),
    ("-show_streams", "probe: streams"),
    ("stream=codec_type", "output facts (QC, HLS)"),
    ("trim=", "chunk encodes"),
    ("-vn", "audio encode"),
    ("concat", "stitch"),
    ("psnr", "QC PSNR"),
    ("-f hls", "HLS packaging"),
)


def _profile(t: Tools, cmd: list[str], work: Path, cpus: Sequence[int] | None) -> None:
    """Run mpr with ffmpeg/ffprobe behind a wrapper that logs each run's CPU and wall time."""
    if not TIME.exists():
        sys.exit(f"--profile needs {TIME} (Debian package 'time')")
    log = work / "tools.log"
    env = dict(os.environ)
    for name, real in (("ffmpeg", t.ffmpeg), ("ffprobe", t.ffprobe)):
        wrapper = work / f"{name}-timed"
        wrapper.write_text(
            f"#!/bin/sh\nexec {TIME} -a -o {shlex.quote(str(log))} -f '%U %S %e %C' "
            f'{shlex.quote(real)} "$@"\n'
        )
        wrapper.chmod(0o755)
        env[f"MPR_{name.upper()}_PATH"] = str(wrapper)
    (work / "profile").mkdir()
    wall, cpu, _ = timed(cmd, env, cpus)
    steps: dict[str, list[float]] = {}
    for line in log.read_text().splitlines():
        user, system, elapsed, command = [*line.split(" ", 3), "", "", ""][:4]
        if not user.replace(".", "").isdigit():
            continue
        step = next((label for key, label in STEPS if key in command), "other")
        row = steps.setdefault(step, [0, 0.0, 0.0])
        row[0] += 1
        row[1] += float(user) + float(system)
        row[2] += float(elapsed)
    print()
    print(f"mpr CPU by step (one more run: {wall:.2f} s wall, {cpu:.2f} s cpu)")
    print(f"  {'step':<28}{'runs':>5}{'cpu s':>9}{'wall s':>9}")
    for step, (runs, step_cpu, step_wall) in sorted(steps.items(), key=lambda kv: -kv[1][1]):
        print(f"  {step:<28}{runs:>5.0f}{step_cpu:>9.2f}{step_wall:>9.2f}")
    tools_cpu = sum(row[1] for row in steps.values())
    print(f"  {'mpr itself (Python)':<28}{'':>5}{cpu - tools_cpu:>9.2f}")


if __name__ == "__main__":
    main()
