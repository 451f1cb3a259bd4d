"""The encode budget: no plan the cloud planner emits has a chunk whose estimated encode
overruns the encode function's timeout; properties over random sources, then named cases."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mpr.core.encode_budget import (
    CPU_SECONDS_PER_PIXEL_SECOND,
    EncodeBudget,
    encode_seconds,
    max_chunk_seconds,
    plan_within_budget,
)
from mpr.core.errors import LimitExceededError
from mpr.core.models import FrameIndex, SizedRendition, VideoRendition
from tests.unit.factories import cfr_index
from tests.unit.test_planning import Source, planning_settings, sources

PRESETS = sorted(CPU_SECONDS_PER_PIXEL_SECOND)


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
    budget=budgets,
)
def test_no_emitted_plan_has_a_chunk_over_the_budget(
    source: Source,
    knobs: tuple[float, float, int],
    ladder: list[SizedRendition],
    fps: float,
    budget: EncodeBudget,
) -> None:
    target, minimum, workers = knobs
    try:
        plan = plan_within_budget(
            source.index,
            target_seconds=target,
            min_seconds=minimum,
            workers=workers,
            trim=source.trim,
            renditions=ladder,
            fps=fps,
            budget=budget,
        )
    except LimitExceededError:
        # refused only when a single GOP is longer than a chunk may be
        assert max(gops(source.index)) > max_chunk_seconds(ladder, fps, budget) / 1.1
        return
    for chunk in plan.chunks:
        seconds = chunk.end - chunk.start
        preroll = max(0.0, chunk.start - chunk.seek)
        assert encode_seconds(seconds, ladder, fps, budget.vcpus, preroll) <= budget.seconds


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

    plan = plan_within_budget(
        index, target_seconds=600, min_seconds=1, workers=1, trim=None,
        renditions=ladder_1080p(), fps=30, budget=budget,
    )  # fmt: skip

    # Then the 600 s chunk asked for becomes chunks of at most 353.8 s: 300 s (half the
    # timeout) at 4.5e-8 CPU-s per pixel-second x 3,635,520 px x 30 fps = 4.91 CPU-s per
    # second of source, on 10240 / 1769 = 5.79 vCPUs; no shorter than needed (two chunks)
    assert max_chunk_seconds(ladder_1080p(), 30, budget) == pytest.approx(353.83, abs=0.01)
    lengths = [c.end - c.start for c in plan.chunks]
    assert len(lengths) == 2
    assert 340 < max(lengths) <= 353.83
    assert sum(c.frames for c in plan.chunks) == 18_000


def test_a_one_keyframe_source_too_long_to_encode_in_one_invocation_is_refused() -> None:
    # an hour with one keyframe: the planner cuts a GOP into a few chunks at most (each
    # decodes from the keyframe), which still overrun the encode function
    index = cfr_index(frames=108_000, fps=30, keyframe_every=108_000)

    with pytest.raises(LimitExceededError, match=r"chunk \d+ \([\d.]+-[\d.]+ s\) has no keyframe"):
        plan_within_budget(
            index, target_seconds=10, min_seconds=1, workers=1, trim=None,
            renditions=ladder_1080p(), fps=30, budget=EncodeBudget.for_function(600, 10_240),
        )  # fmt: skip
