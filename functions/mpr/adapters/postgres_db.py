"""PostgreSQL for the self-hosted engine: connection pools, schema migrations and the rule
that sends reads to a replica.

Migrations are versioned SQL in `MIGRATIONS`, applied in order at start by every process
under one advisory lock (so API servers and workers starting together apply each once) and
recorded in `schema_migrations`. The schema is a handful of tables, and the stores speak SQL
through psycopg, so a migration tool and the ORM it brings would add more than they save.

Reads go to the replica (`read_url`) unless this process wrote something the replica has not
replayed yet: every write notes the primary's WAL position, and a read first asks the replica
whether it has replayed that far; if not, the read goes to the primary. So a process always
reads its own writes (a job just created or cancelled), and other reads offload the primary.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from mpr.core.errors import RetryableError

Row = dict[str, Any]
Pool = ConnectionPool[psycopg.Connection[Row]]
MIGRATION_LOCK = 0x6D7072  # "mpr": the advisory lock key of schema changes
MIGRATIONS: tuple[str, ...] = (
    # 1: jobs, laid out as the SQLite store lays them out (job_codec)
    """
    CREATE TABLE jobs (
        job_id TEXT PRIMARY KEY,
        created_at TEXT NOT NULL,
        idempotency_key TEXT UNIQUE,
        document TEXT NOT NULL,
        status TEXT NOT NULL,
        stage TEXT NOT NULL,
        chunks_total INTEGER NOT NULL,
        chunks_done INTEGER NOT NULL,
        error TEXT,
        error_cause TEXT,
        manifest_key TEXT,
        timings JSONB NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX jobs_by_created ON jobs (created_at, job_id);
    CREATE INDEX jobs_by_status ON jobs (status, created_at, job_id);
    """,
    # 2: API keys (only their hashes)
    """
    CREATE TABLE api_keys (
        key_id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        key_hash TEXT NOT NULL UNIQUE,
        created_at TIMESTAMPTZ NOT NULL,
        revoked BOOLEAN NOT NULL DEFAULT false
    );
    """,
    # 3: webhook delivery attempts, in the order they were made
    """
    CREATE TABLE webhook_deliveries (
        seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        job_id TEXT NOT NULL,
        document TEXT NOT NULL
    );
    CREATE INDEX webhook_deliveries_by_job ON webhook_deliveries (job_id, seq);
    """,
    # 4: listings by owner; admin keys
    """
    ALTER TABLE jobs ADD COLUMN owner TEXT;
    UPDATE jobs SET owner = document::jsonb ->> 'owner';
    CREATE INDEX jobs_by_owner ON jobs (owner, created_at, job_id);
    ALTER TABLE api_keys ADD COLUMN admin BOOLEAN NOT NULL DEFAULT false;
    """,
    # 5: the chunks counted as finished, so that a chunk run twice counts once
    """
    CREATE TABLE chunks_counted (
        job_id TEXT NOT NULL REFERENCES jobs ON DELETE CASCADE,
        chunk INTEGER NOT NULL,
        PRIMARY KEY (job_id, chunk)
    );
    """,
    # 6: upload records (the document is the record's JSON; `version` orders updates)
    """
    CREATE TABLE uploads (
        upload_id TEXT PRIMARY KEY,
        owner TEXT NOT NULL,
        status TEXT NOT NULL,
        version INTEGER NOT NULL,
        document TEXT NOT NULL,
        updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
    );
    """,
)


class SchemaVersionError(RuntimeError):
    """The database was migrated by a newer MPR than this one."""


def migrate(db: psycopg.Connection[Row]) -> int:
    """Apply the migrations the database lacks, under the advisory lock; the version now."""
    with db.transaction():
        db.execute("SELECT pg_advisory_xact_lock(%s)", [MIGRATION_LOCK])
        db.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations"
            " (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
        )
        row = db.execute(
            "SELECT coalesce(max(version), 0) AS version FROM schema_migrations"
        ).fetchone()
        current = int(row["version"]) if row else 0
        if current > len(MIGRATIONS):
            raise SchemaVersionError(
                f"the database schema is at version {current}; this MPR knows up to "
                f"{len(MIGRATIONS)}: upgrade MPR"
            )
        for version, sql in enumerate(MIGRATIONS[current:], start=current + 1):
            db.execute(sql.encode())
            db.execute("INSERT INTO schema_migrations (version) VALUES (%s)", [version])
    return len(MIGRATIONS)


def _pool(url: str, max_size: int) -> Pool:
    pool: Pool = ConnectionPool(
        url,
        min_size=1,
        max_size=max_size,
        kwargs={"autocommit": True, "row_factory": dict_row},
        connection_class=psycopg.Connection[Row],
        check=ConnectionPool.check_connection,
        open=False,
        name=url.rpartition("@")[2],
    )
    try:
        pool.open(wait=True, timeout=30)
    except psycopg.Error as exc:
        pool.close()
        raise RetryableError(f"cannot reach PostgreSQL at {pool.name}: {exc}") from exc
    return pool


class PostgresDatabase:
    """The primary (all writes) and an optional read replica, each behind a pool."""

    def __init__(self, url: str, read_url: str | None = None, pool_size: int = 10) -> None:
        self._primary = _pool(url, pool_size)
        self._replica = _pool(read_url, pool_size) if read_url else None
        self._written: str | None = None  # the primary's WAL position after our last write
        self._lock = threading.Lock()
        with self._primary.connection() as db:
            migrate(db)

    def close(self) -> None:
        self._primary.close()
        if self._replica is not None:
            self._replica.close()

    @contextmanager
    def _use(self, pool: Pool) -> Iterator[psycopg.Connection[Row]]:
        try:
            with pool.connection() as db:
                yield db
        except psycopg.OperationalError as exc:
            raise RetryableError(f"PostgreSQL at {pool.name} failed: {exc}") from exc

    def write(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """Run one statement on the primary (its own transaction); the rows it returns."""
        with self._use(self._primary) as db:
            cursor = db.execute(sql.encode(), params)
            rows = cursor.fetchall() if cursor.description else []
            if self._replica is not None:
                self._note_written(db)
        return rows

    def read(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """Run a query on the replica if it has replayed our last write, else the primary."""
        if self._replica is not None:
            with self._use(self._replica) as db:
                if self._replayed(db):
                    return db.execute(sql.encode(), params).fetchall()
        return self.read_primary(sql, params)

    def read_primary(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        with self._use(self._primary) as db:
            return db.execute(sql.encode(), params).fetchall()

    def _note_written(self, db: psycopg.Connection[Row]) -> None:
        # read after the statement's commit, so the position covers its commit record
        row = db.execute(b"SELECT pg_current_wal_insert_lsn()::text AS lsn").fetchone()
        assert row is not None
        with self._lock:
            if self._written is None or _lsn(row["lsn"]) > _lsn(self._written):
                self._written = row["lsn"]

    def _replayed(self, db: psycopg.Connection[Row]) -> bool:
        with self._lock:
            written = self._written
        if written is None:
            return True
        row = db.execute(
            b"SELECT coalesce(pg_last_wal_replay_lsn() >= %s::pg_lsn, false) AS fresh", [written]
        ).fetchone()
        return bool(row and row["fresh"])


def _lsn(text: str) -> int:
    """A WAL position `X/Y` as a number, to compare two positions."""
    high, _, low = text.partition("/")
    return (int(high, 16) << 32) + int(low, 16)
