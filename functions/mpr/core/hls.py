"""HLS playlists: reading media playlists and writing the master playlist."""

from __future__ import annotations

import math
from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict

_PROFILES = {
    "constrained baseline": "42e0",
    "baseline": "4200",
    "main": "4d40",
    "high": "6400",
}


class Variant(BaseModel):
    """One rung of the ladder as the master playlist lists it."""

    model_config = ConfigDict(frozen=True)

    uri: str
    bandwidth: int
    average_bandwidth: int
    width: int
    height: int
    codecs: str
    frame_rate: float


class SubtitleRendition(BaseModel):
    """A WebVTT captions rendition as the master playlist lists it (`EXT-X-MEDIA`)."""

    model_config = ConfigDict(frozen=True)

    uri: str
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


def master_playlist(
    variants: Sequence[Variant], subtitles: Sequence[SubtitleRendition] = ()
) -> str:
    """The master playlist, highest rung first; every rung offers the subtitle renditions."""
    lines = ["#EXTM3U", "#EXT-X-VERSION:7", "#EXT-X-INDEPENDENT-SEGMENTS"]
    lines.extend(_subtitle_media(s) for s in subtitles)
    group = f',SUBTITLES="{SUBTITLES_GROUP}"' if subtitles else ""
    for v in sorted(variants, key=lambda v: v.bandwidth, reverse=True):
        lines.append(
            f"#EXT-X-STREAM-INF:BANDWIDTH={v.bandwidth},AVERAGE-BANDWIDTH={v.average_bandwidth},"
            f'RESOLUTION={v.width}x{v.height},CODECS="{v.codecs}",FRAME-RATE={v.frame_rate:.3f}'
            f"{group}"
        )
        lines.append(v.uri)
    return "\n".join(lines) + "\n"


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
