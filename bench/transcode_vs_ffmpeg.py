"""`mpr transcode` against one plain ffmpeg making the same outputs, same source, same cores.

    .venv/bin/python -m bench.transcode_vs_ffmpeg [--seconds 60] [--height 1080] [--fps 30]
        [--presets mp4-1080p] [--workers N] [--chunk-seconds S] [--repeat 2]

Runs alternate (mpr, single, single, mpr, ...) and the best wall time of each is compared.
Both outputs are then checked against the source: frame counts and PSNR over all frames.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.sources import SourceSpec, camera_source, tools
from mpr.core import ffmpeg_args
from mpr.core.models import ChunkPlan, MediaInfo, Preset, SizedRendition
from mpr.core.planning import plan_chunks
from mpr.core.presets import renditions_for, resolve_presets
from mpr.media import probe as media_probe
from mpr.media import qc as media_qc
from mpr.media.tools import Tools

AUDIO_KBPS = 128
TARGET_RATIO = 1.05


@dataclass(frozen=True)
class Output:
    """One video output both runs make, at the path `mpr transcode` writes it."""

    preset: Preset
    sized: SizedRendition
    path: str


@dataclass
class Timing:
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    load: list[float] = field(default_factory=list)
    outputs: list[Path] = field(default_factory=list)


def main(argv: Sequence[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    spec = SourceSpec(seconds=args.seconds, height=args.height, fps=args.fps)
    started = time.perf_counter()
    source = camera_source(spec)
    made = time.perf_counter() - started
    t = tools()
    media, index = media_probe.probe(t, str(source))
    presets = resolve_presets(args.presets)
    if any(p.kind == "thumbnails" for p in presets):
        sys.exit("thumbnails presets have no single-ffmpeg equivalent here; pick mp4/hls ones")
    outputs = [o for p in presets for o in _outputs(p, media)]
    workers = args.workers or len(os.sched_getaffinity(0))
    plan = plan_chunks(index, target_seconds=args.chunk_seconds, min_seconds=2.0, workers=workers)

    print(
        f"source   {source} ({spec.width}x{spec.height} {spec.fps} fps, {spec.seconds:g} s,"
        f" {len(index.times)} frames, {media.size_bytes * 8 / media.duration / 1e6:.1f} Mb/s"
        f"{f', made in {made:.0f} s' if made > 1 else ', cached'})"
    )
    print(
        f"cores    {len(os.sched_getaffinity(0))}; mpr --workers {workers}"
        f" --chunk-seconds {args.chunk_seconds:g} ({len(plan.chunks)} chunks)"
    )

    work = Path(tempfile.mkdtemp(prefix="mpr-bench-"))
    try:
        timings = {name: Timing() for name in ("single", "mpr")}
        manifests: list[dict[str, Any]] = []
        for i, order in enumerate(_orders(args.repeat)):
            for name in order:
                out = work / f"{name}-{i}"
                out.mkdir(parents=True)
                if name == "mpr":
                    cmd = _mpr_command(source, presets, out, workers, args.chunk_seconds)
                else:
                    cmd = _single_command(t, source, outputs, manifests[0], out)
                if i == 0:
                    print(f"{name:<8}", shlex.join(cmd))
                wall, cpu, load = _timed(cmd)
                timings[name].wall.append(wall)
                timings[name].cpu.append(cpu)
                timings[name].load.append(load)
                timings[name].outputs.append(out)
                print(f"  {name:<6} {wall:7.2f} s wall {cpu:7.2f} s cpu  (load {load:.1f})")
                if name == "mpr":
                    manifests.append(json.loads((out / "manifest.json").read_text()))
        _report(t, source, plan, outputs, timings, manifests)
        if args.profile:
            _profile(
                t,
                _mpr_command(source, presets, work / "profile", workers, args.chunk_seconds),
                work,
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench.transcode_vs_ffmpeg", description=__doc__)
    p.add_argument("--seconds", type=float, default=60.0, help="source length")
    p.add_argument("--height", type=int, default=1080, help="source height (16:9)")
    p.add_argument("--fps", type=int, default=30, help="source frame rate")
    p.add_argument("--presets", nargs="+", default=["mp4-1080p"], help="mp4 and hls presets")
    p.add_argument("--workers", type=int, default=None, help="mpr --workers [cores]")
    p.add_argument("--chunk-seconds", type=float, default=10.0, help="mpr --chunk-seconds")
    p.add_argument("--repeat", type=int, default=2, help="runs of each, order alternating")
    p.add_argument(
        "--profile",
        action="store_true",
        help="one more mpr run with every ffmpeg/ffprobe timed: CPU seconds by step",
    )
    return p


def _outputs(preset: Preset, media: MediaInfo) -> list[Output]:
    sized = renditions_for(preset, media)
    if preset.kind == "mp4":
        return [Output(preset, sized[0], f"{preset.name}.mp4")]
    return [Output(preset, s, f"{preset.name}/{s.rendition.name}/index.m3u8") for s in sized]


def _single_command(
    t: Tools, source: Path, outputs: list[Output], manifest: dict[str, Any], out: Path
) -> list[str]:
    """One ffmpeg process with the encoder_args mpr recorded for each output: each MP4 as its
    own output, each HLS ladder as one fMP4 HLS output with a split filter, one encode a rung."""
    recorded = {str(r["path"]): list(r["encoder_args"]) for r in manifest["outputs"]}
    cmd = [t.ffmpeg, *ffmpeg_args.GLOBAL, "-i", str(source)]
    ladders: dict[str, list[tuple[Output, list[str]]]] = {}
    for o in outputs:
        encoder = recorded[o.path]
        if o.preset.kind == "hls":
            ladders.setdefault(o.preset.name, []).append((o, encoder))
            continue
        cmd += ["-map", "0:v:0", "-map", "0:a:0?", *encoder]
        cmd += [
            "-c:a",
            "aac",
            "-b:a",
            f"{AUDIO_KBPS}k",
            "-movflags",
            "+faststart",
            str(out / o.path),
        ]
    for name, rungs in ladders.items():
        cmd += _hls_output(name, rungs, out / name)
    return cmd


def _hls_output(name: str, rungs: list[tuple[Output, list[str]]], folder: Path) -> list[str]:
    labels = [f"{name}_{i}" for i in range(len(rungs))]
    chains = [f"[{x}]{encoder[1]}[{x}v]" for x, (_, encoder) in zip(labels, rungs, strict=True)]
    graph = f"[0:v:0]split={len(rungs)}{''.join(f'[{x}]' for x in labels)};" + ";".join(chains)
    cmd = ["-filter_complex", graph]
    for i, (label, (_, encoder)) in enumerate(zip(labels, rungs, strict=True)):
        cmd += ["-map", f"[{label}v]", "-map", "0:a:0"]
        options = encoder[2:]
        for key, value in zip(options[::2], options[1::2], strict=True):
            cmd += [f"{key.removesuffix(':v')}:v:{i}", value]
    streams = " ".join(
        f"v:{i},a:{i},name:{o.sized.rendition.name}" for i, (o, _) in enumerate(rungs)
    )
    folder.mkdir(parents=True, exist_ok=True)
    return [
        *cmd,
        *("-c:a", "aac", "-b:a", f"{AUDIO_KBPS}k"),
        *("-f", "hls", "-hls_time", f"{rungs[0][0].preset.segment_seconds:g}"),
        *("-hls_playlist_type", "vod", "-hls_segment_type", "fmp4"),
        *("-hls_flags", "independent_segments", "-hls_fmp4_init_filename", "init.mp4"),
        *("-hls_segment_filename", str(folder / "%v" / "seg_%05d.m4s")),
        *("-master_pl_name", "master.m3u8", "-var_stream_map", streams),
        str(folder / "%v" / "index.m3u8"),
    ]


def _mpr_command(
    source: Path, presets: list[Preset], out: Path, workers: int, chunk_seconds: float
) -> list[str]:
    mpr = str(Path(sys.executable).with_name("mpr"))
    cmd = [mpr, "transcode", str(source), "--out", str(out), "--quiet"]
    for p in presets:
        cmd += ["--preset", p.name]
    return [*cmd, "--workers", str(workers), "--chunk-seconds", f"{chunk_seconds:g}"]


def _orders(repeat: int) -> list[tuple[str, str]]:
    """mpr first (its manifest gives the single run its arguments), then single first, and so
    on: neither always runs on a warmer or quieter machine."""
    return [("mpr", "single") if i % 2 == 0 else ("single", "mpr") for i in range(repeat)]


def _timed(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds of the process tree, and the 1-minute load before it ran."""
    load = os.getloadavg()[0]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, check=False, env=env)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        sys.exit(f"{shlex.join(cmd)}\nfailed ({done.returncode}): {done.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, load


def _report(
    t: Tools,
    source: Path,
    plan: ChunkPlan,
    outputs: list[Output],
    timings: dict[str, Timing],
    manifests: list[dict[str, Any]],
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
    for o in outputs:
        found = {
            name: [_quality(t, str(d / o.path), str(source), o, plan) for d in timing.outputs]
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
    ("-count_packets", "frame counts (chunks, QC)"),
    ("trim=start", "chunk encodes"),
    ("-vn", "audio encode"),
    ("concat", "stitch"),
    ("psnr", "QC PSNR"),
    ("-f hls", "HLS packaging"),
)


def _profile(t: Tools, cmd: list[str], work: Path) -> None:
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
    wall, cpu, _ = _timed(cmd, env)
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


def _quality(t: Tools, path: str, source: str, o: Output, plan: ChunkPlan) -> tuple[int, float]:
    """Frame count and mean PSNR over every frame against the scaled source."""
    frames = media_qc.measure(t, path).frames
    return frames, media_qc.psnr(t, path, source, o.sized, plan, samples=plan.total_frames)


if __name__ == "__main__":
    main()
