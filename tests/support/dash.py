"""A DASH manifest read with the independent `mpegdash` parser, reduced to the facts tests
check: each Representation's attributes and its segment list, resolved to files."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from mpegdash.nodes import MPEGDASH, AdaptationSet, Representation, SegmentList
from mpegdash.parser import MPEGDASHParser

_DURATION = re.compile(r"^PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?$")


@dataclass(frozen=True)
class DashRepresentation:
    """One Representation: its set's content type and language, its attributes, and its
    segments (init first) as paths beside the manifest with their timeline in ticks."""

    content_type: str
    lang: str | None
    id: str
    bandwidth: int
    codecs: str | None
    mime_type: str | None
    width: int | None
    height: int | None
    frame_rate: str | None
    timescale: int | None
    init: Path | None
    segments: list[Path]
    timeline: list[tuple[int, int]]
    base_url: Path | None
    roles: list[str]


def parse_mpd(path: Path) -> MPEGDASH:
    return MPEGDASHParser.parse(path.read_text())


def seconds(duration: str) -> float:
    """An xs:duration of hours, minutes and seconds (what a VOD manifest states) in seconds."""
    match = _DURATION.match(duration)
    assert match, f"not an xs:duration of H/M/S: {duration}"
    hours, minutes, secs = (float(g) if g else 0.0 for g in match.groups())
    return 3600 * hours + 60 * minutes + secs


def representations(path: Path) -> list[DashRepresentation]:
    """Every Representation of the manifest's only Period, in document order."""
    mpd = parse_mpd(path)
    (period,) = mpd.periods
    found = []
    for adaptation in period.adaptation_sets:
        for representation in adaptation.representations:
            found.append(_representation(path.parent, adaptation, representation))
    return found


def _representation(
    folder: Path, adaptation: AdaptationSet, representation: Representation
) -> DashRepresentation:
    lists: list[SegmentList] = representation.segment_lists or []
    init, segments, timeline, timescale = None, [], [], None
    if lists:
        (segment_list,) = lists
        timescale = segment_list.timescale
        (initialization,) = segment_list.initializations
        init = folder / initialization.source_url
        segments = [folder / u.media for u in segment_list.segment_urls]
        (times,) = segment_list.segment_timelines
        timeline = _timeline(times.Ss)
    base_urls = representation.base_urls or []
    return DashRepresentation(
        content_type=adaptation.content_type,
        lang=adaptation.lang,
        id=representation.id,
        bandwidth=representation.bandwidth,
        codecs=representation.codecs or adaptation.codecs,
        mime_type=representation.mime_type or adaptation.mime_type,
        width=representation.width,
        height=representation.height,
        frame_rate=representation.frame_rate or adaptation.frame_rate,
        timescale=timescale,
        init=init,
        segments=segments,
        timeline=timeline,
        base_url=folder / base_urls[0].base_url_value if base_urls else None,
        roles=[r.value for r in adaptation.roles or []],
    )


def _timeline(entries: list[object]) -> list[tuple[int, int]]:
    """(start, duration) of every segment a SegmentTimeline's S entries describe."""
    found: list[tuple[int, int]] = []
    at = 0
    for s in entries:
        t, d, r = getattr(s, "t", None), getattr(s, "d", None), getattr(s, "r", None)
        assert d is not None
        at = t if t is not None else at
        for _ in range((r or 0) + 1):
            found.append((at, d))
            at += d
    return found
