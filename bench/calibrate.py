"""Measure what the cost model and the encode budget need and write the calibration file.

    .venv/bin/python -m bench.calibrate [--seconds 6] [--out functions/mpr/media/calibration.json]

On a cached 1080p30 camera source (bench/sources.py), with one thread per ffmpeg so the
figures are CPU-seconds, not wall time shared with others: each rung of the built-in
presets encoded as a chunk task does it (`media.encode.encode_chunk`), less the decode of
the same frames measured alone, per output pixel-frame; the 720p rung again at every
other x264 preset, as a factor of the built-in presets' one; the decode per source
pixel-frame; the audio encode per second of source (the slope between the whole source and
`--seconds` of it, so start-up does not count); and the wall time of `media.probe` (which
reads an MP4's index). CPU time is the children's user + system time (getrusage).
"""

from __future__ import annotations

import argparse
import platform
import resource
import subprocess
import tempfile
import time
import typing
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path

from bench.sources import SourceSpec, camera_source, tools
from mpr.core import ffmpeg_args
from mpr.core.estimate import Calibration, X264Preset
from mpr.core.models import ChunkTask, SizedRendition, Trim
from mpr.core.planning import plan_chunks
from mpr.core.presets import builtin_presets, renditions_for
from mpr.media.calibration import CALIBRATION_FILE
from mpr.media.encode import encode_chunk
from mpr.media.probe import probe

PRESETS: tuple[X264Preset, ...] = typing.get_args(X264Preset)
FACTOR_HEIGHT = 720
DEFAULT_OUT = Path(__file__).resolve().parents[1] / "functions" / "mpr" / "media" / CALIBRATION_FILE


def children_cpu(run: Callable[[], object]) -> float:
    """CPU-seconds (user + system) of the child processes `run` starts and waits for."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    run()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def ffmpeg_cpu(
    ffmpeg: str, source: Path, seconds: float, input_args: list[str], output_args: list[str]
) -> float:
    """CPU-seconds of one ffmpeg reading `seconds` of the source into the null muxer."""
    args = [ffmpeg, "-v", "error", *input_args, "-i", str(source), "-t", f"{seconds:g}"]
    done = partial(subprocess.run, [*args, *output_args, "-f", "null", "-"], check=True)
    return children_cpu(done)


def main(argv: Sequence[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    t = tools()
    source = camera_source(SourceSpec(seconds=20, height=1080))
    began = time.perf_counter()
    media, index = probe(t, str(source))
    probe_seconds = time.perf_counter() - began
    seconds = min(args.seconds, media.duration)
    plan = plan_chunks(
        index, target_seconds=seconds, min_seconds=seconds, trim=Trim(start=0, end=seconds)
    )
    chunk = plan.chunks[0]
    pixels = media.video.width * media.video.height
    decode = ffmpeg_cpu(t.ffmpeg, source, seconds, ["-threads", "1"], ["-an"])
    frames = chunk.frames
    rungs = {
        s.height: s for preset in builtin_presets().values() for s in renditions_for(preset, media)
    }
    (base,) = {s.rendition.x264_preset for s in rungs.values()}

    def encode_cpu(sized: SizedRendition) -> float:
        """CPU-seconds of encoding the chunk to one rendition, less decoding it."""
        task = ChunkTask(
            job_id="calibrate",
            source=str(source),
            chunk=chunk,
            renditions=[sized],
            gop_frames=ffmpeg_args.gop_frames(media, 2.0),
            timescale=ffmpeg_args.track_timescale(media),
            b_frames=True,
            source_start=ffmpeg_args.header_start(media),
        )
        with tempfile.TemporaryDirectory() as tmp:
            total = children_cpu(partial(encode_chunk, t, str(source), task, Path(tmp), 1, 1))
        return max(total - decode, 0.0)

    rates: dict[int, float] = {}
    for height, sized in sorted(rungs.items()):
        cpu = encode_cpu(sized)
        rates[height] = cpu / (sized.width * sized.height * frames)
        print(f"{height}p {base}: {cpu:.2f} CPU-s for {frames} frames, {rates[height]:.3e}")
    factors: dict[X264Preset, float] = {base: 1.0}
    reference = rungs[FACTOR_HEIGHT]
    for preset in PRESETS:
        if preset != base:
            rendition = reference.rendition.model_copy(update={"x264_preset": preset})
            cpu = encode_cpu(reference.model_copy(update={"rendition": rendition}))
            factors[preset] = cpu / (
                rates[FACTOR_HEIGHT] * reference.width * reference.height * frames
            )
            print(f"{FACTOR_HEIGHT}p {preset}: {cpu:.2f} CPU-s, x{factors[preset]:.2f}")
    whole = media.duration
    audio_args = ["-vn", "-c:a", "aac", "-b:a", "128k"]
    # the slope between two lengths: ffmpeg's start-up is not audio work
    audio = ffmpeg_cpu(t.ffmpeg, source, whole, [], audio_args)
    audio -= ffmpeg_cpu(t.ffmpeg, source, seconds, [], audio_args)
    audio_rate = audio / (whole - seconds)
    calibration = Calibration(
        machine=f"{platform.node()} ({platform.processor() or platform.machine()})",
        arch="arm64" if platform.machine() in ("aarch64", "arm64") else "x86_64",
        ffmpeg=subprocess.run(
            [t.ffmpeg, "-version"], capture_output=True, text=True, check=True
        ).stdout.split("\n")[0],
        encode_cpu_per_pixel_frame=rates,
        base_preset=base,
        preset_factor=factors,
        decode_cpu_per_pixel_frame=decode / (pixels * frames),
        audio_cpu_per_second=audio_rate,
        probe_seconds=round(probe_seconds, 3),
    )
    args.out.write_text(calibration.model_dump_json(indent=2) + "\n")
    print(f"decode {calibration.decode_cpu_per_pixel_frame:.3e} CPU-s per pixel-frame")
    print(f"audio {calibration.audio_cpu_per_second:.4f} CPU-s per second of source")
    print(f"probe {probe_seconds:.3f} s")
    print(f"wrote {args.out}")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=6.0, help="source seconds encoded")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    return parser


if __name__ == "__main__":
    main()
