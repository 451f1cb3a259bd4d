"""Caption text: reading SRT and WebVTT into cues, checking them, following a trim, writing
WebVTT.

Errors name the line they found wrong (1-based), so a user can fix the file. Times are
kept in whole milliseconds, the resolution both formats write.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import langcodes

from mpr.core.errors import InvalidInputError

TEXT_SUBTITLE_CODECS = frozenset({"mov_text", "subrip", "srt", "webvtt", "ass", "ssa", "text"})

_SRT_TIME = r"(\d{1,3}):([0-5]\d):([0-5]\d)[,.](\d{3})"
_VTT_TIME = r"(?:(\d{1,3}):)?([0-5]\d):([0-5]\d)\.(\d{3})"
_SRT_TIMING = re.compile(rf"^\s*{_SRT_TIME}\s*-->\s*{_SRT_TIME}(?:\s+.*)?$")
_VTT_TIMING = re.compile(rf"^{_VTT_TIME}[ \t]+-->[ \t]+{_VTT_TIME}(?:[ \t]+(.*))?$")
_TAG_CHARS = re.compile(r"^[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*$")
_VTT_HEADER = re.compile(r"^WEBVTT(?:[ \t].*)?$")


@dataclass(frozen=True, order=True)
class Cue:
    """One caption: shown from `start` to `end` (milliseconds), with its text lines."""

    start: int
    end: int
    text: str
    settings: str = ""  # WebVTT cue settings (position, align, ...), kept as written


class CaptionError(InvalidInputError):
    """A caption file or track that cannot be used, with the place it went wrong."""

    code = "CaptionError"


def parse_captions(text: str, name: str) -> list[Cue]:
    """The cues of SRT or WebVTT `text` (told apart by the `WEBVTT` header), in order of
    appearance. `name` is how errors refer to the file."""
    lines = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None:
        raise CaptionError(f"{name}: the file is empty, not SRT or WebVTT")
    if lines[first].startswith("WEBVTT"):
        return _parse_vtt(lines, name)
    srt_timing = first + 1 < len(lines) and _SRT_TIMING.match(lines[first + 1])
    if lines[first].strip().isdigit() and srt_timing:
        return _parse_srt(lines, name)
    raise CaptionError(
        f"{name} line {first + 1}: not SRT or WebVTT (a WebVTT file starts with 'WEBVTT', "
        "an SRT file with a cue number and a timing line)"
    )


def _parse_srt(lines: list[str], name: str) -> list[Cue]:
    cues: list[Cue] = []
    i = 0
    while i < len(lines):
        if not lines[i].strip():
            i += 1
            continue
        if not lines[i].strip().isdigit():
            raise CaptionError(f"{name} line {i + 1}: expected a cue number, got {lines[i]!r}")
        timing = lines[i + 1] if i + 1 < len(lines) else ""
        match = _SRT_TIMING.match(timing)
        if match is None:
            raise CaptionError(f"{name} line {i + 2}: bad timing line {timing!r}")
        start, end = _millis(match.groups()[:4]), _millis(match.groups()[4:8])
        _check_order(start, end, name, i + 2)
        i += 2
        body: list[str] = []
        while i < len(lines) and lines[i].strip():
            body.append(lines[i])
            i += 1
        cues.append(Cue(start, end, "\n".join(body)))
    return cues


def _parse_vtt(lines: list[str], name: str) -> list[Cue]:
    first = next(i for i, line in enumerate(lines) if line.strip())
    if not _VTT_HEADER.match(lines[first]):
        raise CaptionError(f"{name} line {first + 1}: bad WebVTT header {lines[first]!r}")
    cues: list[Cue] = []
    i = _skip_block(lines, first)
    while i < len(lines):
        if not lines[i].strip():
            i += 1
            continue
        stop = _skip_block(lines, i)
        block = lines[i:stop]
        if block[0].startswith(("NOTE", "STYLE", "REGION")) and "-->" not in block[0]:
            i = stop
            continue
        at = 0 if "-->" in block[0] else 1  # else the first line is the cue's identifier
        timing = block[at] if at < len(block) else ""
        match = _VTT_TIMING.match(timing.strip())
        if match is None:
            raise CaptionError(f"{name} line {i + at + 1}: bad timing line {timing!r}")
        groups = match.groups()
        start, end = _millis(groups[:4]), _millis(groups[4:8])
        _check_order(start, end, name, i + at + 1)
        cues.append(Cue(start, end, "\n".join(block[at + 1 :]), groups[8] or ""))
        i = stop
    return cues


def _skip_block(lines: list[str], i: int) -> int:
    """The index of the first blank line after line `i` (or the end)."""
    i += 1
    while i < len(lines) and lines[i].strip():
        i += 1
    return i


def _millis(parts: Sequence[str | None]) -> int:
    hours, minutes, seconds, millis = (int(p or 0) for p in parts)
    return ((hours * 60 + minutes) * 60 + seconds) * 1000 + millis


def _check_order(start: int, end: int, name: str, line: int) -> None:
    if end < start:
        raise CaptionError(
            f"{name} line {line}: cue ends at {format_time(end)}, before its start "
            f"{format_time(start)}"
        )


def check_language(tag: str) -> str:
    """`tag` if it is a well-formed, registered BCP 47 language tag; CaptionError if not."""
    if not _TAG_CHARS.match(tag) or not langcodes.tag_is_valid(tag):
        raise CaptionError(f"language {tag!r} is not a BCP 47 language tag (e.g. 'en', 'pt-BR')")
    return tag


def standard_language(tag: str | None) -> str | None:
    """The shortest BCP 47 form of a container's language tag (`eng` -> `en`); None for
    none, `und`, or a tag that is not BCP 47."""
    if not tag or tag == "und" or not _TAG_CHARS.match(tag) or not langcodes.tag_is_valid(tag):
        return None
    return str(langcodes.standardize_tag(tag))


def follow_trim(cues: Iterable[Cue], start: int, end: int | None) -> list[Cue]:
    """The cues shown between `start` and `end` (ms on the source timeline), on the output
    timeline that begins at `start`: cues crossing a bound are cut at it, cues wholly
    outside are dropped, and so are cues left with no time on screen."""
    kept: list[Cue] = []
    for cue in cues:
        cut_start = max(cue.start, start)
        cut_end = cue.end if end is None else min(cue.end, end)
        if cut_end > cut_start:
            kept.append(Cue(cut_start - start, cut_end - start, cue.text, cue.settings))
    return kept


def format_time(millis: int) -> str:
    """`HH:MM:SS.mmm`, the WebVTT timestamp form."""
    seconds, ms = divmod(millis, 1000)
    minutes, s = divmod(seconds, 60)
    hours, m = divmod(minutes, 60)
    return f"{hours:02d}:{m:02d}:{s:02d}.{ms:03d}"


def write_webvtt(cues: Iterable[Cue]) -> str:
    """A WebVTT file of `cues` in start order. Text lines that would end a cue (blank) or
    be taken for a timing line (`-->`) are made harmless."""
    out = ["WEBVTT", ""]
    for cue in sorted(cues, key=lambda c: (c.start, c.end)):
        timing = f"{format_time(cue.start)} --> {format_time(cue.end)}"
        out.append(f"{timing} {cue.settings}" if cue.settings else timing)
        out.extend(line.replace("-->", "--&gt;") for line in cue.text.split("\n") if line.strip())
        out.append("")
    return "\n".join(out)
