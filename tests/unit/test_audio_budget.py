"""The plan-time rule that the one audio task encodes every carried track of the job within
its function: each track once per audio encoding in half the timeout, and every encoding's
file with the HLS segments in /tmp."""

from __future__ import annotations

import pytest

from mpr.core.audio_budget import AudioBudget, check_audio
from mpr.core.errors import LimitExceededError
from mpr.core.models import JobSpec
from mpr.core.presets import builtin_presets

# the stack's encode_audio function (4,096 MB /tmp, 900 s), at 0.019 CPU-s a track-second
DEFAULT = AudioBudget(tmp_mb=4096, timeout_seconds=900, cpu_per_second=0.019)


def job(*names: str) -> JobSpec:
    return JobSpec(source="in.mp4", presets=[builtin_presets()[n] for n in names])


def test_one_track_within_half_the_timeout_is_planned() -> None:
    # 450 s / 0.019 = 23,684.2 s of one track
    check_audio(DEFAULT, job("hls-ladder"), 1, 23_684.0)
    with pytest.raises(LimitExceededError, match=r"at most 23684 s"):
        check_audio(DEFAULT, job("hls-ladder"), 1, 23_685.0)


def test_every_track_counts_and_the_reason_names_the_cap_and_the_tracks() -> None:
    # three tracks: 450 s / (3 x 0.019) = 7,894.7 s
    check_audio(DEFAULT, job("hls-ladder"), 3, 7_894.0)
    with pytest.raises(LimitExceededError) as refused:
        check_audio(DEFAULT, job("hls-ladder"), 3, 7_895.0)
    assert str(refused.value) == (
        "the audio task encodes 3 audio tracks (1 encoding each) in one function, whose "
        "timeout of 900 s holds at most 7894 s; the output lasts 7895.0 s (carry fewer "
        "tracks with audio_languages, or trim the source)"
    )


def test_every_audio_encoding_counts() -> None:
    # the ladder's AAC 128 k is audio-aac's too; audio-opus adds a second encoding: two
    # track encodes a track, 450 s / (2 x 2 x 0.019) = 5,921.1 s for two tracks
    both = job("hls-ladder", "audio-aac", "audio-opus")
    check_audio(DEFAULT, both, 2, 5_921.0)
    with pytest.raises(LimitExceededError, match=r"2 audio tracks \(2 encodings each\)"):
        check_audio(DEFAULT, both, 2, 5_922.0)


def test_a_small_tmp_bounds_the_tracks_before_the_timeout_does() -> None:
    # four tracks of the AAC and its HLS segments: 4 x 2 x 128 kb/s = 128,000 B/s in
    # 0.9 x 512 x 2^20 B = 3,774.9 s (the timeout would allow 450 / (4 x 0.019) = 5,921 s)
    small = AudioBudget(tmp_mb=512, timeout_seconds=900, cpu_per_second=0.019)
    check_audio(small, job("hls-ladder"), 4, 3_774.0)
    with pytest.raises(
        LimitExceededError, match=r"ephemeral storage \(/tmp\) of 512 MB holds at most 3774 s"
    ):
        check_audio(small, job("hls-ladder"), 4, 3_775.0)


def test_a_job_without_audio_tracks_has_no_audio_bound() -> None:
    check_audio(DEFAULT, job("hls-ladder"), 0, 10 * 24 * 3600.0)
