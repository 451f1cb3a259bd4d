"""How long a chunk may be so that its encode fits the encode function's timeout.

A chunk task decodes one chunk (from the keyframe before it) and encodes it to every video
rendition of the job, in one Lambda invocation. Its CPU time comes from the calibration
(`mpr.core.estimate.Calibration`, measured by `bench/calibrate.py`): decode CPU-seconds per
source pixel-frame, encode CPU-seconds per output pixel-frame per rung and x264 preset; the
invocation has `vcpus` to spend them. A plan whose chunks would not fit is cut shorter; a
chunk that cannot be cut (a GOP longer than the budget) is refused at plan time, before any
encode is paid for.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from mpr.core.errors import LimitExceededError
from mpr.core.estimate import Calibration, lambda_vcpus
from mpr.core.models import Chunk, ChunkPlan, FrameIndex, SizedRendition, Trim, VideoInfo
from mpr.core.planning import plan_chunks

_SHRINK_STEPS = 16
_MIN_SHRINK = 1.25


@dataclass(frozen=True)
class EncodeBudget:
    """What one encode invocation has: its timeout and vCPUs. Only `share` of the timeout is
    planned for: the rates are one thread's CPU time on another machine's cores, x264's
    threads cost more and do not keep every core busy, and the chunk's upload follows."""

    timeout_seconds: float
    vcpus: float
    share: float = 0.5

    @classmethod
    def for_function(cls, timeout_seconds: float, memory_mb: int) -> EncodeBudget:
        return cls(timeout_seconds, lambda_vcpus(memory_mb))

    @property
    def seconds(self) -> float:
        """Wall seconds an estimated encode may take."""
        return self.timeout_seconds * self.share


@dataclass(frozen=True)
class EncodeWork:
    """What a chunk task does per second of source: decode `video`, encode every rendition,
    at the CPU cost `calibration` measured."""

    video: VideoInfo
    renditions: Sequence[SizedRendition]
    calibration: Calibration

    @property
    def decode_cpu_per_second(self) -> float:
        pixels = self.video.width * self.video.height
        return pixels * self.video.fps * self.calibration.decode_cpu_per_pixel_frame

    @property
    def encode_cpu_per_second(self) -> float:
        return self.video.fps * self.calibration.encode_cpu_per_frame(self.renditions)


def encode_seconds(
    chunk_seconds: float, work: EncodeWork, vcpus: float, preroll_seconds: float = 0.0
) -> float:
    """Estimated wall seconds to decode and encode `chunk_seconds` of the source to every
    rendition, after decoding `preroll_seconds` from the keyframe before the chunk."""
    decode = (chunk_seconds + preroll_seconds) * work.decode_cpu_per_second
    return (decode + chunk_seconds * work.encode_cpu_per_second) / vcpus


def max_chunk_seconds(work: EncodeWork, budget: EncodeBudget) -> float:
    """The longest chunk (cut on a keyframe) whose estimated encode fits the budget."""
    return budget.seconds / encode_seconds(1.0, work, budget.vcpus)


def check_plan(plan: ChunkPlan, work: EncodeWork, budget: EncodeBudget) -> None:
    """Raise LimitExceededError naming the first chunk whose encode would not fit."""
    for chunk in plan.chunks:
        seconds = chunk.end - chunk.start
        estimate = encode_seconds(seconds, work, budget.vcpus, preroll(chunk))
        if estimate > budget.seconds:
            limit = max_chunk_seconds(work, budget)
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
    work: EncodeWork,
    budget: EncodeBudget | None,
) -> ChunkPlan:
    """`plan_chunks` with chunks no longer than the budget allows, or LimitExceededError;
    without a budget (or renditions to encode), `plan_chunks` as it is.

    The planner cuts near its target, so a chunk may overrun it (up to a GOP, or by the
    decoding before a cut inside a GOP): the target shrinks by the overrun until every
    chunk fits, or the planner cannot cut a GOP fine enough."""
    if budget is None or not work.renditions:
        return plan_chunks(
            index,
            target_seconds=target_seconds,
            min_seconds=min_seconds,
            workers=workers,
            trim=trim,
        )
    longest = max_chunk_seconds(work, budget)
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
                encode_seconds(c.end - c.start, work, budget.vcpus, preroll(c)) for c in plan.chunks
            )
            / budget.seconds
        )
        if overrun <= 1:
            break
        # a plan that did not change needs a bigger step before the planner cuts elsewhere
        stuck = plan.chunks == previous
        target /= max(overrun * 1.01, _MIN_SHRINK) if stuck else overrun * 1.01
        previous = plan.chunks
    check_plan(plan, work, budget)
    return plan
