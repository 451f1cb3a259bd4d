"""The pipeline as Celery tasks: the stage functions and payloads of the Step Functions
pipeline (statemachines/transcode.asl.json), in its order.

probe -> plan -> chord(every chunk task, the audio encode of every track) -> stitch_all
-> chord(stitch per rendition) -> package -> finalize; a task that fails for good (after
the ASL's retries of RetryableError) records the job FAILED, as the ASL's RecordFailure.

Each task first checks that its job is still live, so a task of a cancelled or failed job
does nothing; cancelling also revokes the job's tasks (their ids are kept in Redis), which
stops the running ones. Webhooks go out from their own queue.
"""

from __future__ import annotations

import logging
import os
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

import redis
from celery import Task, chain, chord
from celery.canvas import Signature
from celery.exceptions import Ignore

from mpr import stages
from mpr.adapters.celery_app import app
from mpr.core.errors import MprError, RetryableError
from mpr.core.jobs import TERMINAL
from mpr.core.models import ChunkTask, JobRecord, JobStatus
from mpr.core.payloads import (
    EncodeAudioRequest,
    FailRequest,
    JobRef,
    PlanRequest,
    ProbeRequest,
    StitchRequest,
)
from mpr.ports import JobStore, Notifier

log = logging.getLogger(__name__)
Payload = dict[str, Any]

# the Retry of every Task state in the ASL: RetryableError, 2 s, x2, 4 attempts, <= 60 s, jitter
RETRY_INTERVAL_SECONDS = 2
RETRY_MAX_ATTEMPTS = 4
RETRY_MAX_DELAY_SECONDS = 60
RETRY = {
    "autoretry_for": (RetryableError,),
    "retry_backoff": RETRY_INTERVAL_SECONDS,  # Celery doubles it each time (BackoffRate 2)
    "retry_backoff_max": RETRY_MAX_DELAY_SECONDS,
    "retry_jitter": True,
    "max_retries": RETRY_MAX_ATTEMPTS,
}
LEDGER_TTL_SECONDS = 7 * 24 * 3600


@dataclass(frozen=True)
class WorkerRuntime:
    """What the tasks of one worker process work with."""

    ctx: stages.StageContext
    jobs: JobStore
    notifier: Notifier


class _Runtime:
    """Builds the worker's runtime once per process (pool processes are forked, and
    connection pools must not cross a fork)."""

    def __init__(self) -> None:
        self._factory: Callable[[], WorkerRuntime] | None = None
        self._built: tuple[int, WorkerRuntime] | None = None

    def configure(self, factory: Callable[[], WorkerRuntime]) -> None:
        self._factory, self._built = factory, None

    def __call__(self) -> WorkerRuntime:
        if self._built is None or self._built[0] != os.getpid():
            if self._factory is None:
                raise RuntimeError("the worker runtime is not configured")
            self._built = (os.getpid(), self._factory())
        return self._built[1]


runtime = _Runtime()


class TaskLedger:
    """The ids of every task enqueued for a job, so that cancelling can revoke them."""

    def __init__(self, url: str) -> None:
        self._redis = redis.Redis.from_url(url, decode_responses=True)

    def add(self, job_id: str, task_ids: Iterable[str]) -> None:
        key = f"mpr:tasks:{job_id}"
        with self._redis.pipeline() as pipe:
            pipe.rpush(key, *task_ids)
            pipe.expire(key, LEDGER_TTL_SECONDS)
            pipe.execute()

    def task_ids(self, job_id: str) -> list[str]:
        found: list[str] = self._redis.lrange(f"mpr:tasks:{job_id}", 0, -1)  # type: ignore[assignment]
        return found


def _ledger() -> TaskLedger:
    return _ledger_at(str(app.conf.broker_url), os.getpid())


@cache
def _ledger_at(url: str, _pid: int) -> TaskLedger:
    return TaskLedger(url)


def launch(job_id: str, parallel: list[Signature], then: list[Signature]) -> None:
    """Enqueue `parallel` tasks and, once all of them have succeeded, the chain `then`
    (a chord; with one parallel task, a plain chain); record every task id first."""
    for sig in (*parallel, *then):
        sig.set(task_id=uuid.uuid4().hex)
    _ledger().add(job_id, [sig.id for sig in (*parallel, *then)])
    if len(parallel) <= 1:
        chain(*parallel, *then).apply_async()
    else:
        chord(parallel, chain(*then)).apply_async()


def start_job(job: JobRecord) -> None:
    """Enqueue the first tasks of a job: probe, then plan with probe's result."""
    probe_request = ProbeRequest(job_id=job.job_id, source=job.spec.source)
    launch(job.job_id, [probe.si(probe_request.model_dump(mode="json"))], [plan.s()])


class StageTask(Task):  # type: ignore[misc]
    """A stage: acknowledged when done, retried like the ASL, failing the job for good."""

    acks_late = True
    reject_on_worker_lost = True

    def on_failure(
        self, exc: Exception, task_id: str, args: tuple[Any, ...], kwargs: Payload, einfo: Any
    ) -> None:
        job_id = str(args[0]["job_id"])
        error = exc.code if isinstance(exc, MprError) else type(exc).__name__
        log.warning("job %s: %s failed: %s", job_id, self.name, exc)
        record_failure(job_id, error, str(exc))


def record_failure(job_id: str, error: str, cause: str) -> None:
    """The RecordFailure state: clean up, mark the job FAILED (unless it ended), notify."""
    run = runtime()
    result = stages.fail(run.ctx, FailRequest(job_id=job_id, error=error, cause=cause))
    if run.jobs.get(job_id).status in TERMINAL:
        return
    run.jobs.transition(
        job_id, JobStatus.FAILED, stage="failed", error=result.error, error_cause=error
    )
    notify.si(job_id).apply_async()


TaskDecorator = Callable[[Callable[..., Any]], Any]


def _task(name: str, **options: Any) -> TaskDecorator:
    """`app.task`, typed: registers a function as the task `name` (its queue: ROUTES)."""
    decorator: TaskDecorator = app.task(name=name, **options)
    return decorator


def _stage(name: str, **options: Any) -> TaskDecorator:
    """A stage task: StageTask's acknowledgement and failure rules, the ASL's retries."""
    return _task(name, base=StageTask, **RETRY, **options)


def live_job(job_id: str) -> JobRecord:
    """The job, or Ignore (the task does nothing) when it has already ended."""
    job = runtime().jobs.get(job_id)
    if job.status in TERMINAL:
        log.info("job %s is %s: task skipped", job_id, job.status.value)
        raise Ignore()
    return job


def _timed(job_id: str, stage: str, since: float) -> None:
    runtime().jobs.record_timing(job_id, stage, round(time.time() - since, 3))


@_stage("mpr.probe")
def probe(payload: Payload) -> Payload:
    started = time.time()
    run = runtime()
    req = ProbeRequest.model_validate(payload)
    job = live_job(req.job_id)
    if job.status is JobStatus.RUNNING:  # a retried or redelivered task
        run.jobs.set_stage(req.job_id, "probe")
    else:
        run.jobs.transition(req.job_id, JobStatus.RUNNING, stage="probe")
    stages.submit(run.ctx, req.job_id, job.spec)
    result = stages.probe(run.ctx, req).model_dump(mode="json")
    _timed(req.job_id, "probe", started)
    return result


@_stage("mpr.plan")
def plan(payload: Payload) -> None:
    """Plan the chunks, then fan out: every chunk task and the audio encode, as a chord."""
    started = time.time()
    run = runtime()
    req = PlanRequest.model_validate(payload)
    live_job(req.job_id)
    run.jobs.set_stage(req.job_id, "plan")
    planned = stages.plan(run.ctx, req)
    _timed(req.job_id, "plan", started)
    run.jobs.set_stage(req.job_id, "encode", chunks_total=planned.task_count)
    ordered = sorted(stages.load_tasks(run.ctx, req.job_id), key=lambda t: -t.pixels)
    audio = EncodeAudioRequest(job_id=req.job_id, source=req.source)
    header = [encode_chunk.si(t.model_dump(mode="json")) for t in ordered]
    header.append(encode_audio.si(audio.model_dump(mode="json")))
    after = {"job_id": req.job_id, "renditions": planned.renditions}
    launch(req.job_id, header, [stitch_all.si(after, since=time.time())])


@_stage("mpr.encode_chunk", bind=True)
def encode_chunk(self: Task, payload: Payload) -> Payload:
    task = ChunkTask.model_validate(payload)
    live_job(task.job_id)
    redelivered = bool((self.request.delivery_info or {}).get("redelivered"))
    log.info(
        "chunk started: job %s chunk %d task %s worker %s pid %d redelivered %s",
        task.job_id, task.chunk.index, self.request.id, self.request.hostname, os.getpid(),
        redelivered,
    )  # fmt: skip
    run = runtime()
    result = stages.encode_chunk(run.ctx, task)
    run.jobs.count_chunk(task.job_id, task.chunk.index)  # a redelivered chunk counts once
    log.info("chunk finished: job %s chunk %d", task.job_id, task.chunk.index)
    return {"chunk": result.chunk}


@_stage("mpr.encode_audio")
def encode_audio(payload: Payload) -> Payload:
    req = EncodeAudioRequest.model_validate(payload)
    live_job(req.job_id)
    return stages.encode_audio(runtime().ctx, req).model_dump(mode="json")


@_stage("mpr.stitch_all")
def stitch_all(payload: Payload, since: float) -> None:
    """Every chunk and the audio are done: stitch each rendition, then package, finalize."""
    job_id = str(payload["job_id"])
    live_job(job_id)
    _timed(job_id, "encode", since)
    runtime().jobs.set_stage(job_id, "stitch")
    ref = JobRef(job_id=job_id).model_dump(mode="json")
    stitches = [
        stitch.si(StitchRequest(job_id=job_id, rendition=r).model_dump(mode="json"))
        for r in payload["renditions"]
    ]
    launch(job_id, stitches, [package.si(ref, since=time.time()), finalize.si(ref)])


@_stage("mpr.stitch")
def stitch(payload: Payload) -> Payload:
    req = StitchRequest.model_validate(payload)
    live_job(req.job_id)
    return stages.stitch(runtime().ctx, req).model_dump(mode="json")


@_stage("mpr.package")
def package(payload: Payload, since: float) -> Payload:
    req = JobRef.model_validate(payload)
    live_job(req.job_id)
    _timed(req.job_id, "stitch", since)
    run = runtime()
    run.jobs.set_stage(req.job_id, "package")
    started = time.time()
    result = stages.package(run.ctx, req).model_dump(mode="json")
    _timed(req.job_id, "package", started)
    return result


@_stage("mpr.finalize")
def finalize(payload: Payload) -> Payload:
    started = time.time()
    run = runtime()
    req = JobRef.model_validate(payload)
    job = live_job(req.job_id)
    run.jobs.set_stage(req.job_id, "finalize")
    result = stages.finalize(run.ctx, req, timings=job.timings)
    _timed(req.job_id, "finalize", started)
    run.jobs.transition(
        req.job_id, JobStatus.SUCCEEDED, stage="done", manifest_key=result.manifest_key
    )
    notify.si(req.job_id).apply_async()
    return result.model_dump(mode="json")


@_task("mpr.notify", acks_late=True)
def notify(job_id: str) -> None:
    """Send a job's webhook (the notifier retries and records each attempt)."""
    run = runtime()
    run.notifier.job_ended(run.jobs.get(job_id))


def revoke(job_id: str) -> None:
    """Revoke every task of a job: waiting ones are dropped, running ones terminated (the
    pool process leaves through SystemExit, which stops the task's ffmpeg and removes its
    scratch files on the way out)."""
    ids = _ledger().task_ids(job_id)
    if ids:
        app.control.revoke(ids, terminate=True, signal="SIGTERM")
