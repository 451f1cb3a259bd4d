"""The DASH manifest writer, read back by the independent `mpegdash` parser (and the standard
library's XML parser for the elements `mpegdash` skips), against fixed expected facts."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from itertools import pairwise
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from mpr.core.dash import (
    AudioRendition,
    Track,
    VideoRepresentation,
    frame_rate,
    in_ticks,
    iso_duration,
    manifest,
    timeline,
)
from mpr.core.hls import Segment, SubtitleRendition
from tests.support.dash import parse_mpd, representations, seconds

NS = {"d": "urn:mpeg:dash:schema:mpd:2011"}
# A 12.012 s 29.97 fps rung cut into chunks of 6.006 s, each a 4.004 s and a 2.002 s
# segment; and its audio at 48 kHz, cut every 4 s (1024-sample frames).
RUNG = [
    Segment(uri="seg_00000_000.m4s", duration=4.004, size=600_600, ticks=120120),
    Segment(uri="seg_00000_001.m4s", duration=2.002, size=200_200, ticks=60060),
    Segment(uri="seg_00001_000.m4s", duration=4.004, size=500_500, ticks=120120),
    Segment(uri="seg_00001_001.m4s", duration=2.002, size=250_250, ticks=60060),
]
AUDIO = [
    Segment(uri="seg_000.m4s", duration=4.010667, size=64_000, ticks=192512),
    Segment(uri="seg_001.m4s", duration=4.010667, size=64_000, ticks=192512),
    Segment(uri="seg_002.m4s", duration=4.0, size=64_000, ticks=192000),
]


def _video(name: str, width: int, height: int) -> VideoRepresentation:
    return VideoRepresentation(
        id=name,
        track=Track(folder=name, timescale=30000, segments=RUNG),
        bandwidth=1_200_000,
        width=width,
        height=height,
        codecs="avc1.64001f",
        frame_rate=30000 / 1001,
    )


def _audio(language: str | None, name: str, default: bool) -> AudioRendition:
    return AudioRendition(
        id=f"audio-{name}",
        track=Track(folder=f"_audio/{name}", timescale=48000, segments=AUDIO),
        bandwidth=128_000,
        codecs="mp4a.40.2",
        sample_rate=48000,
        channels=2,
        name=name,
        language=language,
        default=default,
    )


CAPTIONS = [
    SubtitleRendition(
        uri="_captions/en/index.m3u8",
        file="_captions/en/captions.vtt",
        size=3003,
        name="English <CC> & more",
        language="en",
    ),
    SubtitleRendition(
        uri="_captions/fr/index.m3u8",
        file="_captions/fr/captions.vtt",
        size=1001,
        name="Français",
        language="fr",
        default=True,
        forced=True,
    ),
]


@pytest.fixture
def written(tmp_path: Path) -> Path:
    """The manifest of two rungs, two audio tracks (English default, Spanish) and two
    captions tracks."""
    path = tmp_path / "manifest.mpd"
    path.write_text(
        manifest(
            12.012,
            [_video("720p", 1280, 720), _video("360p", 640, 360)],
            [_audio("en", "English", True), _audio("es", "Español", False)],
            CAPTIONS,
        )
    )
    return path


def test_manifest_is_static_with_its_exact_duration(written: Path) -> None:
    mpd = parse_mpd(written)
    assert mpd.type == "static"
    assert mpd.profiles == "urn:mpeg:dash:profile:isoff-main:2011"
    assert mpd.media_presentation_duration == "PT12.012S"
    assert seconds(mpd.min_buffer_time) >= max(s.duration for s in RUNG + AUDIO)
    (period,) = mpd.periods
    assert [a.content_type for a in period.adaptation_sets] == [
        "video",
        "audio",
        "audio",
        "text",
        "text",
    ]
    assert len({a.id for a in period.adaptation_sets}) == 5


def test_each_rung_lists_its_segments_with_exact_ticks(written: Path) -> None:
    videos = [r for r in representations(written) if r.content_type == "video"]
    assert [(v.id, v.width, v.height, v.frame_rate, v.codecs, v.bandwidth) for v in videos] == [
        ("720p", 1280, 720, "30000/1001", "avc1.64001f", 1_200_000),
        ("360p", 640, 360, "30000/1001", "avc1.64001f", 1_200_000),
    ]
    root = ET.parse(written).getroot()
    for found in root.iterfind(".//d:AdaptationSet[@contentType='video']/d:Representation", NS):
        assert found.get("mimeType") == "video/mp4"
    for video in videos:
        assert video.timescale == 30000
        assert video.init == written.parent / video.id / "init.mp4"
        assert video.segments == [written.parent / video.id / s.uri for s in RUNG]
        # 4.004 s and 2.002 s at 30000 ticks a second, from 0, one after the other
        assert video.timeline == [(0, 120120), (120120, 60060), (180180, 120120), (300300, 60060)]


def test_each_audio_track_is_an_adaptation_set_of_its_own(written: Path) -> None:
    audio = [r for r in representations(written) if r.content_type == "audio"]
    assert [(a.id, a.lang, a.roles, a.codecs, a.mime_type) for a in audio] == [
        ("audio-English", "en", ["main"], "mp4a.40.2", "audio/mp4"),
        ("audio-Español", "es", ["alternate"], "mp4a.40.2", "audio/mp4"),
    ]
    for track in audio:
        assert (
            track.init == written.parent / "_audio" / track.id.removeprefix("audio-") / "init.mp4"
        )
        assert track.timeline == [(0, 192512), (192512, 192512), (385024, 192000)]
    root = ET.parse(written).getroot()
    sets = root.findall(".//d:AdaptationSet[@contentType='audio']", NS)
    assert [s.findtext("d:Label", namespaces=NS) for s in sets] == ["English", "Español"]
    for found in sets:
        rep = found.find("d:Representation", NS)
        assert rep is not None
        assert rep.get("mimeType") == "audio/mp4"
        assert rep.get("audioSamplingRate") == "48000"
        channels = rep.find("d:AudioChannelConfiguration", NS)
        assert channels is not None
        assert channels.attrib == {
            "schemeIdUri": "urn:mpeg:mpegB:cicp:ChannelConfiguration",
            "value": "2",
        }


def test_the_default_audio_set_is_main_and_every_other_one_alternate(tmp_path: Path) -> None:
    # Given three audio tracks, the second the default
    path = tmp_path / "manifest.mpd"
    tracks = [
        _audio("en", "English", False),
        _audio("es", "Español", True),
        _audio(None, "x", False),
    ]
    path.write_text(manifest(12.012, [_video("720p", 1280, 720)], tracks))
    # When the manifest is read with the standard library's XML parser
    sets = ET.parse(path).getroot().findall(".//d:AdaptationSet[@contentType='audio']", NS)
    # Then each set has exactly one Role of the DASH role scheme: main for the default
    roles = [[r.attrib for r in s.findall("d:Role", NS)] for s in sets]
    scheme = "urn:mpeg:dash:role:2011"
    assert roles == [
        [{"schemeIdUri": scheme, "value": "alternate"}],
        [{"schemeIdUri": scheme, "value": "main"}],
        [{"schemeIdUri": scheme, "value": "alternate"}],
    ]


def test_each_captions_track_is_a_webvtt_text_set(written: Path) -> None:
    texts = [r for r in representations(written) if r.content_type == "text"]
    assert [(t.lang, t.mime_type, t.roles, t.base_url) for t in texts] == [
        ("en", "text/vtt", ["subtitle"], written.parent / "_captions/en/captions.vtt"),
        (
            "fr",
            "text/vtt",
            ["forced-subtitle", "main"],
            written.parent / "_captions/fr/captions.vtt",
        ),
    ]
    # bandwidth: the file's bits over the presentation
    assert [t.bandwidth for t in texts] == [2000, 667]
    root = ET.parse(written).getroot()
    labels = [
        s.findtext("d:Label", namespaces=NS)
        for s in root.findall(".//d:AdaptationSet[@contentType='text']", NS)
    ]
    assert labels == ["English <CC> & more", "Français"]


def test_equal_segments_share_one_timeline_entry() -> None:
    segments = [Segment(uri=f"s{i}.m4s", duration=2.0, ticks=30720) for i in range(3)] + [
        Segment(uri="s3.m4s", duration=1.5, ticks=23040)
    ]
    video = _video("v", 320, 180).model_copy(
        update={"track": Track(folder="v", timescale=15360, segments=segments)}
    )
    root = ET.fromstring(manifest(7.5, [video]))
    entries = [s.attrib for s in root.iterfind(".//d:SegmentTimeline/d:S", NS)]
    assert entries == [{"t": "0", "d": "30720", "r": "2"}, {"d": "23040"}]
    # a ladder without audio or captions has the video set only
    assert [a.get("contentType") for a in root.iterfind(".//d:AdaptationSet", NS)] == ["video"]


@pytest.mark.parametrize(
    ("value", "text"),
    [(6.0, "PT6S"), (12.012, "PT12.012S"), (600.0, "PT600S"), (0.0333667, "PT0.033367S")],
)
def test_iso_durations(value: float, text: str) -> None:
    assert iso_duration(value) == text


@pytest.mark.parametrize(
    ("fps", "text"),
    [(30.0, "30"), (25.0, "25"), (30000 / 1001, "30000/1001"), (24000 / 1001, "24000/1001")],
)
def test_frame_rates(fps: float, text: str) -> None:
    assert frame_rate(fps) == text


def test_a_track_needs_every_duration_in_ticks() -> None:
    with pytest.raises(ValidationError, match="needs its duration in ticks"):
        Track(folder="v", timescale=30000, segments=[*RUNG, Segment(uri="x.m4s", duration=1.0)])


def test_stated_durations_become_ticks_the_last_one_the_rest() -> None:
    # Given a chunk of 6.006 s at 30000 ticks a second, cut into 4.004 s and 2.002 s, as
    # ffmpeg states them and the last as what the chunk leaves (a float with its error)
    stated = [Segment(uri="a.m4s", duration=4.004), Segment(uri="b.m4s", duration=6.006 - 4.004)]
    # Then they are 120120 and 60060 ticks: the chunk's 180180
    assert [s.ticks for s in in_ticks(stated, 30000, 180180)] == [120120, 60060]
    # and audio durations stated to the microsecond are whole 1024-sample frames again
    audio = [Segment(uri="c.m4s", duration=4.010667), Segment(uri="d.m4s", duration=1.989333)]
    assert [s.ticks for s in in_ticks(audio, 48000)] == [192512, 95488]


@given(
    st.lists(st.integers(min_value=1, max_value=10 * 90000), min_size=1, max_size=200),
    st.sampled_from([600, 1000, 12800, 15360, 30000, 44100, 48000, 90000, 600000, 1_000_000]),
)
def test_durations_to_the_microsecond_are_exact_ticks(ticks: list[int], timescale: int) -> None:
    # Given segments of whole ticks whose durations are stated to the microsecond, the last
    # one as what the whole leaves after the others (so carrying all their rounding)
    stated = [round(t / timescale, 6) for t in ticks]
    total = sum(ticks)
    stated[-1] = total / timescale - sum(stated[:-1])
    segments = [Segment(uri=f"{i}.m4s", duration=d) for i, d in enumerate(stated)]
    # Then every one is its ticks again, and the timeline runs from 0 without a gap
    timed = in_ticks(segments, timescale, total)
    assert [s.ticks for s in timed] == ticks
    found = timeline(timed)
    assert found[0][0] == 0
    assert all(a[0] + a[1] == b[0] for a, b in pairwise(found))
    assert sum(d for _, d in found) == total
