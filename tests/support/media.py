"""Facts about media files measured directly with ffprobe, independent of the code under test."""

from __future__ import annotations

import json
import subprocess
from array import array
from dataclasses import dataclass
from pathlib import Path

from mpr.settings import get_settings


@dataclass(frozen=True)
class Facts:
    """Video frame times (sorted, relative to the container start) and stream starts."""

    frame_times: list[float]
    keyframe_times: list[float]
    video_duration: float
    video_start: float
    audio_start: float | None
    audio_duration: float | None
    width: int
    height: int


def ffprobe(*args: str) -> dict[str, object]:
    out = subprocess.run(
        [get_settings().ffprobe, "-v", "error", "-of", "json", *args],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    result: dict[str, object] = json.loads(out)
    return result


def facts(path: Path | str) -> Facts:
    """Measure a file (MP4 or HLS media playlist)."""
    info = ffprobe("-show_format", "-show_streams", str(path))
    fmt: dict[str, str] = info["format"]  # type: ignore[assignment]
    streams: list[dict[str, object]] = info["streams"]  # type: ignore[assignment]
    start = float(fmt.get("start_time", 0) or 0)
    video = next(s for s in streams if s["codec_type"] == "video")
    audio = next((s for s in streams if s["codec_type"] == "audio"), None)
    packets = ffprobe(
        "-select_streams", "v:0", "-show_entries", "packet=pts_time,duration_time,flags", str(path)
    )["packets"]
    rows = sorted(
        (float(p["pts_time"]) - start, float(p.get("duration_time", 0) or 0), p["flags"])
        for p in packets  # type: ignore[union-attr]
        if "D" not in p["flags"]
    )
    times = [r[0] for r in rows]
    return Facts(
        frame_times=times,
        keyframe_times=[r[0] for r in rows if "K" in r[2]],
        video_duration=times[-1] + rows[-1][1] - times[0],
        video_start=float(video.get("start_time", 0) or 0) - start,
        audio_start=float(audio.get("start_time", 0) or 0) - start if audio else None,
        audio_duration=float(audio.get("duration", 0) or 0) if audio else None,
        width=int(video["width"]),  # type: ignore[call-overload]
        height=int(video["height"]),  # type: ignore[call-overload]
    )


def sound_start(path: Path | str, threshold: float = 0.01) -> float:
    """Where the sound begins: the time of the first decoded audio sample louder than
    `threshold` (of full scale), relative to the container start."""
    pcm = subprocess.run(
        [
            get_settings().ffmpeg,
            "-v",
            "error",
            "-i",
            str(path),
            "-map",
            "a:0",
            "-ac",
            "1",
            "-ar",
            "48000",
            "-f",
            "s16le",
            "-",
        ],
        capture_output=True,
        check=True,
    ).stdout
    samples = array("h")
    samples.frombytes(pcm)
    first = next(i for i, level in enumerate(samples) if abs(level) > threshold * 32768)
    audio_start = facts(path).audio_start
    assert audio_start is not None
    return audio_start + first / 48000


def psnr(
    distorted: Path, reference: Path, width: int, height: int, vf: str = "", plane: str = "average"
) -> float:
    """Mean PSNR over all frames (`plane`: average, y, u or v), the reference filtered by `vf`
    and scaled to the output."""
    chain = f"{vf + ',' if vf else ''}scale={width}:{height}:flags=bicubic,setsar=1,format=yuv420p"
    graph = (
        f"[1:v]{chain},settb=1,setpts=N[ref];[0:v]format=yuv420p,settb=1,setpts=N[dis];"
        "[dis][ref]psnr"
    )
    done = subprocess.run(
        [
            get_settings().ffmpeg,
            "-hide_banner",
            "-nostdin",
            "-i",
            str(distorted),
            "-i",
            str(reference),
            "-filter_complex",
            graph,
            "-f",
            "null",
            "-",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    line = next(x for x in done.stderr.splitlines() if "PSNR" in x and "average:" in x)
    return float(line.split(f"{plane}:")[1].split()[0])
