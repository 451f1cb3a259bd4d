"""Predicted wall time and cost of a job on Lambda + Step Functions, stage by stage (pure).

CPU work comes from a calibration measured with the pinned ffmpeg (`bench/calibrate.py`):
encode CPU-seconds per output pixel-frame per rung and a factor per x264 preset, decode
CPU-seconds per source pixel-frame, audio CPU-seconds per second. The cloud plan's encode
budget (`mpr.core.encode_budget`) estimates chunk encodes from the same calibration. The
cloud's side is the list of facts below, each with its source. The model: every stage is
one Lambda (cold start + transfers + CPU divided over its vCPUs); the chunk encodes fan
out over `lambdas` environments, started as fast as Lambda scales, the longest first; the
audio runs beside them.
"""

from __future__ import annotations

import heapq
from bisect import bisect_left
from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, model_validator

if TYPE_CHECKING:  # models.py holds a JobEstimate in the manifest
    from mpr.core.models import Chunk, ChunkPlan, FrameIndex, MediaInfo, SizedRendition

Arch = Literal["x86_64", "arm64"]
X264Preset = Literal["ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow"]


class Model(BaseModel):
    """Immutable and strict about unknown fields, as every core model."""

    model_config = ConfigDict(frozen=True, extra="forbid")


# --- cloud facts, each with its source --------------------------------------------------

LAMBDA_MB_PER_VCPU = 1769
"""AWS Lambda Developer Guide, "Configure Lambda function memory": at 1,769 MB a function
has the equivalent of one vCPU."""
LAMBDA_MAX_VCPUS = 6
"""Same page: up to 6 vCPUs at the 10,240 MB maximum."""


def lambda_vcpus(memory_mb: int) -> float:
    """The vCPUs of a Lambda function with `memory_mb` of memory."""
    return min(LAMBDA_MAX_VCPUS, memory_mb / LAMBDA_MB_PER_VCPU)


LAMBDA_MAX_MB = 10_240
LAMBDA_GB_SECOND_USD: dict[Arch, float] = {"x86_64": 0.0000166667, "arm64": 0.0000133334}
"""AWS Lambda pricing, us-east-1, first pricing tier, per GB-second of duration."""
LAMBDA_REQUEST_USD = 0.20 / 1_000_000
"""AWS Lambda pricing: $0.20 per million requests."""
LAMBDA_SCALE_STEP = 1000
LAMBDA_SCALE_PERIOD_S = 10.0
"""AWS Lambda Developer Guide, "Lambda scaling behavior": each function can scale up by
1,000 execution environments every 10 seconds (up to the account's concurrency)."""
ACCOUNT_CONCURRENCY = 1000
"""AWS Lambda quotas: 1,000 concurrent executions per Region by default (new accounts may
start lower, 10; raise with a quota request)."""
DISTRIBUTED_MAP_MAX = 10_000
"""AWS Step Functions Developer Guide, Distributed Map: up to 10,000 parallel children."""
COLD_START_S = 2.0
"""Assumption, not measured here: first invocation of a container-image function with the
ffmpeg layer (image pull from the Lambda cache and Python import). AWS publishes no figure."""
S3_MB_PER_S = 90.0
"""Assumption, per function and per direction: one S3 GET/PUT stream from Lambda (the S3
performance guidelines advise parallel ranged requests for more; MPR streams one)."""
SFN_TRANSITION_USD = 0.025 / 1000
"""AWS Step Functions pricing: Standard workflows, $0.025 per 1,000 state transitions."""
SFN_EXPRESS_REQUEST_USD = 1.0 / 1_000_000
SFN_EXPRESS_GB_SECOND_USD = 0.00001667
"""AWS Step Functions pricing: Express workflows, $1.00 per million requests and
$0.00001667 per GB-second (billed at 64 MB) of duration."""
MEDIACONVERT_PER_MINUTE_USD = {"SD": 0.0075, "HD": 0.015, "UHD": 0.03}
"""AWS Elemental MediaConvert pricing, Basic tier, on-demand, up to 30 fps, per output
minute: SD below 720 lines, HD 720-1080, UHD above (list prices, before volume discounts)."""
CPU_EFFICIENCY = 0.85
"""Assumption: share of a function's vCPUs the encoders keep busy (x264 frame threads plus
one ffmpeg per rung in a ladder)."""
PLAN_SECONDS = 0.2
FINALIZE_SECONDS = 0.3
"""Assumptions: the plan and finalize stages' own work (JSON reads and writes in S3)."""
STATE_TRANSITIONS_FIXED = 12
"""Transitions of one run outside the maps: probe, plan, parallel, task list read, audio,
stitch map, package, finalize and their Pass/Choice states (statemachines/transcode.asl.json)."""


class Calibration(Model):
    """CPU cost of the pinned ffmpeg, measured on one machine by bench/calibrate.py."""

    machine: str
    arch: Arch = "x86_64"
    ffmpeg: str
    encode_cpu_per_pixel_frame: dict[int, float] = Field(
        description="rung height -> encode CPU-seconds per output pixel-frame, at the x264 "
        "preset `base_preset`"
    )
    base_preset: X264Preset = "veryfast"
    preset_factor: dict[X264Preset, float] = Field(
        description="x264 preset -> its encode CPU against `base_preset` (which is 1)"
    )
    decode_cpu_per_pixel_frame: float = Field(gt=0)
    audio_cpu_per_second: float = Field(gt=0)
    probe_seconds: float = Field(ge=0, description="probing an MP4 from its index")

    @model_validator(mode="after")
    def _every_preset(self) -> Calibration:
        missing = set(get_args(X264Preset)) - set(self.preset_factor)
        if missing:
            raise ValueError(f"preset_factor lacks {', '.join(sorted(missing))}")
        if self.preset_factor[self.base_preset] != 1.0:
            raise ValueError(f"preset_factor of the base preset {self.base_preset} must be 1")
        return self

    def encode_rate(self, height: int, preset: X264Preset) -> float:
        """CPU-seconds per output pixel-frame: the nearest measured rung height, scaled to
        the x264 preset."""
        nearest = min(self.encode_cpu_per_pixel_frame, key=lambda h: abs(h - height))
        return self.encode_cpu_per_pixel_frame[nearest] * self.preset_factor[preset]

    def encode_cpu_per_frame(self, renditions: Sequence[SizedRendition]) -> float:
        """CPU-seconds to encode one frame to every rendition."""
        return sum(
            r.width * r.height * self.encode_rate(r.height, r.rendition.x264_preset)
            for r in renditions
        )


class Platform(Model):
    """Where the job runs."""

    lambdas: int = Field(100, ge=1, description="concurrent chunk encodes allowed")
    memory_mb: int = Field(LAMBDA_MAX_MB, ge=128, le=LAMBDA_MAX_MB)
    arch: Arch = "x86_64"
    arch_speed: float = Field(
        1.0, gt=0, description="CPU speed against the calibration machine, per vCPU"
    )
    account_concurrency: int = ACCOUNT_CONCURRENCY
    cold_start_s: float = COLD_START_S
    s3_mb_per_s: float = S3_MB_PER_S

    @property
    def vcpus(self) -> float:
        return lambda_vcpus(self.memory_mb)


class StageEstimate(Model):
    """One stage: predicted wall seconds and cost; measured seconds when a run supplies them."""

    stage: str
    seconds: float
    cost_usd: float
    invocations: int
    measured_seconds: float | None = None
    note: str = ""


class JobEstimate(Model):
    """The whole job: stages in order, the wall time, the bill, and MediaConvert beside it."""

    stages: list[StageEstimate]
    wall_seconds: float
    cost_usd: float
    step_functions_usd: float
    mediaconvert_usd: float
    output_minutes: float
    chunks: int
    slowest_stage: str
    longest_chunk_seconds: float
    assumptions: list[str]


def estimate(
    media: MediaInfo,
    index: FrameIndex,
    plan: ChunkPlan,
    renditions: Sequence[SizedRendition],
    calibration: Calibration,
    platform: Platform,
    *,
    stitched: Sequence[SizedRendition] | None = None,
    tasks: Sequence[Chunk] | None = None,
    audio_encodings: int = 1,
    measured: dict[str, float] | None = None,
) -> JobEstimate:
    """Predict every stage of the job `plan` describes (see the module docstring).

    `stitched` are the renditions an MP4 output joins (None: all of them); HLS rungs,
    thumbnails and sprite tiles are written by the chunk tasks, so packaging them moves
    no media. `tasks` are the chunks that get a chunk task (None: every chunk; none for a
    job of audio presets only); the audio task makes `audio_encodings` encodings of every
    carried track."""
    measured = measured or {}
    cpu = platform.vcpus * CPU_EFFICIENCY * platform.arch_speed
    duration = plan.duration
    fps = media.video.fps
    pixels = media.video.width * media.video.height
    decode_per_second = pixels * fps * calibration.decode_cpu_per_pixel_frame
    encode_per_second = fps * calibration.encode_cpu_per_frame(renditions)
    source_mb_per_s = (media.bit_rate or 0) / 8e6
    out_mb_per_s = sum(r.rendition.max_bitrate_kbps for r in renditions) / 8e3
    warm = platform.cold_start_s

    def transfer(mb: float) -> float:
        return mb / platform.s3_mb_per_s

    key_times = sorted(index.times[k] for k in set(index.keyframes))
    chunk_seconds = []
    for chunk in plan.chunks if tasks is None else tasks:
        decoded = chunk.end - _keyframe_time(key_times, chunk.seek)
        work = decoded * decode_per_second + chunk.duration * encode_per_second
        io = transfer(decoded * source_mb_per_s) + transfer(chunk.duration * out_mb_per_s)
        chunk_seconds.append(warm + io + work / cpu)
    slots = min(platform.lambdas, platform.account_concurrency, DISTRIBUTED_MAP_MAX)
    encode_wall = _makespan(chunk_seconds, slots)
    audio_s = 0.0
    if media.audio is not None:
        # the audio task streams the whole source (video samples included) once an
        # encoding and encodes every carried track in each
        tracks = len(media.audio_tracks)
        cpu_s = tracks * duration * calibration.audio_cpu_per_second / platform.arch_speed
        audio_s = warm + audio_encodings * (transfer(duration * source_mb_per_s) + cpu_s)
    encode_s = max(encode_wall, audio_s)
    joined = list(renditions if stitched is None else stitched)
    mp4_mb_per_s = sum(r.rendition.max_bitrate_kbps for r in joined) / 8e3
    stitch_s = warm + 2 * transfer(duration * mp4_mb_per_s / len(joined)) if joined else 0.0
    # an MP4 is copied server-side, taken here at the S3 rate; HLS is playlists and copies
    package_s = warm + transfer(duration * mp4_mb_per_s)
    package_note = "copies the stitched MP4s; playlists over the chunks' segments"
    holder = " (the audio holds the stage)" if audio_s > encode_wall else ""
    # (stage, wall seconds, Lambda seconds billed, invocations, note)
    rows = [
        ("probe", warm + calibration.probe_seconds, None, 1, "index read with ranged GETs"),
        ("plan", warm + PLAN_SECONDS, None, 1, f"{len(plan.chunks)} chunks"),
        (
            "encode",
            encode_s,
            sum(chunk_seconds) + audio_s,
            len(chunk_seconds) + (1 if media.audio else 0),
            f"{len(chunk_seconds)} chunk tasks on {slots} Lambdas: {encode_wall:.1f} s; audio "
            f"{audio_s:.1f} s beside{holder}",
        ),
        ("stitch", stitch_s, stitch_s * len(joined), len(joined), "one Lambda an MP4 rung"),
        ("package", package_s, None, 1, package_note),
        ("finalize", warm + FINALIZE_SECONDS, None, 1, ""),
    ]
    gb = platform.memory_mb / 1024
    rate = LAMBDA_GB_SECOND_USD[platform.arch]
    stages = []
    for name, seconds, busy, calls, note in rows:
        busy = seconds if busy is None else busy
        stages.append(
            StageEstimate(
                stage=name,
                seconds=round(seconds, 2),
                cost_usd=busy * gb * rate + calls * LAMBDA_REQUEST_USD,
                invocations=calls,
                measured_seconds=measured.get(name),
                note=note,
            )
        )
    transitions = STATE_TRANSITIONS_FIXED + 2 * len(renditions)
    sfn = (
        transitions * SFN_TRANSITION_USD
        + len(chunk_seconds) * SFN_EXPRESS_REQUEST_USD
        + sum(chunk_seconds) * 0.0625 * SFN_EXPRESS_GB_SECOND_USD
    )
    minutes = duration / 60
    slowest = max(stages, key=lambda s: s.seconds)
    return JobEstimate(
        stages=stages,
        wall_seconds=round(sum(s.seconds for s in stages), 1),
        cost_usd=sum(s.cost_usd for s in stages) + sfn,
        step_functions_usd=sfn,
        mediaconvert_usd=sum(
            minutes * MEDIACONVERT_PER_MINUTE_USD[_tier(r.height)] for r in renditions
        ),
        output_minutes=minutes * len(renditions),
        chunks=len(plan.chunks),
        slowest_stage=slowest.stage,
        longest_chunk_seconds=round(max(chunk_seconds, default=0.0), 2),
        assumptions=[
            f"Lambda {platform.memory_mb} MB = {platform.vcpus:.2f} vCPU ({platform.arch}), "
            f"{CPU_EFFICIENCY:.0%} kept busy, speed x{platform.arch_speed:g} of the "
            f"calibration machine ({calibration.machine}, {calibration.arch})",
            f"cold start {platform.cold_start_s:g} s per stage and per chunk task",
            f"S3 {platform.s3_mb_per_s:g} MB/s per function; source {source_mb_per_s * 8:.1f} "
            f"Mb/s, outputs at their max bitrates ({out_mb_per_s * 8:.1f} Mb/s together)",
            f"concurrency min(--lambdas {platform.lambdas}, account "
            f"{platform.account_concurrency}, Distributed Map {DISTRIBUTED_MAP_MAX}); Lambda "
            f"adds {LAMBDA_SCALE_STEP} environments per {LAMBDA_SCALE_PERIOD_S:g} s",
            "MediaConvert: Basic tier list price per output minute, every rung an output",
        ],
    )


def _keyframe_time(key_times: list[float], seek: float) -> float:
    """The keyframe a chunk decodes from (its seek point lies just after it)."""
    return key_times[max(bisect_left(key_times, seek) - 1, 0)]


def _makespan(durations: Sequence[float], slots: int) -> float:
    """Longest first onto the earliest free slot; slot n opens when Lambda has scaled to it."""
    opens = [LAMBDA_SCALE_PERIOD_S * (n // LAMBDA_SCALE_STEP) for n in range(slots)]
    free = list(opens)
    heapq.heapify(free)
    end = 0.0
    for seconds in sorted(durations, reverse=True):
        start = heapq.heappop(free)
        end = max(end, start + seconds)
        heapq.heappush(free, start + seconds)
    return end


def _tier(height: int) -> str:
    return "SD" if height < 720 else "HD" if height <= 1080 else "UHD"
