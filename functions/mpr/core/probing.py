"""Turning ffprobe's JSON into MediaInfo and a FrameIndex (pure, unit-tested on fixtures)."""

from __future__ import annotations

from fractions import Fraction
from itertools import pairwise
from typing import Any

from mpr.core.captions import TEXT_SUBTITLE_CODECS
from mpr.core.errors import UnsupportedMediaError
from mpr.core.models import AudioInfo, FrameIndex, MediaInfo, SourceStream, VideoInfo

Json = dict[str, Any]


def parse_media(probe: Json, index: FrameIndex) -> MediaInfo:
    """MediaInfo from `ffprobe -show_format -show_streams` output and the frame index."""
    fmt = probe.get("format") or {}
    streams: list[Json] = probe.get("streams") or []
    video = next((s for s in streams if _is_video(s)), None)
    if video is None:
        raise UnsupportedMediaError("source has no video stream")
    audio = [s for s in streams if s.get("codec_type") == "audio"]
    start = _float(fmt.get("start_time"), 0.0)
    video_info = _video(video, index)
    duration = _float(fmt.get("duration"), 0.0) or video_info.duration
    return MediaInfo(
        format_name=str(fmt.get("format_name", "unknown")),
        size_bytes=int(fmt.get("size") or 0),
        duration=duration,
        start_time=start,
        bit_rate=int(fmt["bit_rate"]) if fmt.get("bit_rate") else None,
        video=video_info,
        audio=_audio(audio[0], start) if audio else None,
        other_audio=[_audio(s, start) for s in audio[1:]],
        not_carried=[
            _stream(s)
            for s in streams
            if s is not video and s not in audio and not _is_text_subtitle(s)
        ],
        subtitles=[_stream(s) for s in streams if _is_text_subtitle(s)],
    )


def frame_index(packets: list[Json], format_start: float) -> FrameIndex:
    """Presentation times of the video packets a decoder outputs, relative to the start.

    Packets flagged `D` (outside an edit list) are dropped; `K` marks keyframes.
    """
    rows: list[tuple[float, float, bool]] = []
    hidden_keyframe = False
    for packet in packets:
        flags = str(packet.get("flags", ""))
        pts = packet.get("pts_time")
        if "D" in flags or pts in (None, "N/A"):
            hidden_keyframe = hidden_keyframe or "K" in flags
            continue
        rows.append(
            (float(pts) - format_start, _float(packet.get("duration_time"), 0.0), "K" in flags)
        )
    if not rows:
        raise UnsupportedMediaError("source has no decodable video frames")
    backwards = next((b[0] for a, b in pairwise(rows) if b[0] < a[0]), None)
    rows.sort(key=lambda r: r[0])
    times: list[float] = []
    keyframes: list[int] = []
    durations: list[float] = []
    repeated: list[float] = []
    for t, duration, key in rows:
        if times and t <= times[-1]:
            repeated.append(t)
            continue  # duplicate timestamp: encoders keep one (fps_mode vfr)
        if key:
            keyframes.append(len(times))
        times.append(t)
        durations.append(duration)
    if not keyframes:
        if not hidden_keyframe:
            raise UnsupportedMediaError("source has no keyframe to start decoding from")
        keyframes = [0]  # the keyframe lies before the edit list's start; decoding begins there
    gaps = [b - a for a, b in pairwise(times)]
    last = durations[-1] or (sorted(gaps)[len(gaps) // 2] if gaps else 1 / 25)
    return FrameIndex(
        times=times,
        keyframes=keyframes,
        end=times[-1] + last,
        repeated=repeated,
        first_backwards=backwards,
    )


def rotation(stream: Json) -> int:
    """Clockwise display rotation in degrees (0, 90, 180, 270) from the display matrix."""
    for side in stream.get("side_data_list") or []:
        if "rotation" in side:
            return int(-float(side["rotation"])) % 360
    tag = (stream.get("tags") or {}).get("rotate")
    return int(tag) % 360 if tag else 0


def _video(stream: Json, index: FrameIndex) -> VideoInfo:
    width, height = int(stream.get("width") or 0), int(stream.get("height") or 0)
    if width <= 0 or height <= 0:
        raise UnsupportedMediaError("video stream has no frame size")
    sar = _ratio(stream.get("sample_aspect_ratio")) or Fraction(1)
    shown_w, shown_h = round(width * sar), height
    turn = rotation(stream)
    if turn in (90, 270):
        shown_w, shown_h = shown_h, shown_w
    count = len(index.times)
    span = index.end - index.times[0]
    measured = (Fraction(count) / Fraction(str(span))).limit_denominator(1001000)
    rate = _ratio(stream.get("avg_frame_rate")) or measured
    gaps = [b - a for a, b in pairwise(index.times)]
    variable = bool(gaps) and (max(gaps) - min(gaps)) > 0.01 * (sum(gaps) / len(gaps)) + 1e-4
    return VideoInfo(
        codec=str(stream.get("codec_name", "unknown")),
        width=width,
        height=height,
        display_width=max(2, shown_w),
        display_height=max(2, shown_h),
        rotation=turn,
        fps=float(rate),
        frame_rate=f"{rate.numerator}/{rate.denominator}",
        time_base=str(stream.get("time_base") or "1/90000"),
        variable_frame_rate=variable,
        max_frame_interval=max(gaps, default=span),
        frame_count=count,
        duration=span,
        start_time=index.times[0],
        pix_fmt=stream.get("pix_fmt"),
        has_b_frames=int(stream.get("has_b_frames") or 0) > 0,
        keyframe_count=len(index.keyframes),
    )


def _audio(stream: Json, format_start: float) -> AudioInfo:
    described = _stream(stream)
    start = _float(stream.get("start_time"), format_start)
    duration = _float(stream.get("duration"), 0.0)
    end = _clock((stream.get("tags") or {}).get("DURATION"))
    if not duration and end is not None:  # Matroska: the stream's end, as a tag
        duration = max(0.0, end - start)
    return AudioInfo(
        codec=str(stream.get("codec_name", "unknown")),
        sample_rate=int(stream.get("sample_rate") or 48000),
        channels=int(stream.get("channels") or 2),
        duration=duration,
        start_time=start - format_start,
        index=described.index,
        language=described.language,
        title=described.title,
        default=described.default,
    )


def _is_text_subtitle(stream: Json) -> bool:
    return stream.get("codec_type") == "subtitle" and stream.get("codec_name") in (
        TEXT_SUBTITLE_CODECS
    )


def _stream(stream: Json) -> SourceStream:
    codec = stream.get("codec_name")
    if codec in (None, "unknown"):  # a QuickTime timecode track: only its tag names it
        codec = stream.get("codec_tag_string") or "unknown"
    tags = stream.get("tags") or {}
    return SourceStream(
        index=int(stream.get("index") or 0),
        type=str(stream.get("codec_type") or "unknown"),
        codec=str(codec),
        language=tags.get("language"),
        title=tags.get("title") or tags.get("name"),  # MP4 keeps a track's title as `name`
        default=bool((stream.get("disposition") or {}).get("default")),
        forced=bool((stream.get("disposition") or {}).get("forced")),
    )


def _is_video(stream: Json) -> bool:
    disposition = stream.get("disposition") or {}
    return stream.get("codec_type") == "video" and not disposition.get("attached_pic")


def _ratio(value: object) -> Fraction | None:
    if not isinstance(value, str) or ("/" not in value and ":" not in value):
        return None
    num, den = value.replace(":", "/").split("/")
    if int(den) == 0 or int(num) == 0:
        return None
    return Fraction(int(num), int(den))


def _clock(value: object) -> float | None:
    """Seconds of an `HH:MM:SS.fraction` time (Matroska's DURATION tag); None if not one."""
    parts = str(value).split(":") if isinstance(value, str) else []
    try:
        hours, minutes, seconds = (float(part) for part in parts)
    except ValueError:
        return None
    return 3600 * hours + 60 * minutes + seconds


def _float(value: object, default: float) -> float:
    if value in (None, "N/A", ""):
        return default
    return float(str(value))
