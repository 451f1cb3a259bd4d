"""HLS playlists: reading ffmpeg's media playlists and writing the master playlist."""

from __future__ import annotations

import m3u8
import pytest

from mpr.core.hls import (
    AudioRendition,
    Segment,
    SubtitleRendition,
    Variant,
    avc1_codec,
    bandwidths,
    master_playlist,
    media_playlist,
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
        SubtitleRendition(
            uri="captions/en/index.m3u8",
            file="captions/en/captions.vtt",
            size=100,
            name="English",
            language="en",
        ),
        SubtitleRendition(
            uri=PT_BR,
            file="captions/pt-BR/captions.vtt",
            size=100,
            name='Português "BR"',
            language="pt-BR",
            default=True,
            forced=True,
        ),
    ]
    # When the master playlist is written and read back by the m3u8 package
    audio = [AudioRendition(uri="_audio-0/index.m3u8", name="audio", default=True)]
    parsed = m3u8.loads(master_playlist(rungs, audio, subtitles))
    # Then it lists both renditions in one group, with their flags, after the audio
    assert [
        (m.type, m.group_id, m.name, m.language, m.default, m.autoselect, m.forced, m.uri)
        for m in parsed.media
    ] == [
        ("AUDIO", "audio", "audio", None, "YES", "YES", None, "_audio-0/index.m3u8"),
        ("SUBTITLES", "subs", "English", "en", "NO", "YES", "NO", "captions/en/index.m3u8"),
        ("SUBTITLES", "subs", "Português 'BR'", "pt-BR", "YES", "YES", "YES", PT_BR),
    ]
    # and every rung refers to both groups
    assert [(p.stream_info.audio, p.stream_info.subtitles) for p in parsed.playlists] == [
        ("audio", "subs"),
        ("audio", "subs"),
    ]


@pytest.mark.parametrize(("duration", "target"), [(0.04, 1), (2.0, 2), (2.001, 3), (7200.5, 7201)])
def test_single_file_playlist_is_one_segment_as_long_as_the_range(
    duration: float, target: int
) -> None:
    parsed = m3u8.loads(single_file_playlist("captions.vtt", duration))
    assert parsed.is_endlist
    assert parsed.playlist_type == "vod"
    assert parsed.target_duration == target
    assert [(s.uri, s.duration) for s in parsed.segments] == [("captions.vtt", round(duration, 3))]


def test_media_playlist_lists_segments_with_exact_durations_and_one_init() -> None:
    # Given the segments of three chunks (the last of each shorter)
    made = [
        Segment(uri="seg_00000_000.m4s", duration=4.0),
        Segment(uri="seg_00000_001.m4s", duration=2.0),
        Segment(uri="seg_00001_000.m4s", duration=4.0),
        Segment(uri="seg_00001_001.m4s", duration=1.966667),
        Segment(uri="seg_00002_000.m4s", duration=0.5),
    ]
    # When the rung's playlist is written and read back by another parser
    parsed = m3u8.loads(media_playlist(made))
    # Then it is a VOD playlist of those segments, in order, over one init segment
    assert parsed.playlist_type == "vod"
    assert parsed.is_endlist
    assert parsed.version == 7
    assert [s.uri for s in parsed.segments] == [s.uri for s in made]
    assert [s.duration for s in parsed.segments] == [s.duration for s in made]
    assert {s.init_section.uri for s in parsed.segments} == {"init.mp4"}
    # with no discontinuity between chunks, and a target duration no segment exceeds
    assert not any(s.discontinuity for s in parsed.segments)
    assert parsed.target_duration == 4


@pytest.mark.parametrize(
    ("longest", "target"), [(4.0, 4), (4.0000004, 4), (4.01, 5), (3.2, 4), (0.4, 1)]
)
def test_target_duration_is_the_longest_segment_rounded_up(longest: float, target: int) -> None:
    text = media_playlist([Segment(uri="a.m4s", duration=longest)])
    assert m3u8.loads(text).target_duration == target


RUNG = Variant(
    uri="360p/index.m3u8",
    bandwidth=1_000_000,
    average_bandwidth=800_000,
    width=640,
    height=360,
    codecs="avc1.64001e,mp4a.40.2",
    frame_rate=25.0,
)


def test_master_playlist_offers_every_audio_track_in_one_group() -> None:
    # Given three audio renditions, the second the default, one name with quotes
    audio = [
        AudioRendition(uri="_audio-0/index.m3u8", name="English", language="en"),
        AudioRendition(uri="_audio-1/index.m3u8", name="Español", language="es", default=True),
        AudioRendition(uri="_audio-2/index.m3u8", name='Director "cut"'),
    ]
    # When the master playlist is written and read back by the m3u8 package
    parsed = m3u8.loads(master_playlist([RUNG], audio))
    # Then each is an AUDIO rendition of the one group, only the second the default
    assert [
        (m.type, m.group_id, m.name, m.language, m.default, m.autoselect, m.uri)
        for m in parsed.media
    ] == [
        ("AUDIO", "audio", "English", "en", "NO", "YES", "_audio-0/index.m3u8"),
        ("AUDIO", "audio", "Español", "es", "YES", "YES", "_audio-1/index.m3u8"),
        ("AUDIO", "audio", "Director 'cut'", None, "NO", "YES", "_audio-2/index.m3u8"),
    ]
    # and the variant plays that group
    (variant,) = parsed.playlists
    assert variant.stream_info.audio == "audio"
    assert variant.stream_info.resolution == (640, 360)
    assert variant.stream_info.bandwidth == 1_000_000


def test_an_audio_only_variant_has_no_picture_and_plays_the_audio_group() -> None:
    # Given a video rung and an audio-only variant over the default audio rendition
    audio = [AudioRendition(uri="_audio-0/index.m3u8", name="en", language="en", default=True)]
    alone = Variant(
        uri="_audio-0/index.m3u8", bandwidth=130_000, average_bandwidth=128_000, codecs="mp4a.40.2"
    )
    # When the master playlist is written and read back by the m3u8 package
    parsed = m3u8.loads(master_playlist([alone, RUNG], audio))
    # Then the audio-only variant comes last, with the audio codec only and no frame size
    low = parsed.playlists[-1]
    assert low.uri == "_audio-0/index.m3u8"
    assert low.stream_info.codecs == "mp4a.40.2"
    assert low.stream_info.resolution is None
    assert low.stream_info.frame_rate is None
    assert low.stream_info.audio == "audio"
    assert [p.stream_info.bandwidth for p in parsed.playlists] == [1_000_000, 130_000]


def test_master_playlist_without_audio_names_no_group() -> None:
    text = master_playlist([RUNG])
    assert "EXT-X-MEDIA" not in text
    assert m3u8.loads(text).playlists[0].stream_info.audio is None
