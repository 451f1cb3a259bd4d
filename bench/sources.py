"""Benchmark sources: synthetic camera-like clips, made once and cached.

The picture is hard enough that x264 does real work, unlike a flat test card: a Mandelbrot
zoom (detail appearing everywhere, global motion) under a moving Game of Life block (at a
third of the frame rate) and a scrolling cellular automaton, with a hue drift and temporal
grain. It is stored the way a camera stores it: H.264 High at up to 20 Mb/s with a fixed GOP
and B-frames, AAC stereo at 48 kHz.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from mpr.media.tools import Tools
from mpr.settings import get_settings

CACHE = Path(os.environ.get("MPR_BENCH_CACHE", Path(tempfile.gettempdir()) / "mpr-bench"))
VERSION = 2  # raised whenever the picture changes, so stale cached files are not reused


@dataclass(frozen=True)
class SourceSpec:
    """What a benchmark source looks like."""

    seconds: float = 60.0
    height: int = 1080
    fps: int = 30
    gop_seconds: float = 2.0
    open_gop: bool = False

    @property
    def width(self) -> int:
        return _even(self.height * 16 / 9)

    @property
    def name(self) -> str:
        gop = "open" if self.open_gop else "closed"
        return (
            f"camera-v{VERSION}-{self.height}p{self.fps}-{self.seconds:g}s-"
            f"gop{self.gop_seconds:g}-{gop}.mp4"
        )


def tools() -> Tools:
    """The pinned ffmpeg/ffprobe, as `mpr` itself uses them."""
    return Tools.from_settings(get_settings())


def camera_source(spec: SourceSpec, folder: Path = CACHE) -> Path:
    """The cached source for `spec`, made first if missing.

    Making it costs about 4 CPU-seconds per second of 1080p30 video (a minute of it takes
    about two minutes on two idle cores).
    """
    path = folder / spec.name
    if path.exists():
        return path
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / f".{os.getpid()}.{spec.name}"
    try:
        tools().run(_generate_args(spec, tools().ffmpeg, partial), f"making source {spec.name}")
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    return path


def _even(value: float) -> int:
    return max(2, round(value / 2) * 2)


def _generate_args(spec: SourceSpec, ffmpeg: str, output: Path) -> list[str]:
    w, h, r = spec.width, spec.height, spec.fps
    gop = round(spec.fps * spec.gop_seconds)
    sources = [
        f"mandelbrot=s={_even(w / 2)}x{_even(h / 2)}:r={r}:maxiter=96:start_scale=3"
        f":end_scale=0.05:end_pts={spec.seconds:g}:outer=normalized_iteration_count",
        f"life=s={_even(w / 4)}x{_even(h / 4)}:r={max(1, r // 3)}:mold=10:ratio=0.1"
        ":death_color=#202040:life_color=#f0e030:mold_color=#208040",
        f"cellauto=s={_even(w / 3)}x{_even(h / 6)}:r={r}:rule=110:random_fill_ratio=0.5:scroll=1",
        "aevalsrc=0.15*sin(2*PI*(220+40*sin(t))*t)+0.04*(random(0)*2-1)"
        "|0.15*sin(2*PI*330*t)+0.04*(random(1)*2-1):s=48000",
    ]
    graph = (
        f"[0:v]scale={w}:{h}:flags=bicubic,hue=h=12*t[base];"
        f"[1:v]scale={_even(w / 2)}:{_even(h / 2)}:flags=neighbor[life];"
        f"[2:v]scale={_even(w * 2 / 3)}:{_even(h / 3)}:flags=bicubic[cells];"
        "[base][life]overlay=x='(W-w)/2+(W-w)/2*sin(t/3)':y='(H-h)/2+(H-h)/3*cos(t/4)'[a];"
        f"[a][cells]overlay=x='mod(t*{w / 20:g},W+w)-w':y=H-h-{_even(h / 27)},"
        "noise=alls=3:allf=t,format=yuv420p[v]"
    )
    x264 = ["-x264-params", "open-gop=1:b-adapt=0"] if spec.open_gop else ["-flags", "+cgop"]
    inputs = [arg for src in sources for arg in ("-f", "lavfi", "-i", src)]
    return [
        ffmpeg,
        *("-hide_banner", "-nostdin", "-y", "-loglevel", "error"),
        *inputs,
        *("-filter_complex", graph, "-map", "[v]", "-map", "3:a"),
        *("-t", f"{spec.seconds:g}"),
        *("-c:v", "libx264", "-preset", "superfast", "-profile:v", "high", "-crf", "18"),
        *("-maxrate", "20M", "-bufsize", "20M", "-bf", "3"),
        *("-g", str(gop), "-keyint_min", str(gop), "-sc_threshold", "0", *x264),
        *("-c:a", "aac", "-b:a", "192k", "-ac", "2"),
        str(output),
    ]


def looped(source: Path, times: int, folder: Path = CACHE) -> Path:
    """The source played `times` times in a row (stream copy, so as cheap as copying the
    file), cached beside the others: a long source from a short one."""
    path = folder / f"{source.stem}-x{times}{source.suffix}"
    if path.exists():
        return path
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / f".{os.getpid()}.{path.name}"
    args = [
        tools().ffmpeg,
        *("-hide_banner", "-nostdin", "-y", "-loglevel", "error"),
        *("-stream_loop", str(times - 1), "-i", str(source)),
        *("-map", "0", "-c", "copy", "-movflags", "+faststart", str(partial)),
    ]
    try:
        tools().run(args, f"looping {source.name}")
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    return path
