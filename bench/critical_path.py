"""Where a long job's wall time goes outside the fan-out: each stage, per source minute.

    .venv/bin/python -m bench.critical_path [--minutes 10] [--source FILE] [--workers N]
        [--probe-gb 2]

Runs `mpr transcode --preset hls-ladder --preset thumbnails` on a 1080p30 camera source
(bench/sources.py, the 20 s clip looped by stream copy to `--minutes`) or on `--source`, and
prints each stage's seconds from the manifest, the serial seconds per source minute (every
stage but the chunk encodes; at infinite fan-out the job takes those plus one chunk task),
and the longest chunk task of the plan encoded alone with every core. Then it probes a
stream-copy loop of about `--probe-gb` GB both ways, in the same run: the packet scan
(ffprobe reading every packet) and `media.probe` (MP4 index read).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.sources import SourceSpec, camera_source, looped, tools
from mpr.core import ffmpeg_args
from mpr.core.models import ChunkTask
from mpr.core.planning import plan_chunks
from mpr.core.presets import resolve_presets
from mpr.media.encode import encode_chunk
from mpr.media.probe import probe, safe_input_args, scan_packets
from mpr.settings import get_settings
from mpr.stages import job_renditions

PRESETS = ("hls-ladder", "thumbnails")
CLIP_SECONDS = 20


def main(argv: Sequence[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    clip = camera_source(SourceSpec(seconds=CLIP_SECONDS, height=1080))
    source = args.source or looped(clip, max(1, round(args.minutes * 60 / CLIP_SECONDS)))
    workers = args.workers or os.cpu_count() or 1
    print(f"source: {source} ({source.stat().st_size / 1e9:.2f} GB), {workers} workers")
    with tempfile.TemporaryDirectory() as tmp:
        manifest = _transcode(source, Path(tmp), workers)
    timings: dict[str, float] = manifest["timings"]
    minutes = manifest["media"]["duration"] / 60
    for stage, seconds in timings.items():
        print(f"  {stage:<9} {seconds:8.2f} s")
    serial = sum(s for stage, s in timings.items() if stage != "encode")
    print(f"serial (all but encode): {serial:.2f} s = {serial / minutes:.3f} s per source minute")
    print(f"longest chunk task, alone on {os.cpu_count()} cores: {_longest_chunk(source):.2f} s")
    big = looped(clip, max(1, math.ceil(args.probe_gb * 1e9 / clip.stat().st_size)))
    scan, index = _probe_both(big)
    print(
        f"probe of {big.stat().st_size / 1e9:.2f} GB: packet scan {scan:.3f} s, "
        f"index {index:.3f} s ({scan / index:.0f}x)"
    )


def _transcode(source: Path, out: Path, workers: int) -> dict[str, Any]:
    presets = [arg for name in PRESETS for arg in ("--preset", name)]
    command = [sys.executable, "-m", "mpr", "transcode", str(source), "--out", str(out)]
    subprocess.run([*command, *presets, "--workers", str(workers), "--quiet"], check=True)
    result: dict[str, Any] = json.loads((out / "manifest.json").read_text())
    return result


def _longest_chunk(source: Path) -> float:
    """Wall seconds of the plan's longest chunk encoded to every rung, as one task."""
    t, settings = tools(), get_settings()
    media, index = probe(t, str(source))
    spec = settings.job_spec(source.name, resolve_presets(PRESETS, {}))
    plan = plan_chunks(index, target_seconds=spec.chunk_seconds, min_seconds=spec.min_chunk_seconds)
    chunk = max(plan.chunks, key=lambda c: c.duration)
    task = ChunkTask(
        job_id="bench",
        source=str(source),
        chunk=chunk,
        renditions=job_renditions(spec, media),
        gop_frames=ffmpeg_args.gop_frames(media, spec.gop_seconds),
        timescale=ffmpeg_args.track_timescale(media),
        b_frames=not media.video.variable_frame_rate,
        source_start=ffmpeg_args.header_start(media),
    )
    with tempfile.TemporaryDirectory() as tmp:
        began = time.perf_counter()
        encode_chunk(t, str(source), task, Path(tmp), threads=0)
        return time.perf_counter() - began


def _probe_both(path: Path) -> tuple[float, float]:
    """Seconds of the old probe (streams + packet scan) and of `media.probe` (index)."""
    t = tools()
    began = time.perf_counter()
    t.probe_json([*safe_input_args(str(path)), "-show_format", "-show_streams", str(path)], "p")
    scan_packets(t, str(path), "mov,mp4,m4a,3gp,3g2,mj2")
    scan = time.perf_counter() - began
    began = time.perf_counter()
    probe(t, str(path))
    return scan, time.perf_counter() - began


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="synthetic source length")
    parser.add_argument("--source", type=Path, default=None, help="use this file instead")
    parser.add_argument("--workers", type=int, default=None, help="default: the cores")
    parser.add_argument("--probe-gb", type=float, default=2.0)
    return parser


if __name__ == "__main__":
    main()
