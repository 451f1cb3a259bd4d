"""The local runner with a scripted pipeline: failures, cancels, recovery, progress writes."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from mpr.adapters.job_runner import JobRunner, PipelineEvent
from mpr.adapters.local_storage import LocalStorage
from mpr.adapters.memory_jobs import MemoryJobStore
from mpr.core.errors import MediaProcessingError, MprError
from mpr.core.models import JobRecord, JobSpec, JobStatus, Manifest, Preset

SPEC = JobSpec(
    source="in.mp4",
    presets=[Preset(name="t", kind="thumbnails", thumbnails=None)],
)


@dataclass(frozen=True)
class Event:
    stage: str
    chunks_done: int = 0
    chunks_total: int = 0
    timings: dict[str, float] = field(default_factory=dict)


class Notified:
    def __init__(self) -> None:
        self.jobs: list[JobRecord] = []

    def job_ended(self, job: JobRecord) -> None:
        self.jobs.append(job)


class ScriptedPipeline:
    """Emits events, then does what `outcome` says for the job."""

    def __init__(self, outcome: Callable[[str, threading.Event], None]) -> None:
        self.outcome = outcome

    def run(
        self,
        job_id: str,
        spec: JobSpec,
        *,
        on_event: Callable[[PipelineEvent], None] | None = None,
        cancel: threading.Event | None = None,
        stop: threading.Event | None = None,
    ) -> Manifest:
        assert on_event is not None
        assert cancel is not None
        assert stop is not None
        on_event(Event("probe"))
        on_event(Event("encode", 0, 4, {"probe": 0.5}))
        on_event(Event("encode", 3, 4, {"probe": 0.5}))
        self.outcome(job_id, cancel)
        on_event(Event("done", 4, 4, {"probe": 0.5, "encode": 2.0}))
        return None  # type: ignore[return-value]  # the runner does not read it


def runner_with(
    tmp_path: Path, outcome: Callable[[str, threading.Event], None], concurrency: int = 1
) -> tuple[JobRunner, MemoryJobStore, Notified, LocalStorage]:
    jobs, notified, work = MemoryJobStore(), Notified(), LocalStorage(tmp_path / "work")
    runner = JobRunner(
        jobs, lambda: ScriptedPipeline(outcome), notified, work, concurrency=concurrency
    )
    return runner, jobs, notified, work


def new_job(jobs: MemoryJobStore, job_id: str) -> JobRecord:
    return jobs.create(JobRecord(job_id=job_id, spec=SPEC))


def succeed(job_id: str, cancel: threading.Event) -> None:
    pass


def test_progress_timings_and_cleanup(tmp_path: Path) -> None:
    runner, jobs, notified, work = runner_with(tmp_path, succeed)
    job = new_job(jobs, "ok")
    work.put_bytes("work/ok/spec.json", b"{}")

    runner.start(job).result(timeout=10)
    runner.shutdown()

    done = jobs.get("ok")
    assert done.status is JobStatus.SUCCEEDED
    assert (done.chunks_done, done.chunks_total) == (4, 4)
    assert done.timings == {"probe": 0.5, "encode": 2.0}
    assert done.manifest_key == "ok/manifest.json"
    assert not work.exists("work/ok/spec.json")
    assert [j.status for j in notified.jobs] == [JobStatus.SUCCEEDED]


def test_a_failing_job_does_not_stop_the_runner(tmp_path: Path) -> None:
    def outcome(job_id: str, cancel: threading.Event) -> None:
        if job_id == "boom":
            raise RuntimeError("disk on fire")
        if job_id == "bad":
            raise MediaProcessingError("ffmpeg failed: broken chunk")

    runner, jobs, notified, _ = runner_with(tmp_path, outcome)
    futures = [runner.start(new_job(jobs, name)) for name in ("boom", "bad", "fine")]
    for future in futures:
        future.result(timeout=10)
    runner.shutdown()

    assert jobs.get("boom").status is JobStatus.FAILED
    assert jobs.get("boom").error == "internal error: RuntimeError"
    assert jobs.get("bad").error == "ffmpeg failed: broken chunk"
    assert jobs.get("bad").error_cause == "MediaProcessingError"
    assert jobs.get("fine").status is JobStatus.SUCCEEDED
    assert sorted(j.job_id for j in notified.jobs) == ["bad", "boom", "fine"]


def test_cancel_running_and_waiting_jobs(tmp_path: Path) -> None:
    started = threading.Event()

    def outcome(job_id: str, cancel: threading.Event) -> None:
        started.set()
        assert cancel.wait(timeout=10)
        raise MprError("cancelled")

    runner, jobs, notified, _ = runner_with(tmp_path, outcome, concurrency=1)
    running = runner.start(new_job(jobs, "running"))
    waiting = runner.start(new_job(jobs, "waiting"))
    assert started.wait(timeout=10)

    for job_id in ("waiting", "running"):
        jobs.transition(job_id, JobStatus.CANCELLED)
        runner.cancel(job_id)
    running.result(timeout=10)
    waiting.result(timeout=10)
    runner.shutdown()

    assert jobs.get("running").status is JobStatus.CANCELLED
    assert jobs.get("waiting").status is JobStatus.CANCELLED
    assert jobs.get("waiting").stage == "queued"
    assert sorted(j.job_id for j in notified.jobs) == ["running", "waiting"]


def test_recover_after_a_restart_resumes_interrupted_jobs(tmp_path: Path) -> None:
    runner, jobs, notified, _ = runner_with(tmp_path, succeed)
    new_job(jobs, "queued")
    interrupted = new_job(jobs, "interrupted")
    jobs.transition(interrupted.job_id, JobStatus.RUNNING)

    resumed = runner.recover()
    for future in resumed:
        future.result(timeout=10)
    runner.shutdown()

    assert len(resumed) == 2
    assert jobs.get("queued").status is JobStatus.SUCCEEDED
    assert jobs.get("interrupted").status is JobStatus.SUCCEEDED
    assert sorted(j.job_id for j in notified.jobs) == ["interrupted", "queued"]


def test_a_job_whose_server_keeps_dying_fails_with_its_webhook(tmp_path: Path) -> None:
    jobs, notified, work = MemoryJobStore(), Notified(), LocalStorage(tmp_path / "work")
    running, release = threading.Event(), threading.Event()

    def until_released(job_id: str, cancel: threading.Event) -> None:
        running.set()
        assert release.wait(timeout=10)

    def restart() -> JobRunner:
        pipeline = ScriptedPipeline(until_released)
        return JobRunner(jobs, lambda: pipeline, notified, work, max_resumes=2)

    job = new_job(jobs, "crashy")
    jobs.transition(job.job_id, JobStatus.RUNNING, stage="encode")
    dead = []
    for _ in range(2):  # two restarts resume it, and each time the server dies mid-job
        running.clear()
        dead.append(restart())
        assert len(dead[-1].recover()) == 1
        assert running.wait(timeout=10)

    # the third restart gives up on it
    runner = restart()
    assert runner.recover() == []
    runner.shutdown()

    failed = jobs.get("crashy")
    assert failed.status is JobStatus.FAILED
    assert failed.error == "the server stopped during the job 3 times; it is not resumed again"
    assert [j.job_id for j in notified.jobs] == ["crashy"]
    assert list(work.list("work/crashy/")) == []
    release.set()
    for abandoned in dead:
        abandoned.shutdown()


def test_shutdown_drains_and_keeps_the_interrupted_job(tmp_path: Path) -> None:
    started, release = threading.Event(), threading.Event()

    def outcome(job_id: str, cancel: threading.Event) -> None:
        started.set()
        assert release.wait(timeout=10)
        raise MediaProcessingError("ffmpeg killed by SIGTERM")

    runner, jobs, notified, work = runner_with(tmp_path, outcome, concurrency=1)
    running = runner.start(new_job(jobs, "running"))
    runner.start(new_job(jobs, "waiting"))
    work.put_bytes("work/running/chunks/180p/00000.json", b"{}")
    assert started.wait(timeout=10)

    stopping = threading.Thread(target=runner.shutdown)
    stopping.start()
    release.set()
    running.result(timeout=10)
    stopping.join(timeout=10)

    assert not stopping.is_alive()
    assert jobs.get("running").status is JobStatus.RUNNING
    assert jobs.get("running").stage == "interrupted"
    assert work.exists("work/running/chunks/180p/00000.json")
    assert jobs.get("waiting").status is JobStatus.QUEUED
    assert notified.jobs == []


@pytest.mark.parametrize("concurrency", [1, 3])
def test_bounded_concurrency(tmp_path: Path, concurrency: int) -> None:
    lock = threading.Lock()
    active, peak = 0, 0

    def outcome(job_id: str, cancel: threading.Event) -> None:
        nonlocal active, peak
        with lock:
            active += 1
            peak = max(peak, active)
        threading.Event().wait(0.05)
        with lock:
            active -= 1

    runner, jobs, _, _ = runner_with(tmp_path, outcome, concurrency=concurrency)
    futures = [runner.start(new_job(jobs, f"j{i}")) for i in range(8)]
    for future in futures:
        future.result(timeout=20)
    runner.shutdown()
    assert peak == concurrency
