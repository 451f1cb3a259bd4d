"""Caption outputs: the source's text subtitle streams and the job's caption files, as
WebVTT on the output timeline, written next to MP4s and as HLS subtitle renditions (which a
CMAF ladder's DASH manifest offers too)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from mpr.core.captions import (
    CaptionError,
    Cue,
    follow_trim,
    parse_captions,
    standard_language,
    write_webvtt,
)
from mpr.core.errors import NotFoundError
from mpr.core.hls import SubtitleRendition, single_file_playlist
from mpr.core.models import CaptionSpec, ChunkPlan, JobSpec, MediaInfo, OutputRecord
from mpr.core.naming import unique_name
from mpr.media import captions as media_captions
from mpr.media.tools import Tools
from mpr.ports import Storage

VTT_TYPE = "text/vtt"
PLAYLIST_TYPE = "application/vnd.apple.mpegurl"
MAX_CAPTION_BYTES = 8 * 1024 * 1024  # a feature film's captions are some 100 kB


@dataclass(frozen=True)
class CaptionTrack:
    """One captions output: `name` is unique in the job and names its files."""

    name: str
    label: str
    language: str | None
    default: bool
    forced: bool
    cues: list[Cue]


def check_attached(inputs: Storage, spec: JobSpec) -> None:
    """Read every caption file of the job; CaptionError naming the file and line if one is
    missing or not valid SRT/WebVTT."""
    for caption in spec.captions:
        _attached_cues(inputs, caption)


def caption_tracks(
    inputs: Storage, tools: Tools, spec: JobSpec, media: MediaInfo, plan: ChunkPlan, tmp: Path
) -> list[CaptionTrack]:
    """The job's caption tracks (source streams first, then attached files), cut to the
    planned range and timed from its start. One track at most is the default: the first
    attached file marked so, else the first source stream marked so."""
    texts = media_captions.extract_webvtt(
        tools, inputs.read_url(spec.source), [s.index for s in media.subtitles], tmp / "captions"
    )
    start, end = round(plan.start * 1000), round(plan.end * 1000)
    tracks = []
    for stream in media.subtitles:
        cues = parse_captions(texts[stream.index], f"subtitle stream {stream.index}")
        language = standard_language(stream.language)
        tracks.append(
            CaptionTrack(
                name=language or "und",
                label=stream.title or language or "Captions",
                language=language,
                default=stream.default,
                forced=stream.forced,
                cues=follow_trim(cues, start, end),
            )
        )
    for caption in spec.captions:
        tracks.append(
            CaptionTrack(
                name=caption.language,
                label=caption.label or caption.language,
                language=caption.language,
                default=caption.default,
                forced=caption.forced,
                cues=follow_trim(_attached_cues(inputs, caption), start, end),
            )
        )
    return _distinct(tracks, first_attached=len(media.subtitles))


def _distinct(tracks: list[CaptionTrack], first_attached: int) -> list[CaptionTrack]:
    """The tracks with names and labels made unique (`en-2`, `English 2`) and one default
    at most, an attached file's before a source stream's."""
    defaults = [i for i, track in enumerate(tracks) if track.default]
    chosen = next((i for i in defaults if i >= first_attached), next(iter(defaults), None))
    done: list[CaptionTrack] = []
    for i, track in enumerate(tracks):
        name = unique_name(track.name, {t.name for t in done}, "-{}")
        label = unique_name(track.label, {t.label for t in done}, " {}")
        done.append(replace(track, name=name, label=label, default=i == chosen))
    return done


def write_sidecars(
    outputs: Storage, prefix: str, preset: str, tracks: Sequence[CaptionTrack]
) -> list[OutputRecord]:
    """`<preset>.<track>.vtt` beside the preset's MP4, one per track."""
    records = []
    for track in tracks:
        path = f"{preset}.{track.name}.vtt"
        outputs.put_bytes(prefix + path, write_webvtt(track.cues).encode(), VTT_TYPE)
        records.append(_record(preset, path, [path], track))
    return records


def write_hls(
    outputs: Storage, prefix: str, preset: str, tracks: Sequence[CaptionTrack], duration: float
) -> tuple[list[OutputRecord], list[SubtitleRendition]]:
    """A single-file WebVTT subtitle rendition per track under `<preset>/_captions/` (no
    rung can be named so), and the entries the master playlist lists them by."""
    records, renditions = [], []
    for track in tracks:
        folder = f"_captions/{track.name}"
        vtt, playlist = f"{preset}/{folder}/captions.vtt", f"{preset}/{folder}/index.m3u8"
        body = write_webvtt(track.cues).encode()
        outputs.put_bytes(prefix + vtt, body, VTT_TYPE)
        text = single_file_playlist("captions.vtt", duration)
        outputs.put_bytes(prefix + playlist, text.encode(), PLAYLIST_TYPE)
        records.append(_record(preset, playlist, [playlist, vtt], track, duration))
        renditions.append(
            SubtitleRendition(
                uri=f"{folder}/index.m3u8",
                file=f"{folder}/captions.vtt",
                size=len(body),
                name=track.label,
                language=track.language,
                default=track.default,
                forced=track.forced,
            )
        )
    return records, renditions


def caption_file_problem(inputs: Storage, key: str, name: str) -> str | None:
    """Why the file at `key` cannot be carried as captions (naming it `name`, with the
    line where that applies), or None if it is good SRT or WebVTT."""
    try:
        _read_cues(inputs, key, name)
    except CaptionError as exc:
        return str(exc)
    return None


def _attached_cues(inputs: Storage, caption: CaptionSpec) -> list[Cue]:
    return _read_cues(inputs, caption.source, caption.source)


def _read_cues(inputs: Storage, key: str, name: str) -> list[Cue]:
    try:
        size = inputs.size(key)
        if size > MAX_CAPTION_BYTES:
            raise CaptionError(
                f"caption file '{name}' is {size} bytes; the limit is {MAX_CAPTION_BYTES} bytes"
            )
        data = inputs.get_bytes(key)
    except NotFoundError as exc:
        raise CaptionError(f"caption file '{name}' does not exist") from exc
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CaptionError(
            f"{name}: not UTF-8 text, so not SRT or WebVTT ({exc.reason} at byte {exc.start})"
        ) from exc
    return parse_captions(text, name)


def _record(
    preset: str,
    path: str,
    files: list[str],
    track: CaptionTrack,
    duration: float | None = None,
) -> OutputRecord:
    return OutputRecord(
        preset=preset,
        kind="captions",
        path=path,
        duration=duration,
        files=files,
        language=track.language,
        label=track.label,
        default=track.default,
        forced=track.forced,
    )
