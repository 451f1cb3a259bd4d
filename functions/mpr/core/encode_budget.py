"""How long a chunk may be so that its encode fits the encode function's timeout.

A chunk task decodes one chunk and encodes it to every video rendition of the job, in one
Lambda invocation. Its CPU time is estimated from CPU-seconds per output pixel-second,
measured per x264 preset by `bench/encode_cost.py` (a 1080p30 camera-like source scaled
and encoded, decoding included); the invocation has `vcpus` to spend them. A plan whose
chunks would not fit is cut shorter; a chunk that cannot be cut (a GOP longer than the
budget) is refused at plan time, before any encode is paid for.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from mpr.core.errors import LimitExceededError
from mpr.core.models import Chunk, ChunkPlan, FrameIndex, SizedRendition, Trim
from mpr.core.planning import plan_chunks

# `python -m bench.encode_cost` (4 s of 1080p30 to 720p, CRF 21), rounded up
CPU_SECONDS_PER_PIXEL_SECOND = {
    "ultrafast": 2.7e-8,
    "superfast": 3.8e-8,
    "veryfast": 4.5e-8,
    "faster": 5.9e-8,
    "fast": 7.0e-8,
    "medium": 8.6e-8,
    "slow": 1.24e-7,
}
# Lambda gives 1 vCPU per 1,769 MB, 6 at 10,240 MB
MB_PER_VCPU = 1769
MAX_VCPUS = 6.0
# a chunk cut inside a GOP first decodes from the keyframe before it (`Chunk.seek`); decoding
# costs at most this share of encoding the same footage (bench/calibrate.py: 0.16 for the
# 1080p ladder, 0.57 for one 720p MP4)
DECODE_SHARE = 0.6
_SHRINK_STEPS = 16
_MIN_SHRINK = 1.25


@dataclass(frozen=True)
class EncodeBudget:
    """What one encode invocation has: its timeout and vCPUs. Only `share` of the timeout is
    planned for: the vCPUs of a Lambda are not the cores the rates were measured on, x264
    does not use every core all the time, and the chunk's upload follows the encode."""

    timeout_seconds: float
    vcpus: float
    share: float = 0.5

    @classmethod
    def for_function(cls, timeout_seconds: float, memory_mb: int) -> EncodeBudget:
        return cls(timeout_seconds, min(MAX_VCPUS, memory_mb / MB_PER_VCPU))

    @property
    def seconds(self) -> float:
        """Wall seconds an estimated encode may take."""
        return self.timeout_seconds * self.share


def encode_seconds(
    chunk_seconds: float,
    renditions: Sequence[SizedRendition],
    fps: float,
    vcpus: float,
    preroll_seconds: float = 0.0,
) -> float:
    """Estimated wall seconds to encode `chunk_seconds` of the source to every rendition,
    after decoding `preroll_seconds` from the keyframe before the chunk."""
    cpu = sum(
        CPU_SECONDS_PER_PIXEL_SECOND[r.rendition.x264_preset] * r.width * r.height * fps
        for r in renditions
    )
    return (chunk_seconds + DECODE_SHARE * preroll_seconds) * cpu / vcpus


def max_chunk_seconds(
    renditions: Sequence[SizedRendition], fps: float, budget: EncodeBudget
) -> float:
    """The longest chunk whose estimated encode fits the budget."""
    return budget.seconds / encode_seconds(1.0, renditions, fps, budget.vcpus)


def check_plan(
    plan: ChunkPlan, renditions: Sequence[SizedRendition], fps: float, budget: EncodeBudget
) -> None:
    """Raise LimitExceededError naming the first chunk whose encode would not fit."""
    for chunk in plan.chunks:
        seconds = chunk.end - chunk.start
        estimate = encode_seconds(seconds, renditions, fps, budget.vcpus, preroll(chunk))
        if estimate > budget.seconds:
            limit = max_chunk_seconds(renditions, fps, budget)
            raise LimitExceededError(
                f"chunk {chunk.index} ({chunk.start:.2f}-{chunk.end:.2f} s) has no keyframe to "
                f"cut at: its encode would take about {estimate:.0f} s of the "
                f"{budget.timeout_seconds:.0f} s the encode function may run; chunks may "
                f"last {limit:.1f} s for these renditions (re-encode the source with "
                "keyframes at least that often, or choose fewer or smaller renditions)"
            )


def preroll(chunk: Chunk) -> float:
    """Seconds decoded before the chunk's first frame (from the keyframe it seeks to)."""
    return max(0.0, chunk.start - chunk.seek)


def plan_within_budget(
    index: FrameIndex,
    *,
    target_seconds: float,
    min_seconds: float,
    workers: int,
    trim: Trim | None,
    renditions: Sequence[SizedRendition],
    fps: float,
    budget: EncodeBudget | None,
) -> ChunkPlan:
    """`plan_chunks` with chunks no longer than the budget allows, or LimitExceededError;
    without a budget (or renditions to encode), `plan_chunks` as it is.

    The planner cuts near its target, so a chunk may overrun it (up to a GOP, or by the
    decoding before a cut inside a GOP): the target shrinks by the overrun until every
    chunk fits, or the planner cannot cut a GOP fine enough."""
    if budget is None or not renditions:
        return plan_chunks(
            index,
            target_seconds=target_seconds,
            min_seconds=min_seconds,
            workers=workers,
            trim=trim,
        )
    longest = max_chunk_seconds(renditions, fps, budget)
    target = min(target_seconds, longest)
    previous = None
    for _ in range(_SHRINK_STEPS):
        plan = plan_chunks(
            index,
            target_seconds=target,
            min_seconds=min(min_seconds, target / 2),
            workers=workers,
            trim=trim,
        )
        overrun = (
            max(
                encode_seconds(c.end - c.start, renditions, fps, budget.vcpus, preroll(c))
                for c in plan.chunks
            )
            / budget.seconds
        )
        if overrun <= 1:
            break
        # a plan that did not change needs a bigger step before the planner cuts elsewhere
        stuck = plan.chunks == previous
        target /= max(overrun * 1.01, _MIN_SHRINK) if stuck else overrun * 1.01
        previous = plan.chunks
    check_plan(plan, renditions, fps, budget)
    return plan
