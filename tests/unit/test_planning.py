"""Chunk planning: properties over random frame indexes, and the cases the design names."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from fractions import Fraction
from itertools import accumulate, pairwise
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mpr.core.errors import InvalidInputError
from mpr.core.models import ChunkPlan, FrameIndex, Trim
from mpr.core.planning import DecodeCost, plan_chunks
from mpr.core.probing import frame_index
from tests.unit.factories import cfr_index
from tests.unit.probe_fixtures import load_probe

FRAME_RATES = [
    Fraction(24000, 1001),
    Fraction(25),
    Fraction(30000, 1001),
    Fraction(50),
    Fraction(60),
]
TOLERANCE = 1e-6
KEYFRAMES_ONLY = DecodeCost(max_overhead=0)


@dataclass(frozen=True)
class Source:
    """A random frame index and the frames a trim selects from it."""

    index: FrameIndex
    trim: Trim | None
    first: int  # first selected frame
    stop: int  # one past the last selected frame


@st.composite
def frame_times(draw: st.DrawFn) -> tuple[list[float], float]:
    """Frame times (CFR or VFR, possibly not starting at 0) and the end of the last frame."""
    count = draw(st.integers(min_value=1, max_value=300))
    offset = draw(st.sampled_from([0.0, 0.023222, 1.4]))
    if draw(st.booleans()):
        rate = draw(st.sampled_from(FRAME_RATES))
        ticks = [Fraction(i) / rate for i in range(count + 1)]
    else:
        gaps = draw(st.lists(st.integers(5, 250), min_size=count, max_size=count))
        ticks = [Fraction(ms, 1000) for ms in accumulate(gaps, initial=0)]
    times = [offset + float(t) for t in ticks]
    return times[:-1], times[-1]


@st.composite
def keyframe_sets(draw: st.DrawFn, count: int) -> list[int]:
    """Keyframe indexes, always with frame 0: one only, regular GOPs, every frame or random."""
    kind = draw(st.sampled_from(["one", "regular", "every", "random"]))
    if kind == "one" or count == 1:
        return [0]
    if kind == "regular":
        return list(range(0, count, draw(st.integers(1, count))))
    if kind == "every":
        return list(range(count))
    return sorted({0} | draw(st.sets(st.integers(1, count - 1), max_size=40)))


@st.composite
def trim_point(draw: st.DrawFn, times: list[float], end: float) -> float:
    """Exactly a frame time, or a point clearly between two frames (or after the last)."""
    i = draw(st.integers(0, len(times) - 1))
    after = times[i + 1] if i + 1 < len(times) else end
    if draw(st.booleans()):
        return times[i]
    return times[i] + draw(st.floats(0.1, 0.9)) * (after - times[i])


@st.composite
def sources(draw: st.DrawFn, trims: bool = True) -> Source:
    times, end = draw(frame_times())
    index = FrameIndex(times=times, keyframes=draw(keyframe_sets(len(times))), end=end)
    if not trims or draw(st.booleans()):
        return Source(index, None, 0, len(times))
    start = draw(st.one_of(st.just(0.0), trim_point(times, end)))
    stop_at = draw(st.one_of(st.none(), trim_point(times, end)))
    if stop_at is not None and stop_at <= start:
        stop_at = None
    trim = Trim(start=start, end=stop_at)
    selected = [i for i, t in enumerate(times) if start <= t and (stop_at is None or t < stop_at)]
    if not selected:
        # Given a trim past the last frame, the plan must refuse it (tested separately)
        return Source(index, None, 0, len(times))
    return Source(index, trim, selected[0], selected[-1] + 1)


planning_settings = st.tuples(
    st.floats(1, 30),  # target_seconds
    st.floats(0.5, 10),  # min_seconds
    st.integers(1, 64),  # workers
)


def frame_end(index: FrameIndex, i: int) -> float:
    """Time of frame `i`, or the end of the last frame when `i` is one past it."""
    return index.times[i] if i < len(index.times) else index.end


def assert_plan_covers(plan: ChunkPlan, source: Source) -> None:
    """Chunks are contiguous and hold exactly the selected frames, each once."""
    index, chunks = source.index, plan.chunks
    assert plan.total_frames == source.stop - source.first
    assert sum(c.frames for c in chunks) == plan.total_frames
    assert [c.index for c in chunks] == list(range(len(chunks)))
    assert chunks[0].first_frame == source.first
    assert chunks[-1].first_frame + chunks[-1].frames == source.stop
    assert plan.start == index.times[source.first]
    assert plan.end == frame_end(index, source.stop)
    for before, after in pairwise(chunks):
        assert after.first_frame == before.first_frame + before.frames
        assert after.start == before.end
        assert after.select_from == before.select_to
    for chunk in chunks:
        assert chunk.start == index.times[chunk.first_frame]
        assert chunk.end == frame_end(index, chunk.first_frame + chunk.frames)
    for i, t in enumerate(index.times):
        holders = [c.index for c in chunks if c.select_from <= t < c.select_to]
        assert len(holders) == (1 if source.first <= i < source.stop else 0), (i, holders)


def assert_chunk_bounds(plan: ChunkPlan, index: FrameIndex) -> None:
    """Select bounds lie strictly between neighbouring frames; seeks just after a keyframe."""
    keyframes = sorted(set(index.keyframes))
    for chunk in plan.chunks:
        a, b = chunk.first_frame, chunk.first_frame + chunk.frames
        if a > 0:
            assert index.times[a - 1] < chunk.select_from
        assert chunk.select_from < chunk.start < chunk.select_to
        assert index.times[b - 1] < chunk.select_to < frame_end(index, b)
        key = keyframes[bisect_right(keyframes, a) - 1]
        assert index.times[key] < chunk.seek < frame_end(index, key + 1)


@settings(max_examples=150, deadline=None)
@given(source=sources(), knobs=planning_settings)
def test_chunks_cover_exactly_the_selected_frames(
    source: Source, knobs: tuple[float, float, int]
) -> None:
    # Given a random CFR/VFR source, keyframe set and trim
    target, minimum, workers = knobs
    # When it is planned
    plan = plan_chunks(
        source.index,
        target_seconds=target,
        min_seconds=minimum,
        workers=workers,
        trim=source.trim,
    )
    # Then the chunks are contiguous and hold each selected frame exactly once
    assert_plan_covers(plan, source)
    assert_chunk_bounds(plan, source.index)


@settings(max_examples=150, deadline=None)
@given(source=sources(), knobs=planning_settings)
def test_chunks_start_on_keyframes_and_respect_the_minimum(
    source: Source, knobs: tuple[float, float, int]
) -> None:
    # Given a random source
    target, minimum, workers = knobs
    keyframes = set(source.index.keyframes)
    # When it is planned without cuts inside GOPs
    plan = plan_chunks(
        source.index,
        target_seconds=target,
        min_seconds=minimum,
        workers=workers,
        trim=source.trim,
        decode=KEYFRAMES_ONLY,
    )
    # Then every chunk but a trimmed first one starts on a keyframe
    starts = [c.first_frame for c in plan.chunks]
    assert all(s in keyframes for s in starts[1:])
    if source.first in keyframes:
        assert starts[0] in keyframes
    # And no chunk is shorter than the minimum unless the whole range is
    if plan.duration < minimum - TOLERANCE:
        assert len(plan.chunks) == 1
    else:
        assert all(c.duration >= minimum - TOLERANCE for c in plan.chunks)


@settings(max_examples=100, deadline=None)
@given(source=sources(), knobs=planning_settings)
def test_one_keyframe_without_inside_gop_cuts_is_one_chunk(
    source: Source, knobs: tuple[float, float, int]
) -> None:
    # Given a source whose only keyframe is its first frame
    target, minimum, workers = knobs
    index = source.index.model_copy(update={"keyframes": [0]})
    # When it is planned with no budget for cuts inside a GOP
    plan = plan_chunks(
        index,
        target_seconds=target,
        min_seconds=minimum,
        workers=workers,
        trim=source.trim,
        decode=KEYFRAMES_ONLY,
    )
    # Then it is one chunk decoded from the start
    assert len(plan.chunks) == 1
    assert index.times[0] < plan.chunks[0].seek < frame_end(index, 1)


decode_costs = st.builds(
    DecodeCost, decode_ratio=st.floats(0.02, 1.0), max_overhead=st.floats(0.0, 2.0)
)


def keyframe_before(index: FrameIndex, frame: int) -> int:
    keyframes = sorted(set(index.keyframes))
    return keyframes[bisect_right(keyframes, frame) - 1]


@settings(max_examples=150, deadline=None)
@given(source=sources(), knobs=planning_settings, decode=decode_costs)
def test_cuts_inside_gops_stay_within_the_decode_budget(
    source: Source, knobs: tuple[float, float, int], decode: DecodeCost
) -> None:
    # Given a random source and a random decode cost model
    target, minimum, workers = knobs
    index = source.index
    keyframes = set(index.keyframes)
    # When it is planned
    plan = plan_chunks(
        index,
        target_seconds=target,
        min_seconds=minimum,
        workers=workers,
        trim=source.trim,
        decode=decode,
    )
    # Then the chunks still cover exactly the selection
    assert_plan_covers(plan, source)
    assert_chunk_bounds(plan, index)
    # And a later chunk starts off a keyframe only inside a GOP of at least 1.5 chunks
    inside = [c for c in plan.chunks[1:] if c.first_frame not in keyframes]
    for chunk in inside:
        key = keyframe_before(index, chunk.first_frame)
        later = [k for k in sorted(keyframes) if k > key]
        gop_end = frame_end(index, min(later[0], source.stop) if later else source.stop)
        gop_start = index.times[max(key, source.first)]
        assert gop_end - gop_start >= 1.5 * minimum - TOLERANCE
        assert decode.max_overhead > 0
    # And the decoding they add (from the keyframe before to the chunk start), weighed at
    # the decode ratio, is at most max_overhead of the selection's encode work
    extra = sum(c.start - index.times[keyframe_before(index, c.first_frame)] for c in inside)
    assert extra * decode.decode_ratio <= decode.max_overhead * plan.duration + 1e-6


@settings(max_examples=100, deadline=None)
@given(
    minutes=st.integers(1, 120),
    rate=st.sampled_from(FRAME_RATES),
    target=st.floats(2, 30),
    decode=decode_costs,
)
def test_one_keyframe_sources_fan_out_with_linear_decode_work(
    minutes: int, rate: Fraction, target: float, decode: DecodeCost
) -> None:
    # Given a long source whose only keyframe is its first frame
    frames = int(minutes * 60 * rate / 10)  # a tenth of the minutes keeps the test fast
    index = cfr_index(frames, float(rate), keyframe_every=frames)
    span = index.end - index.times[0]
    # When it is planned
    plan = plan_chunks(index, target_seconds=target, min_seconds=1, decode=decode)
    # Then it fans out as far as the budget allows, into chunks near the target (one fewer
    # where the frame grid pushes the even split over the budget)
    most = decode.max_pieces(0.0, span)
    wanted = max(1, round(span / target))
    assert min(most, wanted) - 1 <= len(plan.chunks) <= min(most, wanted)
    if min(most, wanted) > 2:
        assert len(plan.chunks) > 1
    # And the frames decoded in all chunks together grow linearly with the source
    decoded = sum(c.end - index.times[0] for c in plan.chunks)
    assert decoded <= span * (1 + decode.max_overhead / decode.decode_ratio) + 1e-6


def test_a_ten_minute_single_gop_source_is_ten_chunks() -> None:
    # Given 10 minutes at 30 fps with one keyframe, a 10 s target, decode 0.1 of the encode
    index = cfr_index(18_000, 30.0, keyframe_every=18_000)
    # When it is planned with at most 50 % extra work for decoding
    plan = plan_chunks(
        index,
        target_seconds=10,
        min_seconds=2,
        decode=DecodeCost(decode_ratio=0.1, max_overhead=0.5),
    )
    # Then 10 chunks: k even chunks decode 600 (k - 1) / 2 s more, allowed up to
    # 0.5 * 600 s / 0.1 = 3000 s; k = 11 reaches 3000 s exactly, and its cuts, on the first
    # frame at or after each 54.5 s mark, go over it; k = 10 decodes 2700 s more
    assert len(plan.chunks) == 10
    assert [c.first_frame for c in plan.chunks[:3]] == [0, 1800, 3600]
    assert all(0 < c.seek < 1 / 30 for c in plan.chunks)


@settings(max_examples=100, deadline=None)
@given(
    frames=st.integers(2, 1500),
    rate=st.sampled_from(FRAME_RATES),
    target=st.floats(1, 30),
    minimum=st.floats(0.5, 10),
)
def test_chunks_aim_at_the_target_when_every_frame_is_a_keyframe(
    frames: int, rate: Fraction, target: float, minimum: float
) -> None:
    # Given an all-intra CFR source (a cut is possible at every frame)
    gap = 1 / float(rate)
    index = cfr_index(frames, float(rate), keyframe_every=1)
    # When it is planned for one worker
    plan = plan_chunks(index, target_seconds=target, min_seconds=minimum)
    # Then every chunk but the last lasts the target (or the minimum), give or take a frame
    aim = max(target, minimum)
    for chunk in plan.chunks[:-1]:
        assert abs(chunk.duration - aim) <= gap + TOLERANCE
    # And the last one is never longer than that plus the minimum
    assert plan.chunks[-1].duration < aim + minimum + gap


@settings(max_examples=100, deadline=None)
@given(source=sources(trims=False), data=st.data())
def test_trim_selecting_no_frames_is_refused(source: Source, data: st.DataObject) -> None:
    # Given a trim that lies between two frames, or after the last frame
    index = source.index
    i = data.draw(st.integers(0, len(index.times) - 1))
    after = frame_end(index, i + 1)
    start = index.times[i] + (after - index.times[i]) * data.draw(st.floats(0.1, 0.5))
    end: float | None = index.times[i] + (after - index.times[i]) * data.draw(st.floats(0.6, 0.9))
    if i + 1 == len(index.times) and data.draw(st.booleans()):
        end = None
    # When it is planned, Then it is refused as invalid input
    with pytest.raises(InvalidInputError):
        plan_chunks(index, target_seconds=10, min_seconds=2, trim=Trim(start=start, end=end))


def test_short_source_is_spread_over_the_workers() -> None:
    # Given 6 s at 25 fps with a keyframe every second
    index = cfr_index(150, 25.0, keyframe_every=25)
    # When it is planned for 3 workers with a 10 s target and a 2 s minimum
    plan = plan_chunks(index, target_seconds=10, min_seconds=2, workers=3)
    # Then each worker gets a 2 s chunk
    assert [(c.first_frame, c.frames) for c in plan.chunks] == [(0, 50), (50, 50), (100, 50)]
    assert [c.duration for c in plan.chunks] == pytest.approx([2.0, 2.0, 2.0])


def test_workers_never_push_chunks_below_the_minimum() -> None:
    # Given 6 s with a keyframe at every frame
    index = cfr_index(150, 25.0, keyframe_every=1)
    # When it is planned for 100 workers with a 2 s minimum
    plan = plan_chunks(index, target_seconds=10, min_seconds=2, workers=100)
    # Then it makes three 2 s chunks, not 100 tiny ones
    assert [c.frames for c in plan.chunks] == [50, 50, 50]


def test_long_source_is_cut_near_the_target() -> None:
    # Given 30 s at 25 fps with a keyframe every 2 s
    index = cfr_index(750, 25.0, keyframe_every=50)
    # When it is planned with a 10 s target
    plan = plan_chunks(index, target_seconds=10, min_seconds=2)
    # Then it is three 10 s chunks
    assert [c.first_frame for c in plan.chunks] == [0, 250, 500]
    assert plan.total_frames == 750
    assert plan.duration == pytest.approx(30.0)


def test_source_shorter_than_the_minimum_is_one_chunk() -> None:
    # Given 1 s of video with a keyframe every 5 frames
    index = cfr_index(25, 25.0, keyframe_every=5)
    # When it is planned with a 2 s minimum for 8 workers
    plan = plan_chunks(index, target_seconds=10, min_seconds=2, workers=8)
    # Then it is a single chunk of all 25 frames
    assert [(c.first_frame, c.frames) for c in plan.chunks] == [(0, 25)]


def test_trim_inside_a_gop_decodes_from_the_keyframe_before() -> None:
    # Given 20 s at 25 fps with a keyframe every 4 s (frames 0, 100, 200, ...)
    index = cfr_index(500, 25.0, keyframe_every=100)
    # When frames 3.0 s to 15.0 s are selected
    plan = plan_chunks(index, target_seconds=4, min_seconds=2, trim=Trim(start=3.0, end=15.0))
    # Then the first chunk starts at the trim (frame 75) and seeks to the keyframe at 0 s
    first = plan.chunks[0]
    assert first.first_frame == 75
    assert first.start == pytest.approx(3.0)
    assert 0.0 < first.seek < 0.04
    # And the keyframe at 4 s is skipped (a 1 s chunk is below the minimum), the later
    # chunks start on keyframes and the last one ends at the trim out point
    assert [c.first_frame for c in plan.chunks[1:]] == [200, 300]
    assert plan.total_frames == 300
    assert plan.end == pytest.approx(15.0)


def test_trim_after_the_last_frame_is_refused() -> None:
    # Given 2 s of video
    index = cfr_index(50, 25.0, keyframe_every=25)
    # When the trim starts after the last frame, Then it is refused
    with pytest.raises(InvalidInputError):
        plan_chunks(index, target_seconds=10, min_seconds=2, trim=Trim(start=5.0))


def test_trim_ending_before_the_first_frame_is_refused() -> None:
    # Given video whose first frame is shown at 1.4 s (a transport stream's start offset)
    index = FrameIndex(times=[1.4 + i / 25 for i in range(50)], keyframes=[0], end=3.4)
    # When the trim ends before it, Then it is refused
    with pytest.raises(InvalidInputError):
        plan_chunks(index, target_seconds=10, min_seconds=2, trim=Trim(start=0.0, end=1.0))


def test_real_keyframes_of_the_bikes_clip() -> None:
    # Given the frame index of real camera footage (keyframes at irregular distances)
    _, packets = load_probe("bikes")
    index = frame_index(packets, 0.0)
    # When it is planned with a 2 s target and a 1 s minimum
    plan = plan_chunks(index, target_seconds=2, min_seconds=1)
    # Then the cuts are the clip's own keyframes (1.2 s, 3.04 s, 5.48 s, 7.48 s, 9.68 s)
    assert [c.start for c in plan.chunks] == pytest.approx([0.0, 1.2, 3.04, 5.48, 7.48])
    assert plan.total_frames == 250


class CountingTimes(list[float]):
    """Frame times that count how often the planner reads one."""

    reads = 0

    def __getitem__(self, i: Any) -> Any:
        self.reads += 1
        return super().__getitem__(i)


def frame_reads_per_keyframe(seconds: int) -> float:
    """Frame-time reads per keyframe when planning all-intra 30 fps video of `seconds`."""
    index = cfr_index(30 * seconds, 30.0, keyframe_every=1)
    times = CountingTimes(index.times)
    counted = FrameIndex.model_construct(times=times, keyframes=index.keyframes, end=index.end)
    plan = plan_chunks(counted, target_seconds=10, min_seconds=2)
    assert len(plan.chunks) == seconds // 10
    return times.reads / len(index.keyframes)


def test_planning_work_grows_linearly_with_the_keyframe_count() -> None:
    # Given 1 and 10 minutes of all-intra 30 fps video (mezzanine codecs: a keyframe per frame)
    # When each is planned
    short, long = frame_reads_per_keyframe(60), frame_reads_per_keyframe(600)
    # Then each keyframe costs the same few reads of the frame times at both lengths: the
    # work is linear, so a 6 h source plans inside a Lambda's 15 min (a quadratic planner
    # reads 10 times more per keyframe at the tenfold length)
    assert long <= short * 1.1
    assert long < 10


def test_chunk_count_is_a_multiple_of_the_workers() -> None:
    # Given 30 s with a keyframe every second, 10 s chunks and two workers
    index = cfr_index(750, 25.0, keyframe_every=25)
    # When planned
    plan = plan_chunks(index, target_seconds=10, min_seconds=2, workers=2)
    # Then four chunks near 7.5 s (both workers busy to the end), not three of 10 s
    assert len(plan.chunks) == 4
    assert [c.frames for c in plan.chunks] == [200, 200, 200, 150]
