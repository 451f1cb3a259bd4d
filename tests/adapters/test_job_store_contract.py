"""One contract for every JobStore: DynamoDB (moto), SQLite and the in-memory fake."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from mpr.adapters.dynamo_jobs import DynamoJobStore, create_table
from mpr.adapters.memory_jobs import MemoryJobStore
from mpr.adapters.sqlite_jobs import SqliteJobStore
from mpr.core.errors import InvalidInputError, JobStateError, NotFoundError
from mpr.core.jobs import ALLOWED
from mpr.core.models import JobStatus
from mpr.ports import JobStore
from tests.adapters.job_factory import T0, make_job

# how to reach each status from QUEUED
PATHS: dict[JobStatus, list[JobStatus]] = {
    JobStatus.QUEUED: [],
    JobStatus.RUNNING: [JobStatus.RUNNING],
    JobStatus.SUCCEEDED: [JobStatus.RUNNING, JobStatus.SUCCEEDED],
    JobStatus.FAILED: [JobStatus.FAILED],
    JobStatus.CANCELLED: [JobStatus.CANCELLED],
}


@pytest.fixture
def memory_store() -> MemoryJobStore:
    return MemoryJobStore()


@pytest.fixture
def sqlite_store(tmp_path: Path) -> SqliteJobStore:
    return SqliteJobStore(tmp_path / "jobs.db")


@pytest.fixture
def dynamo_store(dynamodb_client: Any) -> DynamoJobStore:
    create_table(dynamodb_client, "mpr-jobs")
    return DynamoJobStore(dynamodb_client, "mpr-jobs")


@pytest.fixture(params=["memory", "sqlite", "dynamo"])
def store(request: pytest.FixtureRequest) -> JobStore:
    found: JobStore = request.getfixturevalue(f"{request.param}_store")
    return found


def advance(store: JobStore, job_id: str, status: JobStatus) -> None:
    for step in PATHS[status]:
        store.transition(job_id, step)


def all_pages(store: JobStore, limit: int, status: JobStatus | None = None) -> list[list[str]]:
    pages: list[list[str]] = []
    cursor = None
    while True:
        jobs, cursor = store.list(status=status, limit=limit, cursor=cursor)
        pages.append([job.job_id for job in jobs])
        if cursor is None:
            return pages


# --- create and read ---------------------------------------------------------------------


def test_a_created_job_reads_back_equal(store: JobStore) -> None:
    job = make_job("j1")

    assert store.create(job) == job
    assert store.get("j1") == job


def test_a_missing_job_is_not_found(store: JobStore) -> None:
    with pytest.raises(NotFoundError):
        store.get("nope")


def test_a_job_id_is_used_once(store: JobStore) -> None:
    store.create(make_job("j1"))

    with pytest.raises(InvalidInputError):
        store.create(make_job("j1", seconds=5))
    assert store.get("j1").created_at == T0


def test_a_reused_idempotency_key_returns_the_first_job(store: JobStore) -> None:
    first = store.create(make_job("j1", idempotency_key="upload-42"))

    again = store.create(make_job("j2", seconds=1, idempotency_key="upload-42"))

    assert again == first
    with pytest.raises(NotFoundError):
        store.get("j2")
    assert [job.job_id for job in store.list()[0]] == ["j1"]


def test_different_idempotency_keys_make_different_jobs(store: JobStore) -> None:
    store.create(make_job("j1", idempotency_key="a"))
    store.create(make_job("j2", seconds=1, idempotency_key="b"))

    assert [job.job_id for job in store.list()[0]] == ["j2", "j1"]


# --- listing -----------------------------------------------------------------------------


def test_jobs_list_newest_first_in_pages(store: JobStore) -> None:
    for i in range(5):
        store.create(make_job(f"j{i}", seconds=i))

    assert all_pages(store, limit=2) == [["j4", "j3"], ["j2", "j1"], ["j0"]]
    assert all_pages(store, limit=50) == [["j4", "j3", "j2", "j1", "j0"]]


def test_jobs_list_by_status(store: JobStore) -> None:
    for i in range(6):
        store.create(make_job(f"j{i}", seconds=i))
    for job_id in ("j0", "j2", "j3", "j5"):
        store.transition(job_id, JobStatus.RUNNING)

    assert all_pages(store, limit=3, status=JobStatus.RUNNING) == [["j5", "j3", "j2"], ["j0"]]
    assert all_pages(store, limit=3, status=JobStatus.QUEUED) == [["j4", "j1"]]
    assert all_pages(store, limit=3, status=JobStatus.FAILED) == [[]]


def owned_listing(
    store: JobStore, owner: str, limit: int, status: JobStatus | None = None
) -> list[str]:
    """Every job id a listing by `owner` returns, following its cursors; no page over limit."""
    found: list[str] = []
    cursor = None
    while True:
        jobs, cursor = store.list(status=status, limit=limit, cursor=cursor, owner=owner)
        assert len(jobs) <= limit
        found.extend(job.job_id for job in jobs)
        if cursor is None:
            return found


def test_jobs_list_by_owner(store: JobStore) -> None:
    # Given jobs of two owners, interleaved in time, some running
    for i in range(7):
        store.create(make_job(f"j{i}", seconds=i, owner="bob" if i % 3 == 0 else "alice"))
    for job_id in ("j0", "j1", "j3"):
        store.transition(job_id, JobStatus.RUNNING)

    # Then a listing by owner holds that owner's jobs only, newest first, in any page size
    for limit in (1, 2, 50):
        assert owned_listing(store, "bob", limit) == ["j6", "j3", "j0"]
        assert owned_listing(store, "alice", limit) == ["j5", "j4", "j2", "j1"]
        assert owned_listing(store, "bob", limit, JobStatus.RUNNING) == ["j3", "j0"]
        assert owned_listing(store, "carol", limit) == []
    # and no owner filter lists everyone's
    assert len(store.list(limit=50)[0]) == 7


def test_a_listing_of_nothing_is_one_empty_page(store: JobStore) -> None:
    assert store.list() == ([], None)


@pytest.mark.parametrize("cursor", ["not base64 !", "e30=", "WzEsIDJd"])
def test_a_bad_cursor_is_invalid_input(store: JobStore, cursor: str) -> None:
    store.create(make_job("j1"))

    with pytest.raises(InvalidInputError):
        store.list(cursor=cursor)


@pytest.mark.parametrize("limit", [0, -1, 1001])
def test_a_bad_page_limit_is_invalid_input(store: JobStore, limit: int) -> None:
    with pytest.raises(InvalidInputError):
        store.list(limit=limit)


# --- transitions -------------------------------------------------------------------------


@pytest.mark.parametrize(("current", "target"), list(itertools.product(JobStatus, JobStatus)))
def test_transitions_follow_the_rules(
    store: JobStore, current: JobStatus, target: JobStatus
) -> None:
    store.create(make_job("j1"))
    advance(store, "j1", current)

    if target in ALLOWED[current]:
        assert store.transition("j1", target).status is target
        assert store.get("j1").status is target
    else:
        with pytest.raises(JobStateError):
            store.transition("j1", target)
        assert store.get("j1").status is current


def test_a_succeeded_job_never_runs_again(store: JobStore) -> None:
    store.create(make_job("j1"))
    advance(store, "j1", JobStatus.SUCCEEDED)

    with pytest.raises(JobStateError, match="SUCCEEDED to RUNNING"):
        store.transition("j1", JobStatus.RUNNING)


def test_a_transition_records_stage_and_manifest(store: JobStore) -> None:
    store.create(make_job("j1"))

    running = store.transition("j1", JobStatus.RUNNING, stage="probe")
    done = store.transition("j1", JobStatus.SUCCEEDED, manifest_key="out/j1/manifest.json")

    assert (running.stage, running.manifest_key) == ("probe", None)
    assert (done.stage, done.manifest_key) == ("probe", "out/j1/manifest.json")
    assert done.updated_at > T0
    assert store.get("j1") == done


def test_a_failed_job_keeps_its_error_until_retried(store: JobStore) -> None:
    store.create(make_job("j1"))
    store.transition("j1", JobStatus.RUNNING)

    failed = store.transition(
        "j1", JobStatus.FAILED, error="MediaProcessingError", error_cause="ffmpeg exited 1"
    )
    retried = store.transition("j1", JobStatus.QUEUED, stage="queued")

    assert (failed.error, failed.error_cause) == ("MediaProcessingError", "ffmpeg exited 1")
    assert store.get("j1").status is JobStatus.QUEUED
    assert (retried.error, retried.error_cause, retried.stage) == (None, None, "queued")
    assert store.transition("j1", JobStatus.RUNNING).status is JobStatus.RUNNING


def test_only_one_of_racing_transitions_wins(store: JobStore) -> None:
    store.create(make_job("j1"))

    def start(_: int) -> str:
        try:
            store.transition("j1", JobStatus.RUNNING)
        except JobStateError:
            return "refused"
        return "won"

    with ThreadPoolExecutor(8) as pool:
        outcomes = sorted(pool.map(start, range(8)))

    assert outcomes == ["refused"] * 7 + ["won"]


# --- stage, progress, timings ------------------------------------------------------------


def test_stage_and_progress(store: JobStore) -> None:
    store.create(make_job("j1"))
    store.transition("j1", JobStatus.RUNNING)

    store.set_stage("j1", "encode", chunks_total=8)
    after_two = store.add_progress("j1", 2)
    after_three = store.add_progress("j1")
    store.set_stage("j1", "stitch")

    assert (after_two.chunks_done, after_three.chunks_done) == (2, 3)
    job = store.get("j1")
    assert (job.stage, job.chunks_total, job.chunks_done, job.progress) == ("stitch", 8, 3, 37.5)


def test_a_new_chunk_total_restarts_the_count(store: JobStore) -> None:
    store.create(make_job("j1"))
    store.set_stage("j1", "encode", chunks_total=4)
    store.add_progress("j1", 3)

    store.set_stage("j1", "encode", chunks_total=6)

    assert (store.get("j1").chunks_total, store.get("j1").chunks_done) == (6, 0)


def test_concurrent_progress_is_counted_exactly(store: JobStore) -> None:
    store.create(make_job("j1"))
    store.set_stage("j1", "encode", chunks_total=200)

    def finish_chunks(_: int) -> None:
        for _ in range(25):
            store.add_progress("j1")

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(finish_chunks, range(8)))

    assert store.get("j1").chunks_done == 200


def test_a_retried_chunk_is_counted_once(store: JobStore) -> None:
    store.create(make_job("j1"))
    store.set_stage("j1", "encode", chunks_total=4)

    first = store.count_chunk("j1", 2)
    retried = store.count_chunk("j1", 2)  # the same chunk finishing again after a retry
    other = store.count_chunk("j1", 0)

    assert (first.chunks_done, retried.chunks_done, other.chunks_done) == (1, 1, 2)
    assert store.get("j1").progress == 50.0


def test_racing_retries_of_chunks_count_each_chunk_once(store: JobStore) -> None:
    store.create(make_job("j1"))
    store.set_stage("j1", "encode", chunks_total=40)

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda n: store.count_chunk("j1", n % 40), range(160)))

    assert store.get("j1").chunks_done == 40


def test_a_new_plan_forgets_the_chunks_counted(store: JobStore) -> None:
    store.create(make_job("j1"))
    store.set_stage("j1", "encode", chunks_total=2)
    store.count_chunk("j1", 0)

    store.set_stage("j1", "encode", chunks_total=2)  # the job retried from the start

    assert store.count_chunk("j1", 0).chunks_done == 1


def test_timings_are_recorded_per_stage(store: JobStore) -> None:
    store.create(make_job("j1"))

    store.record_timing("j1", "probe", 0.25)
    store.record_timing("j1", "encode", 12.5)
    store.record_timing("j1", "probe", 0.5)

    assert store.get("j1").timings == {"probe": 0.5, "encode": 12.5}


@pytest.mark.parametrize(
    "change",
    [
        lambda s: s.transition("nope", JobStatus.RUNNING),
        lambda s: s.set_stage("nope", "encode"),
        lambda s: s.add_progress("nope"),
        lambda s: s.count_chunk("nope", 0),
        lambda s: s.record_timing("nope", "probe", 1.0),
    ],
    ids=["transition", "set_stage", "add_progress", "count_chunk", "record_timing"],
)
def test_changing_a_missing_job_is_not_found(
    store: JobStore, change: Callable[[JobStore], object]
) -> None:
    with pytest.raises(NotFoundError):
        change(store)
