"""Facts about media files measured directly with ffprobe, independent of the code under test."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import m3u8

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


@dataclass(frozen=True)
class HlsSegment:
    """One media segment as its playlist lists it and as it decodes on its own (with the
    playlist's init segment): the times of its video frames and whether the first is a key."""

    duration: float
    frame_times: list[float]
    frame_durations: list[float]
    starts_with_key: bool
    decode_start: float
    decode_end: float = field(metadata={"doc": "last packet's decode time plus its duration"})


@dataclass(frozen=True)
class HlsRung:
    """A variant of a master playlist (`resolution` as the master states it), measured
    segment by segment (`facts`, its size included)."""

    uri: str
    bandwidth: int
    resolution: tuple[int, int]
    codecs: str
    discontinuities: int
    segments: list[HlsSegment]
    facts: Facts


def _packets(path: Path, stream: str) -> list[dict[str, str]]:
    return ffprobe(  # type: ignore[return-value]
        "-select_streams",
        stream,
        "-show_entries",
        "packet=pts_time,dts_time,duration_time,flags",
        str(path),
    )["packets"]


def _joined(init: Path, segments: list[Path], out: Path) -> Path:
    out.write_bytes(init.read_bytes() + b"".join(s.read_bytes() for s in segments))
    return out


def hls_rungs(master: Path, scratch: Path) -> list[HlsRung]:
    """Every variant of a master playlist (parsed with the `m3u8` package), each segment
    decoded on its own: frame times come from the fragments' own decode times, never from
    a demuxer that joins segments. The audio rendition's start and duration are measured
    the same way, so video and audio times share the playlist's timeline."""
    parsed = m3u8.load(str(master))
    audio_start: float | None = None
    audio_duration: float | None = None
    for media in parsed.media:
        if media.type == "AUDIO" and media.uri:
            audio = m3u8.load(str(master.parent / media.uri))
            folder = (master.parent / media.uri).parent
            init = folder / audio.segment_map[0].uri
            files = [folder / s.uri for s in audio.segments]
            joined = _joined(init, files, scratch / "audio.mp4")
            info = ffprobe("-show_streams", "-select_streams", "a:0", str(joined))
            stream = info["streams"][0]  # type: ignore[index]
            audio_start = float(stream["start_time"])
            audio_duration = float(stream["duration"])
    rungs = []
    for n, variant in enumerate(parsed.playlists):
        playlist_path = master.parent / variant.uri
        playlist = m3u8.load(str(playlist_path))
        folder = playlist_path.parent
        init = folder / playlist.segment_map[0].uri
        segments = []
        for i, segment in enumerate(playlist.segments):
            alone = _joined(init, [folder / segment.uri], scratch / f"v{n}_{i}.mp4")
            packets = _packets(alone, "v:0")
            rows = sorted(
                (float(p["pts_time"]), float(p.get("duration_time", 0) or 0), p["flags"])
                for p in packets
            )
            last = packets[-1]
            segments.append(
                HlsSegment(
                    duration=float(segment.duration),
                    frame_times=[r[0] for r in rows],
                    frame_durations=[r[1] for r in rows],
                    starts_with_key="K" in packets[0]["flags"],
                    decode_start=float(packets[0]["dts_time"]),
                    decode_end=float(last["dts_time"]) + float(last.get("duration_time", 0) or 0),
                )
            )
        times = [t for s in segments for t in s.frame_times]
        sizes = {
            (int(v["width"]), int(v["height"]))  # type: ignore[call-overload]
            for i in range(len(segments))
            for v in ffprobe(
                "-show_streams", "-select_streams", "v:0", str(scratch / f"v{n}_{i}.mp4")
            )["streams"]  # type: ignore[union-attr]
        }
        assert len(sizes) == 1, f"{variant.uri}: segments of several sizes {sizes}"
        ((width, height),) = sizes
        facts = Facts(
            frame_times=times,
            keyframe_times=[s.frame_times[0] for s in segments],
            video_duration=times[-1] + segments[-1].frame_durations[-1] - times[0],
            video_start=times[0],
            audio_start=audio_start,
            audio_duration=audio_duration,
            width=width,
            height=height,
        )
        rungs.append(
            HlsRung(
                uri=variant.uri,
                bandwidth=variant.stream_info.bandwidth,
                resolution=variant.stream_info.resolution,
                codecs=variant.stream_info.codecs,
                discontinuities=sum(1 for s in playlist.segments if s.discontinuity),
                segments=segments,
                facts=facts,
            )
        )
    return rungs
