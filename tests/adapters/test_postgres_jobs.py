"""What only the PostgreSQL store promises: migrations applied once by processes starting
together, several processes counting on one database, and reads routed to a streaming
replica except where a process must see its own writes."""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import contextmanager

import psycopg
import pytest

from mpr.adapters.postgres_db import MIGRATIONS, PostgresDatabase, SchemaVersionError
from mpr.adapters.postgres_jobs import PostgresJobStore
from mpr.core.errors import JobStateError, NotFoundError
from mpr.core.models import JobStatus
from tests.adapters.job_factory import make_job
from tests.support.postgres_server import PostgresServer, create_database, wait_replayed


def open_store(url: str) -> None:
    PostgresDatabase(url).close()


def finish_chunks(url: str, job_id: str, count: int) -> None:
    database = PostgresDatabase(url)
    store = PostgresJobStore(database)
    for _ in range(count):
        store.add_progress(job_id)
    database.close()


def try_to_start(url: str, job_id: str) -> str:
    database = PostgresDatabase(url)
    try:
        PostgresJobStore(database).transition(job_id, JobStatus.RUNNING)
    except JobStateError:
        return "refused"
    finally:
        database.close()
    return "won"


def test_processes_starting_together_apply_each_migration_once(postgres_url: str) -> None:
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(4, mp_context=spawn) as pool:
        list(pool.map(open_store, [postgres_url] * 4))

    with psycopg.connect(postgres_url) as db:
        versions = [row[0] for row in db.execute("SELECT version FROM schema_migrations")]
    assert sorted(versions) == list(range(1, len(MIGRATIONS) + 1))


def test_a_database_from_a_newer_version_is_refused(postgres_url: str) -> None:
    open_store(postgres_url)
    with psycopg.connect(postgres_url) as db:
        db.execute("INSERT INTO schema_migrations (version) VALUES (%s)", [len(MIGRATIONS) + 1])

    with pytest.raises(SchemaVersionError, match="upgrade MPR"):
        PostgresDatabase(postgres_url)


def test_progress_from_several_processes_is_counted_exactly(postgres_url: str) -> None:
    database = PostgresDatabase(postgres_url)
    PostgresJobStore(database).create(make_job("j1"))

    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(4, mp_context=spawn) as pool:
        list(pool.map(finish_chunks, [postgres_url] * 8, ["j1"] * 8, [25] * 8))
        outcomes = sorted(pool.map(try_to_start, [postgres_url] * 4, ["j1"] * 4))

    assert PostgresJobStore(database).get("j1").chunks_done == 200
    assert outcomes == ["refused"] * 3 + ["won"]
    database.close()


# --- the read replica --------------------------------------------------------------------


@contextmanager
def replay_paused(replica: PostgresServer) -> Iterator[None]:
    """Hold the replica's WAL replay: what the primary writes meanwhile is not seen there."""
    with psycopg.connect(replica.url(), autocommit=True) as db:
        db.execute("SELECT pg_wal_replay_pause()")
        deadline = time.monotonic() + 30
        while db.execute("SELECT pg_get_wal_replay_pause_state()").fetchone() != ("paused",):
            assert time.monotonic() < deadline, "the replica did not pause"
            time.sleep(0.02)
        try:
            yield
        finally:
            db.execute("SELECT pg_wal_replay_resume()")


def on_replica(replica: PostgresServer, name: str, sql: str) -> list[tuple[object, ...]]:
    with psycopg.connect(replica.url(name)) as db:
        return db.execute(sql.encode()).fetchall()


@pytest.fixture
def replicated(
    postgres_server: PostgresServer, postgres_replica: PostgresServer
) -> tuple[str, str, str]:
    """A new migrated database, replayed on the replica: (name, primary URL, replica URL)."""
    name = create_database(postgres_server)
    primary_url, replica_url = postgres_server.url(name), postgres_replica.url(name)
    open_store(primary_url)
    wait_replayed(postgres_server, postgres_replica)
    return name, primary_url, replica_url


def test_reads_see_the_writes_of_their_process_and_go_to_the_replica_otherwise(
    postgres_server: PostgresServer,
    postgres_replica: PostgresServer,
    replicated: tuple[str, str, str],
) -> None:
    name, primary_url, replica_url = replicated
    writer_db = PostgresDatabase(primary_url, read_url=replica_url)
    reader_db = PostgresDatabase(primary_url, read_url=replica_url)
    writer, reader = PostgresJobStore(writer_db), PostgresJobStore(reader_db)

    with replay_paused(postgres_replica):
        writer.create(make_job("j1"))

        # the replica has not seen the job; the process that created it reads it anyway
        assert on_replica(postgres_replica, name, "SELECT job_id FROM jobs") == []
        assert writer.get("j1").status is JobStatus.QUEUED
        assert [job.job_id for job in writer.list()[0]] == ["j1"]
        # a process that wrote nothing reads the replica
        assert reader.list() == ([], None)
        with pytest.raises(NotFoundError):
            reader.get("j1")

        # once it has cancelled the job, that process reads the primary too
        reader.transition("j1", JobStatus.CANCELLED, stage="cancelled")
        assert reader.get("j1").status is JobStatus.CANCELLED

    wait_replayed(postgres_server, postgres_replica)
    with replay_paused(postgres_replica):
        # caught up: reads go to the replica again, which misses a later change
        with psycopg.connect(primary_url) as db:
            db.execute("UPDATE jobs SET stage = 'changed elsewhere' WHERE job_id = 'j1'")
        assert writer.get("j1").stage == "cancelled"
        assert reader.get("j1").stage == "cancelled"
    writer_db.close()
    reader_db.close()


def test_concurrent_writers_with_a_replica_still_read_their_own_writes(
    postgres_replica: PostgresServer, replicated: tuple[str, str, str]
) -> None:
    _, primary_url, replica_url = replicated
    database = PostgresDatabase(primary_url, read_url=replica_url)
    store = PostgresJobStore(database)

    def create_and_read(i: int) -> str:
        store.create(make_job(f"j{i}", seconds=i))
        return store.get(f"j{i}").job_id

    with replay_paused(postgres_replica), ThreadPoolExecutor(8) as pool:
        found = sorted(pool.map(create_and_read, range(16)))

    assert found == sorted(f"j{i}" for i in range(16))
    database.close()
