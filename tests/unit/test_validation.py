"""Caps on user input: each limit is allowed exactly up to its value."""

from __future__ import annotations

import pytest

from mpr.core.errors import LimitExceededError, UnsupportedMediaError
from mpr.core.models import FrameIndex, MediaInfo, Trim
from mpr.core.validation import Limits, check_frame_times, check_media, check_size, check_trim
from tests.unit.factories import make_media

LIMITS = Limits(
    max_input_bytes=1000,
    max_duration_seconds=60.0,
    max_width=1920,
    max_height=1080,
    max_frame_rate=60.0,
)


def test_size_up_to_the_cap_is_accepted() -> None:
    check_size(1, LIMITS)
    check_size(1000, LIMITS)


def test_size_over_the_cap_is_refused() -> None:
    with pytest.raises(LimitExceededError, match="1001 bytes"):
        check_size(1001, LIMITS)


def test_empty_source_is_unsupported() -> None:
    with pytest.raises(UnsupportedMediaError):
        check_size(0, LIMITS)


def test_media_at_every_cap_is_accepted() -> None:
    check_media(make_media(1920, 1080, fps=60.0, duration=60.0), LIMITS)


@pytest.mark.parametrize(
    "media",
    [
        make_media(duration=60.01),
        make_media(1922, 1080),
        make_media(1920, 1082),
        make_media(fps=60.1),
    ],
    ids=["duration", "width", "height", "frame-rate"],
)
def test_media_over_a_cap_is_refused(media: MediaInfo) -> None:
    with pytest.raises(LimitExceededError):
        check_media(media, LIMITS)


def test_caps_apply_to_the_coded_frame_size() -> None:
    # Given a portrait source whose coded frame exceeds the width cap
    portrait = make_media(1080, 2400, display_width=2400, display_height=1080)
    with pytest.raises(LimitExceededError):
        check_media(portrait, LIMITS)


def test_trim_inside_the_video_is_accepted() -> None:
    media = make_media(duration=10.0)
    check_trim(None, media)
    check_trim(Trim(start=9.99), media)
    check_trim(Trim(start=2.0, end=30.0), media)


@pytest.mark.parametrize("start", [10.0, 12.5])
def test_trim_starting_at_or_after_the_end_is_refused(start: float) -> None:
    with pytest.raises(UnsupportedMediaError):
        check_trim(Trim(start=start), make_media(duration=10.0))


NO_B_FRAMES = make_media().video
B_FRAMES = NO_B_FRAMES.model_copy(update={"has_b_frames": True})


def test_frames_with_distinct_times_are_accepted() -> None:
    check_frame_times(FrameIndex(times=[0.0, 0.04, 0.08], keyframes=[0], end=0.12), NO_B_FRAMES)


def test_a_repeated_presentation_time_is_refused_with_the_first_one() -> None:
    index = FrameIndex(times=[0.0, 1.1, 1.2], keyframes=[0], end=1.3, repeated=[1.1, 1.2])
    reason = r"2 frame\(s\) repeat .* \(first at 1.100000 s\)"
    for video in (NO_B_FRAMES, B_FRAMES):
        with pytest.raises(UnsupportedMediaError, match=reason):
            check_frame_times(index, video)


def test_times_going_backwards_are_refused_only_without_b_frames() -> None:
    # Given frames decoded at 0, 0.08, 0.04 s
    index = FrameIndex(times=[0.0, 0.04, 0.08], keyframes=[0], end=0.12, first_backwards=0.04)
    # Then B-frames explain the order, and without them the times are broken
    check_frame_times(index, B_FRAMES)
    with pytest.raises(UnsupportedMediaError, match=r"go backwards .* \(first at 0.040000 s\)"):
        check_frame_times(index, NO_B_FRAMES)
