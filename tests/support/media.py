"""Facts about media files measured directly with ffprobe, independent of the code under test."""

from __future__ import annotations

import json
import subprocess
from array import array
from dataclasses import dataclass, field
from pathlib import Path

import m3u8
from mutagen.mp4 import Atoms

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


def ffmpeg(*args: str) -> None:
    """Run the pinned ffmpeg quietly; fail on error."""
    subprocess.run(
        [get_settings().ffmpeg, "-hide_banner", "-loglevel", "error", "-nostdin", "-y", *args],
        check=True,
    )


# Presentation and decode times (µs) of a 30 fps clip from 1.1 s on: the frames at 1.1 s
# and 1.133 s both show at 1.1 s, each later one 65 µs after the one before.
_GLITCH_PTS = (
    "if(lt(PTS,1100000),PTS,"
    "if(lte(round(PTS*3/100000),34),1100000,1100000+65*(round(PTS*3/100000)-34)))"
)
_GLITCH_DTS = "if(lt(DTS,1100000),DTS,1100000+65*(round(DTS*3/100000)-33))"


def make_broken_timestamps(path: Path) -> Path:
    """An 8 s 30 fps MP4 (B-frames) with a phone's timestamp glitch: packets at 1.100000 s
    twice, then 0.000065 s apart."""
    clean = path.with_name(f"clean-{path.name}")
    ffmpeg(
        "-f",
        "lavfi",
        "-i",
        "testsrc2=s=320x180:r=30:d=8",
        "-c:v",
        "libx264",
        "-bf",
        "2",
        "-g",
        "30",
        "-pix_fmt",
        "yuv420p",
        "-video_track_timescale",
        "1000000",
        str(clean),
    )
    ffmpeg(
        "-i",
        str(clean),
        "-c",
        "copy",
        "-bsf:v",
        f"setts=pts='{_GLITCH_PTS}':dts='{_GLITCH_DTS}'",
        str(path),
    )
    clean.unlink()
    return path


_UNTITLED = {"title": None, "default": False, "forced": False}
EXTRA_NOT_CARRIED = [
    {"index": 4, "type": "data", "codec": "tmcd", "language": "eng"} | _UNTITLED,
]
"""The streams of `make_extra_streams` that no output carries (its audio tracks are all
carried, its mov_text subtitles as captions)."""


def make_backward_timestamps(path: Path) -> Path:
    """An 8 s 30 fps Matroska file without B-frames whose frames at 1.100 s and 1.133 s are
    stored the other way round: the decode order shows 1.133 s, then 1.101 s."""
    clean = path.with_name(f"clean-{path.name}")
    ffmpeg(
        *("-f", "lavfi", "-i", "testsrc2=s=320x180:r=30:d=8"),
        *("-c:v", "libx264", "-bf", "0", "-g", "30", "-pix_fmt", "yuv420p", str(clean)),
    )
    swap = "if(eq(PTS,1100),1133,if(eq(PTS,1133),1100,PTS))"
    ffmpeg("-i", str(clean), "-c", "copy", "-bsf:v", f"setts=pts='{swap}'", str(path))
    clean.unlink()
    return path


def make_extra_streams(path: Path) -> Path:
    """A 2 s MP4 with a video, two audio tracks (eng, fra), a subtitle track (eng) and a
    timecode data track."""
    subtitles = path.with_name(f"{path.stem}.srt")
    subtitles.write_text("1\n00:00:00,000 --> 00:00:01,500\nhello\n")
    ffmpeg(
        "-f",
        "lavfi",
        "-i",
        "testsrc2=s=320x180:r=25:d=2",
        "-f",
        "lavfi",
        "-i",
        "sine=f=440:d=2",
        "-f",
        "lavfi",
        "-i",
        "sine=f=660:d=2",
        "-i",
        str(subtitles),
        *("-map", "0", "-map", "1", "-map", "2", "-map", "3"),
        *("-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-c:s", "mov_text"),
        *("-metadata:s:a:0", "language=eng", "-metadata:s:a:1", "language=fra"),
        *("-metadata:s:s:0", "language=eng", "-timecode", "00:00:00:00"),
        str(path),
    )
    subtitles.unlink()
    return path


def streams(path: Path) -> list[dict[str, object]]:
    """Index, type, codec name and tag, and language of every stream of a file."""
    info = ffprobe(
        "-show_entries",
        "stream=index,codec_type,codec_name,codec_tag_string:stream_tags=language",
        str(path),
    )
    found: list[dict[str, object]] = info["streams"]  # type: ignore[assignment]
    return found


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
    info = ffprobe("-show_format", "-show_streams", "-select_streams", "a:0", str(path))
    stream: dict[str, str] = info["streams"][0]  # type: ignore[index]
    container: dict[str, str] = info["format"]  # type: ignore[assignment]
    audio_start = float(stream["start_time"]) - float(container.get("start_time", 0) or 0)
    return audio_start + first / 48000


def top_level_boxes(path: Path) -> list[str]:
    """Types of an MP4 file's top-level boxes in file order, read by mutagen's parser."""
    with path.open("rb") as file:
        return [atom.name.decode("latin-1") for atom in Atoms(file).atoms]


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
    audio: Path | None = field(default=None, metadata={"doc": "the audio media playlist"})


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


@dataclass(frozen=True)
class HlsAudio:
    """An AUDIO rendition of a master playlist (parsed with the `m3u8` package), measured
    by ffprobe on its segments joined after its init segment (`joined`)."""

    language: str | None
    name: str
    default: bool
    playlist: Path
    start: float
    duration: float
    joined: Path


def hls_audio(master: Path, scratch: Path) -> list[HlsAudio]:
    """Every AUDIO rendition of a master playlist, in its order."""
    found = []
    renditions = [m for m in m3u8.load(str(master)).media if m.type == "AUDIO" and m.uri]
    for n, media in enumerate(renditions):
        playlist = master.parent / media.uri
        parsed = m3u8.load(str(playlist))
        folder = playlist.parent
        files = [folder / s.uri for s in parsed.segments]
        joined = _joined(folder / parsed.segment_map[0].uri, files, scratch / f"audio{n}.mp4")
        info = ffprobe("-show_streams", "-select_streams", "a:0", str(joined))
        stream: dict[str, str] = info["streams"][0]  # type: ignore[index]
        found.append(
            HlsAudio(
                language=media.language,
                name=media.name,
                default=media.default == "YES",
                playlist=playlist,
                start=float(stream["start_time"]),
                duration=float(stream["duration"]),
                joined=joined,
            )
        )
    return found


def audio_tracks(path: Path | str) -> list[dict[str, object]]:
    """Every audio stream of a file: codec, rate, start, duration, language, default flag
    and the samples it decodes to (summed frame by frame)."""
    info = ffprobe(
        "-select_streams",
        "a",
        "-show_entries",
        "stream=index,codec_name,sample_rate,start_time,duration:stream_tags=language"
        ":stream_disposition=default",
        str(path),
    )
    streams: list[dict[str, object]] = info["streams"]  # type: ignore[assignment]
    frames = ffprobe(
        "-select_streams", "a", "-show_entries", "frame=stream_index,nb_samples", str(path)
    )
    samples = {int(str(s["index"])): 0 for s in streams}
    for frame in frames["frames"]:  # type: ignore[attr-defined]
        samples[int(frame["stream_index"])] += int(frame["nb_samples"])
    return [
        {
            "codec": s["codec_name"],
            "sample_rate": int(str(s["sample_rate"])),
            "start": float(str(s["start_time"])),
            "duration": float(str(s["duration"])),
            "language": s.get("tags", {}).get("language"),  # type: ignore[attr-defined]
            "default": s["disposition"]["default"] == 1,  # type: ignore[index]
            "samples": samples[int(str(s["index"]))],
        }
        for s in streams
    ]


def hls_rungs(master: Path, scratch: Path) -> list[HlsRung]:
    """Every variant of a master playlist (parsed with the `m3u8` package), each segment
    decoded on its own: frame times come from the fragments' own decode times, never from
    a demuxer that joins segments. The default audio rendition's start and duration are
    measured the same way (`hls_audio`), so video and audio times share the playlist's
    timeline."""
    parsed = m3u8.load(str(master))
    played = next((a for a in hls_audio(master, scratch) if a.default), None)
    audio_start = played.start if played else None
    audio_duration = played.duration if played else None
    audio_path = played.playlist if played else None
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
                audio=audio_path,
            )
        )
    return rungs
