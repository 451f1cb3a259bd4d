"""The local worker pool: runs the stages in the cloud pipeline's order, chunks in parallel.

A job run again after an interruption skips the chunks whose results are in the work area.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import partial

from mpr import stages
from mpr.adapters.disk_space import SpaceLedger, job_bytes
from mpr.core import keys
from mpr.core.audio import job_kbps
from mpr.core.errors import MprError
from mpr.core.ffmpeg_args import x264_threads
from mpr.core.models import ChunkPlan, ChunkTask, JobSpec, Manifest, MediaInfo
from mpr.core.payloads import (
    EncodeAudioRequest,
    FailRequest,
    JobRef,
    PlanRequest,
    ProbeRequest,
    StitchRequest,
)
from mpr.settings import usable_cores


class JobCancelledError(MprError):
    """The job was cancelled while it ran."""

    code = "JobCancelledError"


class JobInterruptedError(MprError):
    """The server is shutting down: the job stops and keeps its work files."""

    code = "JobInterruptedError"


@dataclass(frozen=True)
class PipelineEvent:
    """Progress of a running job: the stage and finished chunk encodes."""

    stage: str
    chunks_done: int = 0
    chunks_total: int = 0
    timings: dict[str, float] = field(default_factory=dict)


EventSink = Callable[[PipelineEvent], None]


class LocalPipeline:
    """Runs a job's stages with a pool of `workers` threads, each driving one ffmpeg.

    Each encode gets x264 threads for the cores per worker (`ffmpeg_args.x264_threads`).
    The source decoder gets just the cores per worker: the workers already fill every core,
    and extra decoder threads only add synchronisation.
    """

    def __init__(
        self,
        ctx: stages.StageContext,
        workers: int,
        cpu_count: int | None = None,
        space: SpaceLedger | None = None,
    ) -> None:
        self.workers = max(1, workers)
        self.space = space
        cores = cpu_count or usable_cores()
        per_worker = max(1, cores // self.workers)
        self.ctx = replace(
            ctx,
            encode_threads=ctx.encode_threads or x264_threads(per_worker),
            decode_threads=ctx.decode_threads or per_worker,
        )

    def run(
        self,
        job_id: str,
        spec: JobSpec,
        *,
        on_event: EventSink | None = None,
        cancel: threading.Event | None = None,
        stop: threading.Event | None = None,
    ) -> Manifest:
        """Run every stage; on any failure run the fail stage and re-raise. After `stop`
        no new task starts and the work files stay, for a later run to resume from."""
        run = _Run(
            self,
            job_id,
            spec,
            on_event or (lambda _e: None),
            cancel or threading.Event(),
            stop or threading.Event(),
        )
        try:
            return run.execute()
        except JobInterruptedError:
            raise
        except BaseException as exc:
            reported = self.space.explain(exc) if self.space else exc
            error = reported.code if isinstance(reported, MprError) else type(exc).__name__
            stages.fail(self.ctx, FailRequest(job_id=job_id, error=error, cause=str(reported)))
            if reported is exc:
                raise
            raise reported from exc
        finally:
            if self.space:
                self.space.release(job_id)


class _Run:
    def __init__(
        self,
        pipeline: LocalPipeline,
        job_id: str,
        spec: JobSpec,
        emit: EventSink,
        cancel: threading.Event,
        stop: threading.Event,
    ) -> None:
        self.ctx, self.workers, self.space = pipeline.ctx, pipeline.workers, pipeline.space
        self.job_id, self.spec, self.emit, self.cancel = job_id, spec, emit, cancel
        self.stop = stop
        self.timings: dict[str, float] = {}
        self.done = 0
        self.total = 0
        self.lock = threading.Lock()

    def execute(self) -> Manifest:
        ctx, job = self.ctx, self.job_id
        stages.submit(ctx, job, self.spec)
        with self._stage("probe"):
            probed = stages.probe(ctx, ProbeRequest(job_id=job, source=self.spec.source))
        with self._stage("plan"):
            planned = stages.plan(ctx, PlanRequest(**probed.model_dump()))
        self.total = planned.task_count
        tasks = stages.load_tasks(ctx, job)
        if self.space:
            media = MediaInfo.model_validate_json(ctx.work.get_bytes(probed.media_key))
            chunk_plan = ChunkPlan.model_validate_json(ctx.work.get_bytes(keys.plan(job)))
            audio_kbps = job_kbps(self.spec, media)
            self.space.reserve(
                job, job_bytes(tasks, audio_kbps=audio_kbps, seconds=chunk_plan.duration)
            )
        with self._stage("encode"):
            self._encode(tasks)
        with self._stage("stitch"):
            self._parallel(
                [
                    partial(stages.stitch, ctx, StitchRequest(job_id=job, rendition=r))
                    for r in planned.stitched
                ]
            )
        with self._stage("package"):
            stages.package(ctx, JobRef(job_id=job))
        with self._stage("finalize"):
            final = stages.finalize(ctx, JobRef(job_id=job), timings=self.timings)
        manifest = Manifest.model_validate_json(ctx.outputs.get_bytes(final.manifest_key))
        self.emit(PipelineEvent("done", self.done, self.total, dict(self.timings)))
        return manifest

    def _encode(self, tasks: list[ChunkTask]) -> None:
        """Every chunk on the pool, largest first for an even finish, and the audio once
        beside the pool: in a worker slot it would leave one worker idle at the end for as
        long as the audio took."""
        ordered = sorted(tasks, key=lambda t: t.pixels, reverse=True)
        audio = EncodeAudioRequest(job_id=self.job_id, source=self.spec.source)
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="mpr-audio") as side:
            audio_done = side.submit(self._guarded, partial(stages.encode_audio, self.ctx, audio))
            self._parallel([partial(self._encode_one, t) for t in ordered])
            audio_done.result()

    def _encode_one(self, task: ChunkTask) -> None:
        if not self._encoded(task):
            stages.encode_chunk(self.ctx, task)
        with self.lock:
            self.done += 1
            event = PipelineEvent("encode", self.done, self.total, dict(self.timings))
        self.emit(event)

    def _encoded(self, task: ChunkTask) -> bool:
        """Whether an earlier run of the job left this chunk's results in the work area (a
        chunk that only makes pictures leaves none, and is decoded again)."""
        return bool(task.renditions) and all(
            self.ctx.work.exists(keys.chunk_result(self.job_id, r.id, task.chunk.index))
            for r in task.renditions
        )

    def _parallel(self, jobs: list[Callable[[], object]]) -> None:
        """Run jobs on the pool; the first failure (or a cancel) stops what has not started."""
        if not jobs:
            return
        with ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="mpr") as pool:
            futures: list[Future[object]] = [pool.submit(self._guarded, job) for job in jobs]
            finished, _ = wait(futures, return_when=FIRST_EXCEPTION)
            errors = [e for e in (f.exception() for f in finished) if e is not None]
            if errors:
                for future in futures:
                    future.cancel()
                raise errors[0]

    def _guarded(self, job: Callable[[], object]) -> object:
        self._check_cancel()
        return job()

    def _check_cancel(self) -> None:
        if self.cancel.is_set():
            raise JobCancelledError(f"job {self.job_id} was cancelled")
        if self.stop.is_set():
            raise JobInterruptedError(f"job {self.job_id} was interrupted by a shutdown")

    @contextmanager
    def _stage(self, name: str) -> Iterator[None]:
        self._check_cancel()
        self.emit(PipelineEvent(name, self.done, self.total, dict(self.timings)))
        started = time.perf_counter()
        yield
        self.timings[name] = round(time.perf_counter() - started, 3)
