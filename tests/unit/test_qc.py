"""Quality control rules: each check passes and fails exactly at its tolerance."""

from __future__ import annotations

import math

import pytest

from mpr.core.models import AudioInfo, ChunkPlan, QCResult, Trim
from mpr.core.planning import plan_chunks
from mpr.core.qc import (
    DEFAULT_MIN_PSNR_DB,
    Expectation,
    Measurement,
    chunk_joins,
    expectation,
    judge,
    mean_psnr,
    one_codec_config,
    vstats_psnrs,
)
from tests.unit.factories import cfr_index, make_media

FRAME = 0.04  # one frame at 25 fps
EXPECTED = Expectation(
    frames=250, duration=10.0, frame_duration=FRAME, duration_tolerance=FRAME, has_audio=True
)
GOOD = Measurement(frames=250, duration=10.0, has_audio=True, audio_start=0.0, psnr_db=40.0)


def check(result: QCResult, name: str) -> bool:
    (found,) = [c for c in result.checks if c.name == name]
    return found.passed


def test_a_faithful_output_passes_every_check() -> None:
    result = judge(EXPECTED, GOOD)
    assert result.passed
    assert [c.name for c in result.checks] == [
        "frame_count",
        "duration",
        "audio_present",
        "av_offset",
        "psnr",
    ]
    assert all(c.passed for c in result.checks)


@pytest.mark.parametrize(("frames", "passed"), [(250, True), (249, False), (251, False)])
def test_frame_count_must_match_exactly(frames: int, passed: bool) -> None:
    result = judge(EXPECTED, GOOD.model_copy(update={"frames": frames}))
    assert check(result, "frame_count") is passed
    assert result.passed is passed


@pytest.mark.parametrize(
    ("duration", "passed"),
    [
        (10.0 + FRAME, True),  # exactly one frame long: within one frame
        (10.0 - FRAME, True),
        (10.0 + FRAME + 2e-6, False),  # just over one frame
        (10.0 - FRAME - 2e-6, False),
    ],
)
def test_duration_may_differ_by_one_frame(duration: float, passed: bool) -> None:
    result = judge(EXPECTED, GOOD.model_copy(update={"duration": duration}))
    assert check(result, "duration") is passed
    assert result.passed is passed


@pytest.mark.parametrize(("duration", "passed"), [(10.2, True), (10.2 + 2e-6, False)])
def test_duration_tolerance_of_a_variable_rate_source(duration: float, passed: bool) -> None:
    # Given a tolerance of the longest frame interval (0.2 s) rather than the mean frame
    expected = EXPECTED.model_copy(update={"duration_tolerance": 0.2})
    result = judge(expected, GOOD.model_copy(update={"duration": duration}))
    # Then the duration check stops exactly there
    assert check(result, "duration") is passed


@pytest.mark.parametrize(("expected", "measured"), [(True, False), (False, True)])
def test_audio_must_be_present_exactly_when_the_source_has_it(
    expected: bool, measured: bool
) -> None:
    result = judge(
        EXPECTED.model_copy(update={"has_audio": expected}),
        GOOD.model_copy(update={"has_audio": measured, "audio_start": None}),
    )
    assert not check(result, "audio_present")
    assert not result.passed


@pytest.mark.parametrize(
    ("audio_start", "passed"),
    [
        (0.0399, True),
        (-0.0399, True),
        (0.04, False),  # a whole frame out of sync
        (-0.04, False),
        (0.1, False),
    ],
)
def test_audio_must_start_within_one_frame_of_the_video(audio_start: float, passed: bool) -> None:
    result = judge(EXPECTED, GOOD.model_copy(update={"audio_start": audio_start}))
    assert check(result, "av_offset") is passed
    assert result.passed is passed


def test_av_offset_is_measured_from_the_video_start() -> None:
    # Given audio expected 0.5 s after the video, measured with the video starting at 1.0 s
    expected = EXPECTED.model_copy(update={"av_offset": 0.5})
    measured = GOOD.model_copy(update={"video_start": 1.0, "audio_start": 1.5})
    # Then the offset is right
    assert check(judge(expected, measured), "av_offset")


def test_av_offset_is_not_checked_without_audio() -> None:
    result = judge(
        EXPECTED.model_copy(update={"has_audio": False}),
        GOOD.model_copy(update={"has_audio": False, "audio_start": None}),
    )
    assert "av_offset" not in [c.name for c in result.checks]
    assert result.passed


@pytest.mark.parametrize(
    ("psnr", "passed"),
    [(DEFAULT_MIN_PSNR_DB, True), (DEFAULT_MIN_PSNR_DB - 0.001, False), (55.0, True)],
)
def test_psnr_must_reach_the_minimum(psnr: float, passed: bool) -> None:
    result = judge(EXPECTED, GOOD.model_copy(update={"psnr_db": psnr}))
    assert check(result, "psnr") is passed
    assert result.passed is passed


def test_psnr_is_not_checked_when_not_measured() -> None:
    result = judge(EXPECTED, GOOD.model_copy(update={"psnr_db": None}))
    assert "psnr" not in [c.name for c in result.checks]


def test_failed_checks_report_what_was_expected_and_measured() -> None:
    result = judge(EXPECTED, GOOD.model_copy(update={"frames": 248, "duration": 9.92}))
    frame_count = next(c for c in result.checks if c.name == "frame_count")
    assert (frame_count.expected, frame_count.actual) == (250, 248)
    duration = next(c for c in result.checks if c.name == "duration")
    assert (duration.expected, duration.actual) == (10.0, 9.92)
    assert not result.passed


def plan_of(frames: int, trim_start: float = 0.0) -> ChunkPlan:
    trim = Trim(start=trim_start) if trim_start else None
    return plan_chunks(cfr_index(frames, 25.0, 25), target_seconds=10, min_seconds=2, trim=trim)


def test_expectation_follows_the_plan() -> None:
    # Given 10 s at 25 fps with audio starting with the video
    audio = AudioInfo(codec="aac", sample_rate=48000, channels=2, duration=10.0)
    media = make_media(audio=audio)
    # Then outputs must keep all 250 frames, last 10 s, and carry audio in sync
    expected = expectation(media, plan_of(250), min_psnr_db=35.0)
    assert (expected.frames, expected.has_audio, expected.min_psnr_db) == (250, True, 35.0)
    assert expected.duration == pytest.approx(10.0)
    assert expected.frame_duration == pytest.approx(FRAME)
    assert expected.av_offset == 0.0


def test_audio_starting_after_the_video_starts_with_it_in_the_outputs() -> None:
    # Given audio starting 0.5 s after the video (the encode fills that with silence)
    audio = AudioInfo(codec="aac", sample_rate=48000, channels=2, duration=9.5, start_time=0.5)
    expected = expectation(make_media(audio=audio), plan_of(250))
    # Then the outputs' audio tracks start with their video
    assert expected.av_offset == 0.0


def test_audio_before_the_selected_range_is_cut() -> None:
    # Given a trim starting at 2 s, after the audio has started
    audio = AudioInfo(codec="aac", sample_rate=48000, channels=2, duration=10.0, start_time=0.5)
    expected = expectation(make_media(audio=audio), plan_of(250, trim_start=2.0))
    # Then audio and video start together
    assert expected.av_offset == 0.0
    assert expected.frames == 200


def test_expectation_tolerates_the_longest_frame_interval() -> None:
    # Given a variable-rate source whose longest frame interval is 0.5 s
    media = make_media()
    slow = media.model_copy(
        update={"video": media.video.model_copy(update={"max_frame_interval": 0.5})}
    )
    # Then durations may differ by that interval, and by one mean frame for a CFR source
    assert expectation(slow, plan_of(250)).duration_tolerance == 0.5
    assert expectation(media, plan_of(250)).duration_tolerance == pytest.approx(FRAME)


def test_expectation_without_audio() -> None:
    expected = expectation(make_media(audio=None), plan_of(250))
    assert not expected.has_audio
    assert expected.av_offset == 0.0


# Three frames of the x264 output (out 0) and two of a raw video output (out 1) of one
# ffmpeg, whose encoder threads wrote the pieces of their lines at the same time.
VSTATS = """\
out=  0 st=  0 frame=     0 q= 27.0 PSNR=  43.55 f_size= 151102 s_size=  0KiB type= I
out=  1 st=  0 frame=     0 q= -0.0 out=  0 st=  0 frame=     1 q= 27.0 f_size= 86400 \
PSNR=  44.91 s_size= 84KiB f_size=  13806 s_size=148KiB type= ? type= P
out=  1 st=  0 frame=     1 q= -0.0 f_size= 86400 s_size= 168KiB type= ?
out=  0 st=  0 frame=     2 q= 27.0 PSNR=    inf f_size=     20 s_size=148KiB type= P
"""


def test_vstats_give_every_psnr_measured_in_order_even_where_lines_mix() -> None:
    # Given the statistics file of an ffmpeg whose one x264 encoder measures PSNR
    found = vstats_psnrs(VSTATS)
    # Then every frame of that encoder has its luma PSNR in order, identical frames infinite
    assert found == [43.55, 44.91, math.inf]
    assert vstats_psnrs("") == []


def test_mean_psnr_averages_squared_errors_not_decibels() -> None:
    # Given frames at 30 and 40 dB (mean squared errors 1e-3 and 1e-4 of the peak)
    # Then the mean is that of the errors: 10*log10(1/5.5e-4) dB, below the mean of the dBs
    assert mean_psnr([30.0, 40.0]) == pytest.approx(32.596, abs=1e-3)
    assert mean_psnr([math.inf, math.inf]) == math.inf


@pytest.mark.parametrize(
    ("second_start", "passed"),
    [(4.0, True), (4.0004, True), (3.9996, True), (4.0006, False), (3.9994, False), (3.9, False)],
)
def test_each_chunk_must_start_where_the_segments_before_it_end(
    second_start: float, passed: bool
) -> None:
    # Given three chunks whose segments last 4 s, 4 s and 2 s, the first starting at 0.5 s
    check = chunk_joins([0.5, 0.5 + second_start, 8.5], [4.0, 4.0, 2.0])
    # Then the second may sit up to half a millisecond off its place, no more
    assert check.passed is passed
    assert check.actual == (0 if passed else 1)


def test_every_chunk_must_share_the_init_segment_s_decoder_configuration() -> None:
    assert one_codec_config(["SHA256:ab", "SHA256:ab", "SHA256:ab"]).passed
    mismatched = one_codec_config(["SHA256:ab", "SHA256:cd", "SHA256:ab"])
    assert (mismatched.passed, mismatched.actual) == (False, 1)
