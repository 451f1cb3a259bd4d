"""Built-in presets, custom presets from JSON, and sizing renditions for a given source."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from pydantic import ValidationError

from mpr.core.errors import InvalidInputError, UnknownPresetError
from mpr.core.models import (
    AudioEncoding,
    MediaInfo,
    Preset,
    SizedRendition,
    ThumbnailSpec,
    VideoRendition,
)

_LADDER = {
    1080: VideoRendition(name="1080p", height=1080, max_bitrate_kbps=6000, crf=21),
    720: VideoRendition(name="720p", height=720, max_bitrate_kbps=3500, crf=21),
    480: VideoRendition(name="480p", height=480, max_bitrate_kbps=1500, crf=22),
    360: VideoRendition(name="360p", height=360, max_bitrate_kbps=900, crf=23),
}

_BUILTIN: tuple[Preset, ...] = (
    Preset(
        name="mp4-1080p",
        kind="mp4",
        description="H.264/AAC MP4, 1080p (never upscaled), faststart",
        renditions=[_LADDER[1080]],
    ),
    Preset(
        name="mp4-720p",
        kind="mp4",
        description="H.264/AAC MP4, 720p (never upscaled), faststart",
        renditions=[_LADDER[720]],
    ),
    Preset(
        name="hls-ladder",
        kind="hls",
        description="fMP4 HLS ladder 1080p/720p/480p/360p H.264 + AAC, capped at the source",
        renditions=[_LADDER[h] for h in (1080, 720, 480, 360)],
    ),
    Preset(
        name="cmaf-ladder",
        kind="cmaf",
        description="CMAF ladder 1080p/720p/480p/360p H.264 + AAC, one set of fMP4 segments "
        "served by an HLS master playlist and a DASH manifest, capped at the source",
        renditions=[_LADDER[h] for h in (1080, 720, 480, 360)],
    ),
    Preset(
        name="audio-aac",
        kind="audio",
        description="AAC-LC M4A, 128 kb/s a track, every carried audio track",
        audio=AudioEncoding(codec="aac", bitrate_kbps=128),
    ),
    Preset(
        name="audio-opus",
        kind="audio",
        description="Opus in M4A (MP4), 96 kb/s a track, every carried audio track",
        audio=AudioEncoding(codec="opus", bitrate_kbps=96),
    ),
    Preset(
        name="thumbnails",
        kind="thumbnails",
        description="JPEG thumbnails every 10 s and a scrubbing sprite with WebVTT",
        thumbnails=ThumbnailSpec(),
    ),
)


def builtin_presets() -> dict[str, Preset]:
    """The presets every installation has, by name."""
    return {p.name: p for p in _BUILTIN}


def parse_preset(data: str | bytes | Mapping[str, object]) -> Preset:
    """Validate a custom preset given as JSON text or a mapping."""
    try:
        if isinstance(data, str | bytes):
            return Preset.model_validate_json(data)
        return Preset.model_validate(data)
    except ValidationError as exc:
        raise InvalidInputError(f"invalid preset: {_first_error(exc)}") from exc


def custom_preset(name: str, renditions: Iterable[VideoRendition], kind: str = "hls") -> Preset:
    """An ad-hoc preset made of custom renditions (one rendition makes an MP4)."""
    items = list(renditions)
    chosen = "mp4" if len(items) == 1 and kind == "mp4" else kind
    return parse_preset(
        {"name": name, "kind": chosen, "renditions": [r.model_dump() for r in items]}
    )


def resolve_presets(
    names: Iterable[str], custom: Mapping[str, Preset] | None = None
) -> list[Preset]:
    """Presets by name from the built-ins and `custom`; UnknownPresetError names the first miss."""
    known = builtin_presets() | dict(custom or {})
    chosen: list[Preset] = []
    for name in names:
        if name not in known:
            raise UnknownPresetError(
                f"unknown preset '{name}'; known presets: {', '.join(sorted(known))}"
            )
        if known[name] not in chosen:
            chosen.append(known[name])
    if not chosen:
        raise InvalidInputError("at least one preset is required")
    return chosen


def _even(value: float, limit: int | None = None) -> int:
    """Nearest even number, or the even number below `limit` where rounding would pass it."""
    even = max(2, round(value / 2) * 2)
    if limit is not None and even > limit:
        even = max(2, limit // 2 * 2)
    return even


def size_rendition(rendition: VideoRendition, media: MediaInfo, cap: bool = True) -> SizedRendition:
    """Output size keeping the display aspect ratio, even dimensions, never upscaled if `cap`."""
    src_w, src_h = media.video.display_width, media.video.display_height
    if cap:
        height = _even(min(rendition.height, src_h), src_h)
        width = _even(src_w * height / src_h, src_w)
    else:
        height = _even(rendition.height)
        width = _even(src_w * height / src_h)
    return SizedRendition(rendition=rendition, width=width, height=height)


def renditions_for(preset: Preset, media: MediaInfo) -> list[SizedRendition]:
    """The renditions a preset yields for this source (ladder rungs above the source
    dropped)."""
    if preset.kind == "thumbnails":
        return []
    if preset.segmented and preset.cap_to_source:
        fitting = [r for r in preset.renditions if r.height <= media.video.display_height]
        if not fitting:
            fitting = [min(preset.renditions, key=lambda r: r.height)]
        return _unique([size_rendition(r, media) for r in fitting])
    return _unique([size_rendition(r, media, cap=preset.cap_to_source) for r in preset.renditions])


def _unique(items: list[SizedRendition]) -> list[SizedRendition]:
    seen: dict[str, SizedRendition] = {}
    for item in items:
        seen.setdefault(item.id, item)
    return list(seen.values())


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"]) or "preset"
    return f"{where}: {err['msg']}"
