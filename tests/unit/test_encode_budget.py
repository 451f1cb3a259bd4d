"""The encode budget: no plan the cloud planner emits has a chunk whose estimated encode
overruns the encode function's timeout; properties over random sources, then named cases."""

from __future__ import annotations

from typing import get_args

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mpr.core.encode_budget import (
    EncodeBudget,
    EncodeWork,
    encode_seconds,
    max_chunk_seconds,
    plan_within_budget,
)
from mpr.core.errors import LimitExceededError
from mpr.core.estimate import Calibration, X264Preset
from mpr.core.models import FrameIndex, SizedRendition, VideoInfo, VideoRendition
from tests.unit.factories import cfr_index, make_media
from tests.unit.test_planning import Source, planning_settings, sources

PRESETS: tuple[X264Preset, ...] = get_args(X264Preset)
# CPU-seconds per pixel-frame: every rung at 4e-8 (veryfast), the source's decode at 1e-8
CALIBRATION = Calibration(
    machine="test",
    ffmpeg="test",
    encode_cpu_per_pixel_frame={360: 4e-8, 1080: 4e-8},
    preset_factor=dict(zip(PRESETS, (0.4, 0.7, 1.0, 1.5, 1.8, 2.1, 3.5), strict=True)),
    decode_cpu_per_pixel_frame=1e-8,
    audio_cpu_per_second=0.02,
    probe_seconds=0.1,
)


def video(fps: float = 30.0, height: int = 1080) -> VideoInfo:
    return make_media(round(height * 16 / 9 / 2) * 2, height, fps=fps).video


@st.composite
def renditions(draw: st.DrawFn) -> list[SizedRendition]:
    heights = draw(st.lists(st.sampled_from([144, 240, 360, 480, 720, 1080, 2160]), min_size=1))
    return [
        SizedRendition(
            rendition=VideoRendition(
                name=f"r{h}",
                height=h,
                max_bitrate_kbps=2000,
                x264_preset=draw(st.sampled_from(PRESETS)),
            ),
            width=round(h * 16 / 9 / 2) * 2,
            height=h,
        )
        for h in heights
    ]


budgets = st.builds(
    EncodeBudget.for_function,
    timeout_seconds=st.integers(30, 900),
    memory_mb=st.integers(128, 10_240),
)


def gops(index: FrameIndex) -> list[float]:
    """Seconds from each keyframe to the next (the last to the end)."""
    starts = [index.times[k] for k in sorted(set(index.keyframes))]
    return [b - a for a, b in zip(starts, [*starts[1:], index.end], strict=True)]


@given(
    source=sources(),
    knobs=planning_settings,
    ladder=renditions(),
    fps=st.floats(1, 120),
    source_height=st.sampled_from([240, 720, 1080, 2160]),
    budget=budgets,
)
def test_no_emitted_plan_has_a_chunk_over_the_budget(
    source: Source,
    knobs: tuple[float, float, int],
    ladder: list[SizedRendition],
    fps: float,
    source_height: int,
    budget: EncodeBudget,
) -> None:
    target, minimum, workers = knobs
    work = EncodeWork(video(fps, source_height), ladder, CALIBRATION)
    try:
        plan = plan_within_budget(
            source.index,
            target_seconds=target,
            min_seconds=minimum,
            workers=workers,
            trim=source.trim,
            work=work,
            budget=budget,
        )
    except LimitExceededError:
        # refused only when a single GOP is longer than a chunk may be
        assert max(gops(source.index)) > max_chunk_seconds(work, budget) / 1.1
        return
    for chunk in plan.chunks:
        seconds = chunk.end - chunk.start
        preroll = max(0.0, chunk.start - chunk.seek)
        assert encode_seconds(seconds, work, budget.vcpus, preroll) <= budget.seconds


def ladder_1080p() -> list[SizedRendition]:
    return [
        SizedRendition(
            rendition=VideoRendition(name=f"{h}p", height=h, max_bitrate_kbps=5000),
            width=w,
            height=h,
        )
        for w, h in ((1920, 1080), (1280, 720), (854, 480), (640, 360))
    ]


def test_a_long_gop_source_is_cut_to_fit_the_default_encode_function() -> None:
    # Given 10 minutes of 1080p30 with a keyframe every 2 s, to the 4-rung ladder, and the
    # default encode function (600 s, 10,240 MB: 5.8 vCPUs)
    index = cfr_index(frames=18_000, fps=30, keyframe_every=60)
    budget = EncodeBudget.for_function(600, 10_240)
    work = EncodeWork(video(), ladder_1080p(), CALIBRATION)

    plan = plan_within_budget(
        index, target_seconds=600, min_seconds=1, workers=1, trim=None, work=work, budget=budget,
    )  # fmt: skip

    # Then the 600 s chunk asked for becomes chunks of at most 348.38 s: 300 s (half the
    # timeout) on 10240 / 1769 = 5.7886 vCPUs, for 30 fps x (4e-8 x 3,635,520 px of ladder
    # + 1e-8 x 2,073,600 px decoded) = 4.3626 + 0.6221 = 4.9847 CPU-s per second of source;
    # no shorter than needed (two chunks)
    assert max_chunk_seconds(work, budget) == pytest.approx(348.38, abs=0.01)
    lengths = [c.end - c.start for c in plan.chunks]
    assert len(lengths) == 2
    assert 340 < max(lengths) <= 348.38
    assert sum(c.frames for c in plan.chunks) == 18_000


def test_a_one_keyframe_source_too_long_to_encode_in_one_invocation_is_refused() -> None:
    # an hour with one keyframe: the planner cuts a GOP into a few chunks at most (each
    # decodes from the keyframe), which still overrun the encode function
    index = cfr_index(frames=108_000, fps=30, keyframe_every=108_000)

    with pytest.raises(LimitExceededError, match=r"chunk \d+ \([\d.]+-[\d.]+ s\) has no keyframe"):
        plan_within_budget(
            index, target_seconds=10, min_seconds=1, workers=1, trim=None,
            work=EncodeWork(video(), ladder_1080p(), CALIBRATION),
            budget=EncodeBudget.for_function(600, 10_240),
        )  # fmt: skip
