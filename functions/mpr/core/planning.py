"""Chunk planning: cut the selected frame range into keyframe-aligned chunks."""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from itertools import pairwise

from mpr.core.errors import InvalidInputError
from mpr.core.models import Chunk, ChunkPlan, FrameIndex, Trim

_EPSILON = 1e-6


def plan_chunks(
    index: FrameIndex,
    *,
    target_seconds: float,
    min_seconds: float,
    workers: int = 1,
    trim: Trim | None = None,
) -> ChunkPlan:
    """Cut the frames selected by `trim` into chunks that start on keyframes.

    Chunks aim at `target_seconds`, shortened so that a short source still gives every one
    of `workers` a chunk, but never below `min_seconds` (a source shorter than that is one
    chunk). A chunk that starts inside a GOP (a trim in point) decodes from the keyframe
    before it. A source with one keyframe is one chunk.
    """
    first, stop = _selected_range(index, trim)
    times = index.times
    range_start = times[first]
    range_end = times[stop] if stop < len(times) else index.end
    span = range_end - range_start
    target = _balanced_target(span, target_seconds, min_seconds, max(1, workers))

    keyframes = sorted(set(index.keyframes))
    cuts = [k for k in keyframes if first < k < stop]
    starts = [first]
    for pos, k in enumerate(cuts):
        last = times[starts[-1]]
        t = times[k]
        if t - last < min_seconds - _EPSILON or range_end - t < min_seconds - _EPSILON:
            continue
        if t - last >= target - _EPSILON or _closer_than_next(pos, cuts, times, last + target):
            starts.append(k)

    bounds = [*starts, stop]
    chunks = [_chunk(i, a, b, index, keyframes) for i, (a, b) in enumerate(pairwise(bounds))]
    return ChunkPlan(chunks=chunks, start=range_start, end=range_end, total_frames=stop - first)


def _balanced_target(span: float, target: float, minimum: float, workers: int) -> float:
    """Chunk length near `target` that gives a whole number of chunks per worker.

    With 3 equal chunks on 2 workers one worker idles for a third of the encode; 4 slightly
    shorter chunks keep both busy to the end. Never below `minimum`; one worker keeps
    `target` as it is.
    """
    if workers == 1:
        return min(target, max(minimum, span))
    count = max(1, math.ceil(span / target - _EPSILON))
    count = math.ceil(count / workers) * workers
    while count > 1 and span / count < minimum - _EPSILON:
        count -= 1
    return span / count


def _selected_range(index: FrameIndex, trim: Trim | None) -> tuple[int, int]:
    times = index.times
    if trim is None:
        return 0, len(times)
    first = bisect_left(times, trim.start - _EPSILON)
    stop = len(times) if trim.end is None else bisect_left(times, trim.end - _EPSILON)
    if stop <= first:
        raise InvalidInputError(
            f"trim {trim.start:g}-{trim.end if trim.end is not None else 'end'} selects no frames"
        )
    return first, stop


def _closer_than_next(pos: int, cuts: list[int], times: list[float], goal: float) -> bool:
    """True if the cut candidate at `pos` is nearer the goal time than the one after it."""
    if pos + 1 >= len(cuts):
        return False
    after = times[cuts[pos + 1]]
    return after > goal and abs(times[cuts[pos]] - goal) < abs(after - goal)


def _chunk(i: int, a: int, b: int, index: FrameIndex, keyframes: list[int]) -> Chunk:
    times = index.times
    n = len(times)
    gap_first = (times[a + 1] if a + 1 < n else index.end) - times[a]
    select_from = (times[a - 1] + times[a]) / 2 if a > 0 else times[a] - gap_first / 2
    last_end = times[b] if b < n else index.end
    select_to = (times[b - 1] + last_end) / 2
    kpos = bisect_right(keyframes, a) - 1
    key = keyframes[kpos] if kpos >= 0 else 0
    key_next = times[key + 1] if key + 1 < n else index.end
    return Chunk(
        index=i,
        first_frame=a,
        frames=b - a,
        start=times[a],
        end=last_end,
        seek=(times[key] + key_next) / 2,
        select_from=select_from,
        select_to=select_to,
    )
