"""What the benchmarks that race `mpr transcode` against one plain ffmpeg share: the source,
the two command lines, timed runs pinned to chosen cores, and output checks."""

from __future__ import annotations

import argparse
import json
import os
import resource
import shlex
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.sources import SourceSpec, camera_source, looped, tools
from mpr.core import ffmpeg_args
from mpr.core.models import ChunkPlan, FrameIndex, MediaInfo, Preset, SizedRendition
from mpr.core.presets import renditions_for, resolve_presets
from mpr.media import probe as media_probe
from mpr.media import qc as media_qc
from mpr.media.tools import Tools

AUDIO_KBPS = 128


@dataclass(frozen=True)
class Output:
    """One video output both runs make, at the path `mpr transcode` writes it and at the
    path the single ffmpeg writes it (the same but for a CMAF rung, which ffmpeg's DASH
    muxer names by its stream number)."""

    preset: Preset
    sized: SizedRendition
    path: str
    single_path: str

    def written_by(self, run: str) -> str:
        """Where the run named `run` (`mpr` or `single`) writes this output."""
        return self.path if run == "mpr" else self.single_path


@dataclass
class Timing:
    """Every timed run of one command: wall and CPU seconds, load before, output folder."""

    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    load: list[float] = field(default_factory=list)
    outputs: list[Path] = field(default_factory=list)


@dataclass(frozen=True)
class Bench:
    """The source, probed, and the video outputs both commands make of it."""

    source: Path
    made_seconds: float
    tools: Tools
    media: MediaInfo
    index: FrameIndex
    presets: list[Preset]
    outputs: list[Output]

    def describe(self) -> str:
        """One line about the source."""
        v, media = self.media.video, self.media
        return (
            f"source   {self.source} ({v.width}x{v.height} {v.fps:g} fps, {media.duration:g} s,"
            f" {len(self.index.times)} frames,"
            f" {media.size_bytes * 8 / media.duration / 1e6:.1f} Mb/s"
            f"{f', made in {self.made_seconds:.0f} s' if self.made_seconds > 1 else ''})"
        )


@dataclass(frozen=True)
class Run:
    """One timed run of mpr or of the single ffmpeg."""

    name: str
    round: int
    cmd: list[str]
    out: Path
    wall: float
    cpu: float
    load: float
    manifest: dict[str, Any] | None


def add_source_arguments(p: argparse.ArgumentParser) -> None:
    """--source, or the synthetic camera clip's size, and --loop."""
    p.add_argument("--source", type=Path, help="an existing clip instead of the synthetic one")
    p.add_argument("--seconds", type=float, default=60.0, help="synthetic source length")
    p.add_argument("--height", type=int, default=1080, help="synthetic source height (16:9)")
    p.add_argument("--fps", type=int, default=30, help="synthetic source frame rate")
    p.add_argument(
        "--loop", type=int, default=1, help="play the source this many times (stream copy)"
    )


def prepare(args: argparse.Namespace) -> Bench:
    """The source the arguments name (made or looped first where needed), probed, and the
    outputs of their presets."""
    started = time.perf_counter()
    base = args.source or camera_source(SourceSpec(args.seconds, args.height, args.fps))
    source = looped(base, args.loop) if args.loop > 1 else base
    made = time.perf_counter() - started
    presets = resolve_presets(list(args.presets))
    if any(p.kind == "thumbnails" for p in presets):
        sys.exit("thumbnails presets have no single-ffmpeg equivalent here; pick mp4/hls ones")
    t = tools()
    media, index = media_probe.probe(t, str(source))
    return Bench(source, made, t, media, index, presets, outputs_of(presets, media))


def alternate_runs(
    bench: Bench,
    work: Path,
    *,
    repeat: int,
    workers: int,
    chunk_seconds: float,
    cpus: Sequence[int] | None,
) -> Iterator[Run]:
    """mpr and the single ffmpeg, `repeat` rounds in alternating order (see `orders`), each
    into a folder of its own under `work` and timed on `cpus`; the single run takes its
    arguments from the manifest of the first mpr run."""
    first: dict[str, Any] = {}
    for i, order in enumerate(orders(repeat)):
        for name in order:
            out = work / f"{name}-{i}"
            out.mkdir(parents=True)
            if name == "mpr":
                cmd = mpr_command(bench.source, bench.presets, out, workers, chunk_seconds)
            else:
                cmd = single_command(bench.tools, bench.source, bench.outputs, first, out)
            wall, cpu, load = timed(cmd, cpus=cpus)
            manifest = None
            if name == "mpr":
                manifest = json.loads((out / "manifest.json").read_text())
                first = first or manifest
            yield Run(name, i, cmd, out, wall, cpu, load, manifest)


def outputs_of(presets: Sequence[Preset], media: MediaInfo) -> list[Output]:
    """Every video output of the presets, at the path mpr writes it."""
    found: list[Output] = []
    for preset in presets:
        sized = renditions_for(preset, media)
        if preset.kind == "mp4":
            path = f"{preset.name}.mp4"
            found.append(Output(preset, sized[0], path, path))
            continue
        for i, s in enumerate(sized):
            path = f"{preset.name}/{s.rendition.name}/index.m3u8"
            single = f"{preset.name}/media_{i}.m3u8" if preset.kind == "cmaf" else path
            found.append(Output(preset, s, path, single))
    return found


def single_command(
    t: Tools, source: Path, outputs: list[Output], manifest: dict[str, Any], out: Path
) -> list[str]:
    """One ffmpeg process with the encoder_args mpr recorded for each output: each MP4 as its
    own output, each HLS ladder as one fMP4 HLS output with a split filter, one encode a rung,
    each CMAF ladder the same as one output of ffmpeg's DASH muxer (with its HLS playlists)."""
    recorded = {str(r["path"]): list(r["encoder_args"]) for r in manifest["outputs"]}
    cmd = [t.ffmpeg, *ffmpeg_args.GLOBAL, "-i", str(source)]
    ladders: dict[str, list[tuple[Output, list[str]]]] = {}
    for o in outputs:
        encoder = recorded[o.path]
        if o.preset.segmented:
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
        if rungs[0][0].preset.kind == "cmaf":
            cmd += _dash_output(name, rungs, out / name)
        else:
            cmd += _hls_output(name, rungs, out / name)
    return cmd


def _ladder_encodes(
    name: str, rungs: list[tuple[Output, list[str]]], audio_per_rung: bool
) -> list[str]:
    """The split filter and each rung's encoder options, its video output stream `v:i`;
    the audio mapped after each rung or once after all of them."""
    labels = [f"{name}_{i}" for i in range(len(rungs))]
    chains = [f"[{x}]{encoder[1]}[{x}v]" for x, (_, encoder) in zip(labels, rungs, strict=True)]
    graph = f"[0:v:0]split={len(rungs)}{''.join(f'[{x}]' for x in labels)};" + ";".join(chains)
    cmd = ["-filter_complex", graph]
    for i, (label, (_, encoder)) in enumerate(zip(labels, rungs, strict=True)):
        cmd += ["-map", f"[{label}v]", *(["-map", "0:a:0"] if audio_per_rung else [])]
        options = encoder[2:]
        for key, value in zip(options[::2], options[1::2], strict=True):
            cmd += [f"{key.removesuffix(':v')}:v:{i}", value]
    return cmd if audio_per_rung else [*cmd, "-map", "0:a:0?"]


def _dash_output(name: str, rungs: list[tuple[Output, list[str]]], folder: Path) -> list[str]:
    """The rungs as one DASH output (SegmentTemplate with SegmentTimeline, fMP4 segments,
    the audio encoded once), with the HLS playlists of the same segments.

    Each rung is an AdaptationSet of its own: ffmpeg's DASH muxer refuses rungs of slightly
    different aspect ratios in one set (854x480 is 427:240, 1280x720 16:9); the encodes,
    segments and manifests it writes are the same work either way."""
    folder.mkdir(parents=True, exist_ok=True)
    sets = [f"id={i},streams={i}" for i in range(len(rungs))]
    return [
        *_ladder_encodes(name, rungs, audio_per_rung=False),
        *("-c:a", "aac", "-b:a", f"{AUDIO_KBPS}k"),
        *("-f", "dash", "-seg_duration", f"{rungs[0][0].preset.segment_seconds:g}"),
        *("-use_template", "1", "-use_timeline", "1", "-dash_segment_type", "mp4"),
        *("-adaptation_sets", " ".join([*sets, f"id={len(rungs)},streams=a"])),
        *("-hls_playlist", "1"),
        str(folder / "manifest.mpd"),
    ]


def _hls_output(name: str, rungs: list[tuple[Output, list[str]]], folder: Path) -> list[str]:
    cmd = _ladder_encodes(name, rungs, audio_per_rung=True)
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


def mpr_command(
    source: Path, presets: Sequence[Preset], out: Path, workers: int, chunk_seconds: float
) -> list[str]:
    """`mpr transcode` of the source to the presets, quietly, in the benchmark's interpreter."""
    cmd = [sys.executable, "-m", "mpr", "transcode", str(source), "--out", str(out), "--quiet"]
    for p in presets:
        cmd += ["--preset", p.name]
    return [*cmd, "--workers", str(workers), "--chunk-seconds", f"{chunk_seconds:g}"]


def orders(repeat: int) -> list[tuple[str, str]]:
    """mpr first (its manifest gives the single run its arguments), then single first, and so
    on: neither always runs on a warmer or quieter machine."""
    return [("mpr", "single") if i % 2 == 0 else ("single", "mpr") for i in range(repeat)]


def cores(count: int | None) -> list[int]:
    """The first `count` cores this process may run on (all of them for None)."""
    usable = sorted(os.sched_getaffinity(0))
    if count is not None and not 1 <= count <= len(usable):
        sys.exit(f"--cores {count}: this machine lets us use {len(usable)} cores")
    return usable[:count] if count else usable


def timed(
    cmd: list[str], env: dict[str, str] | None = None, cpus: Sequence[int] | None = None
) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds of the process tree, and the 1-minute load before it ran;
    the command and everything it starts run on `cpus` only (all cores for None)."""
    load = os.getloadavg()[0]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    pin = None if cpus is None else (lambda: os.sched_setaffinity(0, cpus))
    done = subprocess.run(cmd, capture_output=True, text=True, check=False, env=env, preexec_fn=pin)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        sys.exit(f"{shlex.join(cmd)}\nfailed ({done.returncode}): {done.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, load


def frames_of(t: Tools, path: Path) -> int:
    """Video frames in an output (packets counted)."""
    return media_qc.measure(t, str(path)).frames


def quality(t: Tools, path: str, source: str, o: Output, plan: ChunkPlan) -> tuple[int, float]:
    """Frame count and mean PSNR over every frame against the scaled source."""
    frames = media_qc.measure(t, path).frames
    return frames, media_qc.psnr(t, path, source, o.sized, plan, samples=plan.total_frames)
