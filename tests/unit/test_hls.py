"""HLS playlists: reading ffmpeg's media playlists and writing the master playlist."""

from __future__ import annotations

import m3u8
import pytest

from mpr.core.hls import (
    SubtitleRendition,
    Variant,
    avc1_codec,
    bandwidths,
    master_playlist,
    segments,
    single_file_playlist,
)

# Written by ffmpeg 8.1 (`-f hls -hls_segment_type fmp4`) for the bikes sample clip
MEDIA_PLAYLIST = """#EXTM3U
#EXT-X-VERSION:7
#EXT-X-TARGETDURATION:5
#EXT-X-MEDIA-SEQUENCE:0
#EXT-X-PLAYLIST-TYPE:VOD
#EXT-X-INDEPENDENT-SEGMENTS
#EXT-X-MAP:URI="init.mp4"
#EXTINF:5.480000,
seg_00000.m4s
#EXTINF:4.200000,
seg_00001.m4s
#EXTINF:0.320000,
seg_00002.m4s
#EXT-X-ENDLIST
"""


def test_segments_are_read_with_their_durations() -> None:
    # When ffmpeg's media playlist is read, Then each segment and its duration is found
    # (the init segment named by EXT-X-MAP is not a media segment)
    assert segments(MEDIA_PLAYLIST) == [
        (5.48, "seg_00000.m4s"),
        (4.2, "seg_00001.m4s"),
        (0.32, "seg_00002.m4s"),
    ]


def test_segments_tolerate_titles_blank_lines_and_crlf() -> None:
    text = "#EXTM3U\r\n\r\n#EXTINF:2.5,title\r\n a.m4s \r\n#EXTINF:1,\r\nb.m4s\r\n"
    assert segments(text) == [(2.5, "a.m4s"), (1.0, "b.m4s")]


def test_segments_of_an_empty_playlist() -> None:
    assert segments("#EXTM3U\n#EXT-X-ENDLIST\n") == []


def test_bandwidths_are_the_peak_and_the_average_segment_rate() -> None:
    # Given the real segment sizes of that playlist (bytes)
    sized = [(5.48, 265_401), (4.2, 224_550), (0.32, 19_666)]
    # Then the peak is the short last segment's rate and the average is bits over seconds
    peak, average = bandwidths(sized)
    assert peak == 491_650  # 8 * 19,666 / 0.32
    assert average == 407_694  # 8 * 509,617 / 10.0, rounded


def test_segment_without_duration_has_no_peak_rate_but_its_bytes_count() -> None:
    assert bandwidths([(0.0, 1000), (2.0, 1000)]) == (4000, 8000)
    assert bandwidths([]) == (0, 0)


@pytest.mark.parametrize(
    ("profile", "level", "codec"),
    [
        ("High", 31, "avc1.64001f"),
        ("Main", 30, "avc1.4d401e"),
        ("Constrained Baseline", 30, "avc1.42e01e"),
        ("Baseline", 30, "avc1.42001e"),
        ("high", 40, "avc1.640028"),
        (" HIGH ", 51, "avc1.640033"),
    ],
)
def test_avc1_codec_strings(profile: str, level: int, codec: str) -> None:
    assert avc1_codec(profile, level) == codec


def test_master_playlist_lists_rungs_highest_first() -> None:
    # Given two rungs in no particular order
    low = Variant(
        uri="360p/index.m3u8",
        bandwidth=1_000_000,
        average_bandwidth=800_000,
        width=640,
        height=360,
        codecs="avc1.64001e,mp4a.40.2",
        frame_rate=25.0,
    )
    high = Variant(
        uri="720p/index.m3u8",
        bandwidth=4_000_000,
        average_bandwidth=3_100_000,
        width=1280,
        height=720,
        codecs="avc1.64001f,mp4a.40.2",
        frame_rate=30000 / 1001,
    )
    # When the master playlist is written
    text = master_playlist([low, high])
    # Then it is exactly these lines
    assert text.splitlines() == [
        "#EXTM3U",
        "#EXT-X-VERSION:7",
        "#EXT-X-INDEPENDENT-SEGMENTS",
        "#EXT-X-STREAM-INF:BANDWIDTH=4000000,AVERAGE-BANDWIDTH=3100000,RESOLUTION=1280x720,"
        'CODECS="avc1.64001f,mp4a.40.2",FRAME-RATE=29.970',
        "720p/index.m3u8",
        "#EXT-X-STREAM-INF:BANDWIDTH=1000000,AVERAGE-BANDWIDTH=800000,RESOLUTION=640x360,"
        'CODECS="avc1.64001e,mp4a.40.2",FRAME-RATE=25.000',
        "360p/index.m3u8",
    ]
    assert text.endswith("\n")


PT_BR = "captions/pt-BR/index.m3u8"


def test_master_playlist_offers_subtitles_to_every_rung() -> None:
    # Given two rungs and two subtitle renditions, one default, one forced
    rungs = [
        Variant(
            uri=f"{h}p/index.m3u8",
            bandwidth=h * 1000,
            average_bandwidth=h * 900,
            width=h * 16 // 9,
            height=h,
            codecs="avc1.64001e,mp4a.40.2",
            frame_rate=25.0,
        )
        for h in (360, 720)
    ]
    subtitles = [
        SubtitleRendition(uri="captions/en/index.m3u8", name="English", language="en"),
        SubtitleRendition(
            uri=PT_BR,
            name='Português "BR"',
            language="pt-BR",
            default=True,
            forced=True,
        ),
    ]
    # When the master playlist is written and read back by the m3u8 package
    parsed = m3u8.loads(master_playlist(rungs, subtitles))
    # Then it lists both renditions in one group, with their flags
    assert [
        (m.type, m.group_id, m.name, m.language, m.default, m.autoselect, m.forced, m.uri)
        for m in parsed.media
    ] == [
        ("SUBTITLES", "subs", "English", "en", "NO", "YES", "NO", "captions/en/index.m3u8"),
        ("SUBTITLES", "subs", "Português 'BR'", "pt-BR", "YES", "YES", "YES", PT_BR),
    ]
    # and every rung refers to that group
    assert [p.stream_info.subtitles for p in parsed.playlists] == ["subs", "subs"]


@pytest.mark.parametrize(("duration", "target"), [(0.04, 1), (2.0, 2), (2.001, 3), (7200.5, 7201)])
def test_single_file_playlist_is_one_segment_as_long_as_the_range(
    duration: float, target: int
) -> None:
    parsed = m3u8.loads(single_file_playlist("captions.vtt", duration))
    assert parsed.is_endlist
    assert parsed.playlist_type == "vod"
    assert parsed.target_duration == target
    assert [(s.uri, s.duration) for s in parsed.segments] == [("captions.vtt", round(duration, 3))]
