"""The embedded-mode launcher: runs queued jobs through the local pipeline in a bounded pool.

The pipeline does the media work; the runner keeps the job store up to date from the
pipeline's events, records the outcome, sends the webhook and deletes the work files. A job
that fails never takes the runner down, and a cancelled job stops at the next chunk.

Shutting down drains: no new job or chunk task starts, the running chunk tasks finish, and
the interrupted jobs keep their status and work files. `recover` at the next start runs
them again, and the pipeline skips the chunks that were finished.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Protocol

from mpr.core import keys
from mpr.core.errors import JobStateError, MprError, NotFoundError
from mpr.core.jobs import TERMINAL
from mpr.core.models import JobRecord, JobSpec, JobStatus, Manifest
from mpr.ports import JobStore, Notifier, Storage

log = logging.getLogger(__name__)


class PipelineEvent(Protocol):
    @property
    def stage(self) -> str: ...

    @property
    def chunks_done(self) -> int: ...

    @property
    def chunks_total(self) -> int: ...

    @property
    def timings(self) -> dict[str, float]:
        """Seconds spent in each finished stage."""


class Pipeline(Protocol):
    def run(
        self,
        job_id: str,
        spec: JobSpec,
        *,
        on_event: Callable[[PipelineEvent], None] | None = None,
        cancel: threading.Event | None = None,
        stop: threading.Event | None = None,
    ) -> Manifest:
        """Run the job; `cancel` ends it, `stop` interrupts it and keeps its work files."""


class _Progress:
    """Turns pipeline events into job store writes (stage, chunk counts, stage timings)."""

    def __init__(self, jobs: JobStore, job_id: str) -> None:
        self._jobs = jobs
        self._job_id = job_id
        self._stage: str | None = None
        self._total = 0
        self._done = 0
        self._timed: set[str] = set()

    def __call__(self, event: PipelineEvent) -> None:
        if event.chunks_total != self._total:
            # a new total also restarts the store's count of finished chunks
            self._jobs.set_stage(self._job_id, event.stage, chunks_total=event.chunks_total)
            self._stage, self._total, self._done = event.stage, event.chunks_total, 0
        elif event.stage != self._stage:
            self._jobs.set_stage(self._job_id, event.stage)
            self._stage = event.stage
        if event.chunks_done > self._done:
            self._jobs.add_progress(self._job_id, event.chunks_done - self._done)
            self._done = event.chunks_done
        for stage, seconds in event.timings.items():
            if stage not in self._timed:
                self._jobs.record_timing(self._job_id, stage, seconds)
                self._timed.add(stage)


Outcome = tuple[JobStatus, dict[str, str]]
INTERRUPTED_STAGE = "interrupted"


_INTERRUPTED: Outcome = (JobStatus.RUNNING, {})


def _failed(code: str, message: str) -> Outcome:
    return JobStatus.FAILED, {"stage": "failed", "error": message, "error_cause": code}


class JobRunner:
    """Runs at most `concurrency` jobs at a time; `start` queues, `cancel` stops (a launcher)."""

    def __init__(
        self,
        jobs: JobStore,
        pipeline: Callable[[], Pipeline],
        notifier: Notifier,
        work: Storage,
        *,
        output_prefix: str = "{job_id}/",
        concurrency: int = 1,
        max_resumes: int = 3,
    ) -> None:
        self._jobs = jobs
        self._pipeline = pipeline
        self._notifier = notifier
        self._work = work
        self._output_prefix = output_prefix
        self._max_resumes = max_resumes
        self._pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="mpr-job")
        self._lock = threading.Lock()
        self._cancels: dict[str, threading.Event] = {}
        self._running: set[str] = set()
        self._stop = threading.Event()

    def start(self, job: JobRecord) -> Future[None]:
        """Queue a QUEUED job; returns a future that resolves when it has ended."""
        with self._lock:
            self._cancels[job.job_id] = threading.Event()
        return self._pool.submit(self._run_safely, job.job_id)

    def cancel(self, job_id: str) -> None:
        """Stop a job the store already marked CANCELLED; a waiting job ends here."""
        with self._lock:
            event = self._cancels.get(job_id)
            if event is not None:
                event.set()
            running = job_id in self._running
        if not running:
            self._finish(job_id)

    def recover(self) -> list[Future[None]]:
        """After a restart: run the jobs the last server left RUNNING (they resume from
        their finished chunks), then the QUEUED ones; a future for each job."""
        resumed: list[Future[None]] = []
        for status in (JobStatus.RUNNING, JobStatus.QUEUED):
            cursor: str | None = None
            found: list[JobRecord] = []
            while True:
                page, cursor = self._jobs.list(status=status, limit=100, cursor=cursor)
                found.extend(page)
                if cursor is None:
                    break
            for job in reversed(found):  # oldest first
                crashed = status is JobStatus.RUNNING and job.stage != INTERRUPTED_STAGE
                if crashed and not self._may_resume(job.job_id):
                    continue
                resumed.append(self.start(job))
        return resumed

    def _may_resume(self, job_id: str) -> bool:
        """Count one more resume of a job whose server died (a drained job does not
        count); past `max_resumes` (a job that takes the server down with it, say) fail
        it with the reason and its webhook."""
        key = f"{keys.work_prefix(job_id)}resumes"
        count = int(self._work.get_bytes(key)) if self._work.exists(key) else 0
        if count >= self._max_resumes:
            self._fail(
                job_id,
                "InterruptedError",
                f"the server stopped during the job {count + 1} times; it is not resumed again",
            )
            self._finish(job_id)
            return False
        self._work.put_bytes(key, str(count + 1).encode(), "text/plain")
        return True

    def shutdown(self, wait: bool = True) -> None:
        """Drain: start nothing new, let running chunk tasks finish, keep interrupted jobs
        (and their work files) for `recover`."""
        self._stop.set()
        self._pool.shutdown(wait=wait, cancel_futures=True)

    def _run_safely(self, job_id: str) -> None:
        try:
            self._run(job_id)
        except Exception:
            log.exception("job %s: the runner failed outside the pipeline", job_id)
            self._fail(job_id, "InternalError", "internal error; the server log has the details")

    def _run(self, job_id: str) -> None:
        with self._lock:
            cancel = self._cancels.get(job_id)
            if cancel is None or cancel.is_set():
                self._cancels.pop(job_id, None)
                return  # cancelled while waiting: `cancel` has finished it
            self._running.add(job_id)
        outcome: Outcome | None = None
        interrupted = False
        try:
            outcome = self._execute(job_id, cancel)
            interrupted = outcome is _INTERRUPTED
        finally:
            with self._lock:
                self._running.discard(job_id)
                if self._cancels.get(job_id) is cancel:
                    del self._cancels[job_id]
            # the outcome is recorded after the clean-up, so a retry never races it
            if not interrupted:
                self._work.delete_prefix(keys.work_prefix(job_id))
        if interrupted:
            return
        if outcome is not None:
            self._transition(job_id, *outcome)
        self._notify(job_id)

    def _execute(self, job_id: str, cancel: threading.Event) -> Outcome | None:
        """Run the pipeline; what to record, None if the job was cancelled, `_INTERRUPTED`
        if the runner is shutting down."""
        if self._stop.is_set():
            return _INTERRUPTED
        try:
            job = self._jobs.get(job_id)
            if job.status is not JobStatus.RUNNING:  # RUNNING: resumed after a restart
                job = self._jobs.transition(job_id, JobStatus.RUNNING, stage="starting")
        except (JobStateError, NotFoundError):
            return None  # cancelled or deleted while waiting
        try:
            self._pipeline().run(
                job_id,
                job.spec,
                on_event=_Progress(self._jobs, job_id),
                cancel=cancel,
                stop=self._stop,
            )
        except Exception as exc:
            if self._stop.is_set() and not cancel.is_set():
                self._jobs.set_stage(job_id, INTERRUPTED_STAGE)
                log.info("job %s interrupted; it resumes at the next start", job_id)
                return _INTERRUPTED
            if isinstance(exc, MprError):
                return None if cancel.is_set() else _failed(exc.code, str(exc))
            log.exception("job %s failed unexpectedly", job_id)
            return _failed("InternalError", f"internal error: {type(exc).__name__}")
        if cancel.is_set():
            return None
        manifest_key = keys.manifest(self._output_prefix.format(job_id=job_id))
        return JobStatus.SUCCEEDED, {"stage": "done", "manifest_key": manifest_key}

    def _fail(self, job_id: str, code: str, message: str) -> None:
        self._transition(job_id, *_failed(code, message))

    def _transition(self, job_id: str, target: JobStatus, fields: dict[str, str]) -> None:
        try:
            self._jobs.transition(job_id, target, **fields)
        except JobStateError:
            log.info("job %s: not moved to %s (it changed meanwhile)", job_id, target.value)

    def _finish(self, job_id: str) -> None:
        """Clean up and notify for a job that ended without running."""
        self._work.delete_prefix(keys.work_prefix(job_id))
        self._notify(job_id)

    def _notify(self, job_id: str) -> None:
        """Send the webhook if the job has ended."""
        job = self._jobs.get(job_id)
        if job.status in TERMINAL:
            try:
                self._notifier.job_ended(job)
            except Exception:
                log.exception("job %s: webhook delivery failed", job_id)
