"""The plan-time rule that an MP4's stitch fits its function: /tmp holds the rendition's
chunks and the joined file, and both pass through S3 within half the timeout."""

from __future__ import annotations

import pytest

from mpr.core.errors import LimitExceededError
from mpr.core.models import AudioInfo, Preset
from mpr.core.presets import builtin_presets
from mpr.core.stitch_budget import StitchBudget, check_stitches
from tests.unit.factories import make_media

DEFAULT = StitchBudget(tmp_mb=10_240, timeout_seconds=900)  # the stack's stitch function
# 90 % of 10,240 MiB over two copies of 1080p (6,000 + 128 kb/s = 766,000 B/s)
TMP_1080P = 0.9 * 10_240 * 2**20 / (2 * 766_000)  # 6,307.8 s
WITH_AUDIO = make_media(
    1920, 1080, audio=AudioInfo(codec="aac", sample_rate=48_000, channels=2, duration=10.0)
)


def presets(*names: str) -> list[Preset]:
    return [builtin_presets()[name] for name in names]


def test_an_mp4_within_the_stitch_functions_tmp_is_planned() -> None:
    check_stitches(DEFAULT, presets("mp4-1080p"), WITH_AUDIO, 6307.0)


def test_an_mp4_longer_than_the_stitch_functions_tmp_is_refused_naming_preset_and_cap() -> None:
    assert int(TMP_1080P) == 6307

    with pytest.raises(LimitExceededError) as refused:
        check_stitches(DEFAULT, presets("hls-ladder", "mp4-1080p"), WITH_AUDIO, 6308.0)

    assert str(refused.value) == (
        "preset 'mp4-1080p': its MP4 (1080p, 6128 kb/s with audio) is stitched by one "
        "function, whose ephemeral storage (/tmp) of 10240 MB holds at most 6307 s; the output "
        "lasts 6308.0 s (trim the source or choose an HLS preset)"
    )


def test_hls_and_thumbnails_need_no_stitch_however_long() -> None:
    check_stitches(DEFAULT, presets("hls-ladder", "thumbnails"), WITH_AUDIO, 6 * 3600.0)


def test_a_source_without_audio_stitches_longer() -> None:
    # 6,000 kb/s alone: 750,000 B/s
    silent = make_media(1920, 1080)
    longest = 0.9 * 10_240 * 2**20 / (2 * 750_000)  # 6,442.6 s
    check_stitches(DEFAULT, presets("mp4-1080p"), silent, 6442.0)
    with pytest.raises(LimitExceededError):
        check_stitches(DEFAULT, presets("mp4-1080p"), silent, longest + 1)


def test_every_audio_track_counts() -> None:
    # Given a second 128 kb/s track: 6,256 kb/s, 782,000 B/s, 6,178.7 s in /tmp
    track = AudioInfo(codec="aac", sample_rate=48_000, channels=2, duration=10.0, index=2)
    two = WITH_AUDIO.model_copy(update={"other_audio": [track]})
    check_stitches(DEFAULT, presets("mp4-1080p"), two, 6178.0)
    with pytest.raises(LimitExceededError) as refused:
        check_stitches(DEFAULT, presets("mp4-1080p"), two, 6179.0)
    assert "its MP4 (1080p, 6256 kb/s with 2 audio tracks)" in str(refused.value)
    assert "holds at most 6178 s" in str(refused.value)


def test_a_short_timeout_bounds_the_stitch_before_tmp_does() -> None:
    # 60 s, half planned, at 90 MB/s down and up: 30 x 90e6 / (2 x 766,000) = 1,762.4 s
    budget = StitchBudget(tmp_mb=10_240, timeout_seconds=60)
    check_stitches(budget, presets("mp4-1080p"), WITH_AUDIO, 1762.0)
    with pytest.raises(LimitExceededError, match=r"whose timeout of 60 s holds at most 1762 s"):
        check_stitches(budget, presets("mp4-1080p"), WITH_AUDIO, 1763.0)
