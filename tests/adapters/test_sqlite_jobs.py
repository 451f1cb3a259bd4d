"""What only the SQLite store promises: one file shared by processes, in WAL mode."""

from __future__ import annotations

import multiprocessing
import sqlite3
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from mpr.adapters.sqlite_jobs import SqliteJobStore
from mpr.core.errors import JobStateError
from mpr.core.models import JobStatus
from tests.adapters.job_factory import make_job


def finish_chunks(path: Path, job_id: str, count: int) -> None:
    store = SqliteJobStore(path)
    for _ in range(count):
        store.add_progress(job_id)


def try_to_start(path: Path, job_id: str) -> str:
    try:
        SqliteJobStore(path).transition(job_id, JobStatus.RUNNING)
    except JobStateError:
        return "refused"
    return "won"


def test_progress_from_several_processes_is_counted_exactly(tmp_path: Path) -> None:
    path = tmp_path / "jobs.db"
    SqliteJobStore(path).create(make_job("j1"))

    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(4, mp_context=spawn) as pool:
        list(pool.map(finish_chunks, [path] * 8, ["j1"] * 8, [25] * 8))
        outcomes = sorted(pool.map(try_to_start, [path] * 4, ["j1"] * 4))

    assert SqliteJobStore(path).get("j1").chunks_done == 200
    assert outcomes == ["refused"] * 3 + ["won"]


def test_jobs_outlive_the_store_object(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "jobs.db"
    SqliteJobStore(path).create(make_job("j1"))
    SqliteJobStore(path).transition("j1", JobStatus.RUNNING, stage="probe")

    job = SqliteJobStore(path).get("j1")

    assert (job.status, job.stage) == (JobStatus.RUNNING, "probe")


def test_the_database_is_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "jobs.db"
    SqliteJobStore(path)

    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
