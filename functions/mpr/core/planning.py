"""Chunk planning: cut the selected frame range into keyframe-aligned chunks."""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from itertools import pairwise

from mpr.core.errors import InvalidInputError
from mpr.core.models import Chunk, ChunkPlan, FrameIndex, Trim

_EPSILON = 1e-6


@dataclass(frozen=True)
class DecodeCost:
    """The price of cutting inside a GOP: that chunk first decodes from the keyframe before.

    Cutting one GOP of G seconds into k equal chunks decodes G(k-1)/2 seconds more than
    the GOP itself. `max_overhead` bounds that extra decoding, weighed at `decode_ratio`
    (decode seconds per encode second of the same footage), as a share of the GOP's encode
    work: G(k-1)/2 * decode_ratio <= max_overhead * G. So the extra work of a one-keyframe
    source grows linearly with its length (at most 1 + 2 * max_overhead / decode_ratio
    chunks a GOP), never with its square. max_overhead 0 cuts on keyframes only.
    """

    decode_ratio: float = 0.2
    """Measured by bench/calibrate.py (media/calibration.json): decoding 1080p H.264 costs
    0.16 of encoding the four-rung HLS ladder from it, 0.57 of a 720p MP4 alone."""
    max_overhead: float = 0.5

    def max_pieces(self, preroll: float, gop: float) -> int:
        """Most even chunks a GOP of `gop` seconds, selected from `preroll` seconds after its
        keyframe, may be cut into: chunk j of k starts preroll + j * gop / k after the
        keyframe, so k chunks decode (k - 1) * (preroll + gop / 2) seconds more."""
        if self.max_overhead <= 0 or gop <= 0:
            return 1
        budget = self.max_overhead * gop / self.decode_ratio
        return 1 + math.floor(budget / (preroll + gop / 2) + _EPSILON)


def plan_chunks(
    index: FrameIndex,
    *,
    target_seconds: float,
    min_seconds: float,
    workers: int = 1,
    trim: Trim | None = None,
    decode: DecodeCost = DecodeCost(),
) -> ChunkPlan:
    """Cut the frames selected by `trim` into chunks that start on keyframes where they can.

    Chunks aim at `target_seconds`, shortened so that a short source still gives every one
    of `workers` a chunk, but never below `min_seconds` (a source shorter than that is one
    chunk). A chunk that starts inside a GOP (a trim in point, or a cut inside a GOP longer
    than the target) decodes from the keyframe before it; `decode` bounds how much extra
    decoding such cuts may add.
    """
    first, stop = _selected_range(index, trim)
    times = index.times
    range_start = times[first]
    range_end = times[stop] if stop < len(times) else index.end
    span = range_end - range_start
    target = _balanced_target(span, target_seconds, min_seconds, max(1, workers))

    keyframes = sorted(set(index.keyframes))
    piece = max(target, min_seconds)
    inside = _inside_gop_cuts(index, keyframes, first, stop, range_end, piece, decode)
    cuts = sorted({k for k in keyframes if first < k < stop} | inside)
    starts = [first]
    for pos, k in enumerate(cuts):
        last = times[starts[-1]]
        t = times[k]
        if t - last < min_seconds - _EPSILON or range_end - t < min_seconds - _EPSILON:
            continue
        if (
            k in inside  # already spaced by _inside_gop_cuts
            or t - last >= target - _EPSILON
            or _closer_than_next(pos, cuts, times, last + target)
        ):
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


def _inside_gop_cuts(
    index: FrameIndex,
    keyframes: list[int],
    first: int,
    stop: int,
    range_end: float,
    piece: float,
    decode: DecodeCost,
) -> set[int]:
    """Frames that cut each selected GOP longer than `piece` evenly, within the budget."""
    times = index.times
    kpos = max(bisect_right(keyframes, first) - 1, 0)
    gop_starts = [keyframes[kpos] if keyframes[kpos] <= first else 0]
    gop_starts += [k for k in keyframes[kpos + 1 :] if first < k < stop]
    cuts: set[int] = set()
    for key, after in zip(gop_starts, [*gop_starts[1:], stop], strict=True):
        begin = max(key, first)
        gop = (times[after] if after < stop else range_end) - times[begin]
        if gop < 1.5 * piece:  # a GOP of 1.4 chunks stays whole
            continue
        pieces = min(round(gop / piece), decode.max_pieces(times[begin] - times[key], gop))
        budget = decode.max_overhead * gop / decode.decode_ratio if pieces > 1 else 0.0
        while pieces > 1:
            found = _even_cuts(times, begin, after, gop, pieces)
            if sum(times[f] - times[key] for f in found) <= budget + _EPSILON:
                cuts.update(found)
                break
            pieces -= 1  # a frame grid coarser than the split: one piece fewer
    return cuts


def _even_cuts(times: list[float], begin: int, after: int, span: float, pieces: int) -> list[int]:
    """The first frames at or after each of `pieces - 1` even divisions of [begin, after)."""
    found: list[int] = []
    for j in range(1, pieces):
        frame = bisect_left(times, times[begin] + j * span / pieces - _EPSILON, begin + 1, after)
        if frame < after and (not found or frame > found[-1]):
            found.append(frame)
    return found


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
