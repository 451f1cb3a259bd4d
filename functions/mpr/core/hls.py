"""HLS playlists: reading the segmenter's playlists, writing media and master playlists."""

from __future__ import annotations

import math
from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict, Field

_PROFILES = {
    "constrained baseline": "42e0",
    "baseline": "4200",
    "main": "4d40",
    "high": "6400",
}


AUDIO_GROUP = "audio"


class Segment(BaseModel):
    """One media segment: its file (relative to the playlist) and exact duration."""

    model_config = ConfigDict(frozen=True)

    uri: str
    duration: float
    size: int = Field(0, ge=0, description="bytes")
    ticks: int | None = Field(
        None, ge=1, description="the exact duration in its track's timescale, where known"
    )


class Variant(BaseModel):
    """One rung of the ladder as the master playlist lists it; an audio-only variant has no
    frame size or rate."""

    model_config = ConfigDict(frozen=True)

    uri: str
    bandwidth: int
    average_bandwidth: int
    width: int | None = None
    height: int | None = None
    codecs: str
    frame_rate: float | None = None


class AudioRendition(BaseModel):
    """An audio track as the master playlist lists it (`EXT-X-MEDIA`, group `AUDIO_GROUP`)."""

    model_config = ConfigDict(frozen=True)

    uri: str
    name: str
    language: str | None = None
    default: bool = False


class SubtitleRendition(BaseModel):
    """A WebVTT captions rendition as the master playlist lists it (`EXT-X-MEDIA`) and a
    DASH manifest its text AdaptationSet (`file`, the WebVTT file itself)."""

    model_config = ConfigDict(frozen=True)

    uri: str
    file: str = Field(description="the WebVTT file, relative to the master playlist")
    size: int = Field(ge=0, description="bytes of the WebVTT file")
    name: str
    language: str | None = None
    default: bool = False
    forced: bool = False


SUBTITLES_GROUP = "subs"


def segments(media_playlist: str) -> list[tuple[float, str]]:
    """(duration, uri) of each segment of a media playlist."""
    found: list[tuple[float, str]] = []
    duration: float | None = None
    for line in media_playlist.splitlines():
        line = line.strip()
        if line.startswith("#EXTINF:"):
            duration = float(line[len("#EXTINF:") :].split(",", 1)[0])
        elif line and not line.startswith("#") and duration is not None:
            found.append((duration, line))
            duration = None
    return found


def bandwidths(sized_segments: Sequence[tuple[float, int]]) -> tuple[int, int]:
    """Peak and average bits per second over segments given as (duration, bytes)."""
    rates = [8 * size / duration for duration, size in sized_segments if duration > 0]
    total_time = sum(d for d, _ in sized_segments)
    total_bits = 8 * sum(s for _, s in sized_segments)
    average = total_bits / total_time if total_time > 0 else 0
    return int(max(rates, default=0) + 0.5), int(average + 0.5)


def avc1_codec(profile: str, level: int) -> str:
    """RFC 6381 codec string of an H.264 stream, e.g. `avc1.64001f` for High@3.1."""
    prefix = _PROFILES.get(profile.strip().lower(), "6400")
    return f"avc1.{prefix}{level:02x}"


def media_playlist(segments: Sequence[Segment], init_uri: str = "init.mp4") -> str:
    """A VOD media playlist of fMP4 segments sharing one init segment.

    The target duration is the longest segment rounded up, so every duration rounded to
    the nearest second stays within it (RFC 8216, 4.3.3.1).
    """
    target = max(1, math.ceil(max(s.duration for s in segments) - 1e-6))
    lines = [
        "#EXTM3U",
        "#EXT-X-VERSION:7",
        f"#EXT-X-TARGETDURATION:{target}",
        "#EXT-X-MEDIA-SEQUENCE:0",
        "#EXT-X-PLAYLIST-TYPE:VOD",
        "#EXT-X-INDEPENDENT-SEGMENTS",
        f'#EXT-X-MAP:URI="{init_uri}"',
    ]
    for segment in segments:
        lines += [f"#EXTINF:{segment.duration:.6f},", segment.uri]
    lines.append("#EXT-X-ENDLIST")
    return "\n".join(lines) + "\n"


def master_playlist(
    variants: Sequence[Variant],
    audio: Sequence[AudioRendition] = (),
    subtitles: Sequence[SubtitleRendition] = (),
) -> str:
    """The master playlist, highest rung first; every variant plays the `audio` renditions
    (one group, `AUDIO_GROUP`, the default one marked; players offer the others) and offers
    the `subtitles` renditions (group `SUBTITLES_GROUP`)."""
    lines = ["#EXTM3U", "#EXT-X-VERSION:7", "#EXT-X-INDEPENDENT-SEGMENTS"]
    lines.extend(_audio_media(a) for a in audio)
    lines.extend(_subtitle_media(s) for s in subtitles)
    groups = (f',AUDIO="{AUDIO_GROUP}"' if audio else "") + (
        f',SUBTITLES="{SUBTITLES_GROUP}"' if subtitles else ""
    )
    for v in sorted(variants, key=lambda v: v.bandwidth, reverse=True):
        size = f",RESOLUTION={v.width}x{v.height}" if v.width and v.height else ""
        rate = f",FRAME-RATE={v.frame_rate:.3f}" if v.frame_rate else ""
        lines.append(
            f"#EXT-X-STREAM-INF:BANDWIDTH={v.bandwidth},AVERAGE-BANDWIDTH={v.average_bandwidth}"
            f'{size},CODECS="{v.codecs}"{rate}{groups}'
        )
        lines.append(v.uri)
    return "\n".join(lines) + "\n"


def _audio_media(a: AudioRendition) -> str:
    language = f',LANGUAGE="{a.language}"' if a.language else ""
    name = a.name.replace('"', "'")
    return (
        f'#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="{AUDIO_GROUP}",NAME="{name}"{language},'
        f'DEFAULT={_yes(a.default)},AUTOSELECT=YES,URI="{a.uri}"'
    )


def _subtitle_media(s: SubtitleRendition) -> str:
    language = f',LANGUAGE="{s.language}"' if s.language else ""
    name = s.name.replace('"', "'")
    return (
        f'#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="{SUBTITLES_GROUP}",NAME="{name}"{language},'
        f"DEFAULT={_yes(s.default)},AUTOSELECT=YES,FORCED={_yes(s.forced)},"
        f'URI="{s.uri}"'
    )


def _yes(flag: bool) -> str:
    return "YES" if flag else "NO"


def single_file_playlist(uri: str, duration: float) -> str:
    """A VOD media playlist of one segment: the whole WebVTT file, `duration` long."""
    return "\n".join(
        [
            "#EXTM3U",
            "#EXT-X-VERSION:3",
            f"#EXT-X-TARGETDURATION:{max(1, math.ceil(duration))}",
            "#EXT-X-MEDIA-SEQUENCE:0",
            "#EXT-X-PLAYLIST-TYPE:VOD",
            f"#EXTINF:{duration:.3f},",
            uri,
            "#EXT-X-ENDLIST",
            "",
        ]
    )
