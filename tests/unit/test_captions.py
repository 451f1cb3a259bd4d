"""Caption cues: SRT/WebVTT read and written against pysubs2 (an independent parser and
writer), trims over random cue lists, and the errors users see for broken files."""

from __future__ import annotations

import pysubs2
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mpr.core.captions import (
    CaptionError,
    Cue,
    check_language,
    follow_trim,
    parse_captions,
    write_webvtt,
)

HOUR = 3_600_000
words = st.text(alphabet="abcdefghijklmnopqrstuvwxyzÄéЖ?!.,'", min_size=1, max_size=8)
lines = st.lists(words, min_size=1, max_size=4).map(" ".join)
texts = st.lists(lines, min_size=1, max_size=3).map("\n".join)


@st.composite
def cue_lists(draw: st.DrawFn, min_size: int = 0) -> list[Cue]:
    """Cues in start order, possibly overlapping, some zero-length, up to ten hours in."""
    starts = sorted(draw(st.lists(st.integers(0, 10 * HOUR), min_size=min_size, max_size=20)))
    return [Cue(s, s + draw(st.integers(0, 20_000)), draw(texts)) for s in starts]


def _pysubs2(cues: list[Cue]) -> pysubs2.SSAFile:
    subs = pysubs2.SSAFile()
    for cue in cues:
        subs.append(
            pysubs2.SSAEvent(start=cue.start, end=cue.end, text=cue.text.replace("\n", r"\N"))
        )
    return subs


def _facts(subs: pysubs2.SSAFile) -> list[tuple[int, int, str]]:
    return [(e.start, e.end, e.plaintext) for e in subs]


@given(cue_lists(min_size=1), st.sampled_from(["srt", "vtt"]))
def test_reads_what_pysubs2_writes(cues: list[Cue], format_: str) -> None:
    # Given a file that another library wrote (an empty file is refused: see below)
    text = _pysubs2(cues).to_string(format_)
    # When MPR reads it, then it finds the same cues, times and text
    read = parse_captions(text, f"captions.{format_}")
    assert [(c.start, c.end, c.text) for c in read] == [(c.start, c.end, c.text) for c in cues]


@given(cue_lists())
def test_pysubs2_reads_what_mpr_writes(cues: list[Cue]) -> None:
    written = write_webvtt(cues)
    read = pysubs2.SSAFile.from_string(written, format_="vtt")
    in_time_order = sorted(cues, key=lambda c: (c.start, c.end))  # ties keep their order
    assert _facts(read) == [(c.start, c.end, c.text) for c in in_time_order]


@st.composite
def trims(draw: st.DrawFn) -> tuple[int, int | None]:
    start = draw(st.integers(0, 10 * HOUR))
    end = draw(st.none() | st.integers(start + 1, 10 * HOUR + 30_000))
    return start, end


@given(cue_lists(), trims())
def test_trim_keeps_exactly_the_visible_part_of_each_cue(
    cues: list[Cue], trim: tuple[int, int | None]
) -> None:
    start, end = trim
    stop = end if end is not None else 11 * HOUR
    kept = follow_trim(cues, start, end)
    visible = [c for c in cues if min(c.end, stop) > max(c.start, start)]
    # one output cue per input cue with time on screen inside the range, in the same order
    assert [k.text for k in kept] == [c.text for c in visible]
    for k, c in zip(kept, visible, strict=True):
        assert k.start == max(c.start, start) - start
        assert k.end == min(c.end, stop) - start
        assert 0 <= k.start < k.end <= stop - start


def test_cue_across_the_in_point_is_shifted_and_cut() -> None:
    cues = [
        Cue(500, 1_200, "before"),
        Cue(1_000, 3_000, "across in"),
        Cue(2_000, 2_500, "inside"),
        Cue(3_900, 4_500, "across out"),
        Cue(4_000, 5_000, "after"),
    ]
    assert follow_trim(cues, 1_500, 4_000) == [
        Cue(0, 1_500, "across in"),
        Cue(500, 1_000, "inside"),
        Cue(2_400, 2_500, "across out"),
    ]


SRT = """1
00:00:01,000 --> 00:00:02,500
Hello <i>there</i>

2
00:00:03,000 --> 00:00:04,000
two
lines
"""

VTT = """WEBVTT - a title

NOTE a comment
spanning lines

STYLE
::cue { color: yellow }

intro
00:01.000 --> 00:02.500 align:start line:10%
Hello

01:00:03.000 --> 01:00:04.000
last
"""


def test_named_srt_and_webvtt_files() -> None:
    assert parse_captions(SRT, "a.srt") == [
        Cue(1_000, 2_500, "Hello <i>there</i>"),
        Cue(3_000, 4_000, "two\nlines"),
    ]
    assert parse_captions("\ufeff" + VTT.replace("\n", "\r\n"), "a.vtt") == [
        Cue(1_000, 2_500, "Hello", "align:start line:10%"),
        Cue(HOUR + 3_000, HOUR + 4_000, "last"),
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "a.txt: the file is empty, not SRT or WebVTT"),
        ("just some words\nand more\n", "a.txt line 1: not SRT or WebVTT"),
        ("[Script Info]\nTitle: x\n", "a.txt line 1: not SRT or WebVTT"),
        (
            "1\n00:00:05,000 --> 00:00:04,000\nback\n",
            "a.txt line 2: cue ends at 00:00:04.000, before its start 00:00:05.000",
        ),
        (
            "1\n00:00:05,000 --> 00:00:04,999\nback by a millisecond\n",
            "a.txt line 2: cue ends at 00:00:04.999, before its start 00:00:05.000",
        ),
        (
            "1\n00:00:01,000 --> 00:00:02,000\nok\n\n2\n00:00:01,000 -> 00:00:02,000\nx\n",
            "a.txt line 6: bad timing line '00:00:01,000 -> 00:00:02,000'",
        ),
        (
            "1\n00:00:01,000 --> 00:00:02,000\nok\n\nnot a number\n",
            "a.txt line 5: expected a cue number, got 'not a number'",
        ),
        (
            "WEBVTT\n\n00:01.000 --> 00:02.000\nok\n\n00:03.000 --> 00:61.000\nbad seconds\n",
            "a.txt line 6: bad timing line '00:03.000 --> 00:61.000'",
        ),
        (
            "WEBVTT\n\n00:03.000 --> 00:02.000\nback\n",
            "a.txt line 3: cue ends at 00:00:02.000, before its start 00:00:03.000",
        ),
        ("WEBVTTX\n\n00:01.000 --> 00:02.000\nx\n", "a.txt line 1: bad WebVTT header"),
    ],
)
def test_broken_files_name_the_line(text: str, message: str) -> None:
    with pytest.raises(CaptionError) as caught:
        parse_captions(text, "a.txt")
    assert str(caught.value).startswith(message)


@pytest.mark.parametrize("tag", ["en", "pt-BR", "zh-Hant-TW", "sgn-BE-FR", "es-419", "und"])
def test_bcp47_tags_are_accepted(tag: str) -> None:
    assert check_language(tag) == tag


@pytest.mark.parametrize("tag", ["english", "en_US", "e", "zz", "xx-123", "en--US", ""])
def test_other_language_strings_are_refused(tag: str) -> None:
    with pytest.raises(CaptionError, match="is not a BCP 47 language tag"):
        check_language(tag)
