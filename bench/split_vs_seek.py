"""How a chunk encoder gets its frames: split the source first, or seek in it per chunk.

    .venv/bin/python -m bench.split_vs_seek [--seconds 30] [--height 720] [--fps 30]
        [--preset mp4-720p] [--workers N] [--chunk-seconds 10] [--repeat 1]

(a) split: one stream-copy pass with the segment muxer cuts the source at the planned chunk
    starts, then each piece is encoded whole;
(b) seek: each chunk encode seeks in the source (`-ss <seek> -noaccurate_seek`) and keeps its
    frames with a trim filter, as `ffmpeg_args.chunk_encode` builds it (what mpr does).
Both use mpr's chunk plan, its encoder options and its worker pool shape (`--workers` encodes
at once, cores // workers x264 threads each). Each runs on a closed-GOP source and on an
open-GOP source whose keyframes have leading B-frames. Reported: wall time, and frames per
chunk against the plan.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from bench.sources import SourceSpec, camera_source, tools
from mpr.core import ffmpeg_args
from mpr.core.models import ChunkPlan, JobSpec, SizedRendition
from mpr.core.planning import plan_chunks
from mpr.core.presets import renditions_for, resolve_presets
from mpr.media import probe as media_probe
from mpr.media.probe import stream_facts
from mpr.media.tools import Tools

T = TypeVar("T")


@dataclass(frozen=True)
class Job:
    """Everything both ways share for one source."""

    tools: Tools
    source: Path
    plan: ChunkPlan
    sized: SizedRendition
    gop: int
    timescale: int
    b_frames: bool
    workers: int
    threads: int


@dataclass(frozen=True)
class Result:
    wall: float
    prepare: float
    frames: list[int]
    pieces: list[int] | None = None


def main(argv: Sequence[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    cores = len(os.sched_getaffinity(0))
    workers = args.workers or cores
    preset = resolve_presets([args.preset])[0]
    if preset.kind != "mp4":
        raise SystemExit("--preset must be an mp4 preset (one rendition)")
    print(f"cores {cores}; {workers} encodes at once, {max(1, cores // workers)} x264 threads each")
    for open_gop in (False, True):
        spec = SourceSpec(seconds=args.seconds, height=args.height, fps=args.fps, open_gop=open_gop)
        job = _job(spec, preset.name, workers, args.chunk_seconds, cores)
        ways: dict[str, Callable[[Job, Path], Result]] = {"split": _split, "seek": _seek}
        results: dict[str, list[Result]] = {name: [] for name in ways}
        for i in range(args.repeat):
            order = list(ways) if i % 2 == 0 else list(reversed(ways))
            for name in order:
                with tempfile.TemporaryDirectory(prefix="mpr-bench-") as tmp:
                    results[name].append(ways[name](job, Path(tmp)))
        _report(spec, job, results)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench.split_vs_seek", description=__doc__)
    p.add_argument("--seconds", type=float, default=30.0, help="source length")
    p.add_argument("--height", type=int, default=720, help="source height (16:9)")
    p.add_argument("--fps", type=int, default=30, help="source frame rate")
    p.add_argument("--preset", default="mp4-720p", help="mp4 preset to encode the chunks with")
    p.add_argument("--workers", type=int, default=None, help="encodes at once [cores]")
    p.add_argument("--chunk-seconds", type=float, default=10.0, help="target chunk length")
    p.add_argument("--repeat", type=int, default=1, help="runs of each, order alternating")
    return p


def _job(spec: SourceSpec, preset: str, workers: int, chunk_seconds: float, cores: int) -> Job:
    t = tools()
    source = camera_source(spec)
    media, index = media_probe.probe(t, str(source))
    plan = plan_chunks(index, target_seconds=chunk_seconds, min_seconds=2.0, workers=workers)
    return Job(
        tools=t,
        source=source,
        plan=plan,
        sized=renditions_for(resolve_presets([preset])[0], media)[0],
        gop=ffmpeg_args.gop_frames(media, JobSpec.model_fields["gop_seconds"].default),
        timescale=ffmpeg_args.track_timescale(media),
        b_frames=not media.video.variable_frame_rate,
        workers=workers,
        threads=max(1, cores // workers),
    )


def _split(job: Job, tmp: Path) -> Result:
    """Stream-copy the video into pieces at the chunk starts, then encode each piece whole."""
    started = time.perf_counter()
    cuts = ",".join(f"{c.select_from:.6f}" for c in job.plan.chunks[1:])
    at = ["-segment_times", cuts] if cuts else ["-segment_time", f"{job.plan.end + 1:.0f}"]
    job.tools.run(
        [
            job.tools.ffmpeg,
            *ffmpeg_args.GLOBAL,
            *("-i", str(job.source), "-map", "0:v:0", "-c", "copy"),
            *("-f", "segment", *at),
            *("-reset_timestamps", "1", str(tmp / "piece_%03d.mp4")),
        ],
        "splitting",
    )
    split = time.perf_counter() - started
    pieces = sorted(tmp.glob("piece_*.mp4"))

    def encode(piece: Path) -> int:
        out = piece.with_name(piece.stem + "_enc.mp4")
        args = [
            job.tools.ffmpeg,
            *ffmpeg_args.GLOBAL,
            *("-i", str(piece), "-an"),
            *ffmpeg_args.encoder_args(job.sized, job.gop, b_frames=job.b_frames),
            *("-threads", str(job.threads), "-video_track_timescale", str(job.timescale)),
            str(out),
        ]
        job.tools.run(args, f"encoding {piece.name}")
        return _frames(job.tools, out)

    frames = _pool(job.workers, encode, pieces)
    wall = time.perf_counter() - started
    return Result(wall, split, frames, [_frames(job.tools, p) for p in pieces])


def _seek(job: Job, tmp: Path) -> Result:
    """Encode each chunk straight from the source, as mpr's encode stage does."""
    started = time.perf_counter()

    def encode(index: int) -> int:
        out = tmp / f"chunk_{index:03d}.mp4"
        args = ffmpeg_args.chunk_encode(
            str(job.source),
            str(out),
            job.plan.chunks[index],
            job.sized,
            job.gop,
            job.timescale,
            b_frames=job.b_frames,
            ffmpeg_bin=job.tools.ffmpeg,
            threads=job.threads,
        )
        job.tools.run(args, f"encoding chunk {index}")
        return _frames(job.tools, out)

    frames = _pool(job.workers, encode, list(range(len(job.plan.chunks))))
    return Result(time.perf_counter() - started, 0.0, frames)


def _pool(workers: int, fn: Callable[[T], int], items: list[T]) -> list[int]:
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(fn, items))


def _frames(t: Tools, path: Path) -> int:
    video = stream_facts(t, str(path), count_packets=True).get("video", {})
    return int(str(video.get("nb_read_packets", 0)))


def _report(spec: SourceSpec, job: Job, results: dict[str, list[Result]]) -> None:
    gop = "open GOP, leading B-frames" if spec.open_gop else "closed GOP"
    chunks = job.plan.chunks
    print()
    print(
        f"source {job.source.name}: {job.plan.total_frames} frames, {gop};"
        f" {len(chunks)} chunks -> {job.sized.width}x{job.sized.height}"
    )
    split, seek = results["split"][-1], results["seek"][-1]
    print(f"  {'chunk':<7}{'planned':>9}{'split piece':>13}{'split enc':>11}{'seek enc':>10}")
    assert split.pieces is not None
    rows = zip(chunks, split.pieces, split.frames, seek.frames, strict=False)
    for c, piece, enc_split, enc_seek in rows:
        print(f"  {c.index:<7}{c.frames:>9}{piece:>13}{enc_split:>11}{enc_seek:>10}")
    if len(split.pieces) != len(chunks):
        print(f"  split made {len(split.pieces)} pieces for {len(chunks)} chunks")
    total = job.plan.total_frames
    for name, res in (("split", split), ("seek", seek)):
        exact = [f == c.frames for f, c in zip(res.frames, chunks, strict=False)]
        ok = sum(res.frames) == total and all(exact) and len(res.frames) == len(chunks)
        best = min(r.wall for r in results[name])
        passes = min(r.prepare for r in results[name])
        prepare = f" (split pass {passes:.2f} s)" if res.pieces else ""
        print(
            f"  {name:<6} wall {best:6.2f} s{prepare}; frames {sum(res.frames)}/{total},"
            f" {sum(exact)}/{len(chunks)} chunks exact -> {'EXACT' if ok else 'NOT EXACT'}"
        )


if __name__ == "__main__":
    main()
