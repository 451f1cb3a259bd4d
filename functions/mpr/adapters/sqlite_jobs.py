"""A JobStore in one SQLite file (the embedded default), safe across threads and processes.

Every change is a single `UPDATE ... WHERE` statement, atomic on its own; WAL mode lets
readers run while a writer writes, and writers wait up to `timeout` seconds for each other.
A connection is opened per operation, so the store may be shared by threads and forked.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

from mpr.adapters.job_codec import (
    MUTABLE_FIELDS,
    after_cursor,
    check_limit,
    document,
    list_query,
    mutable_values,
    now_stamp,
    page,
    stamp,
    to_record,
)
from mpr.core.errors import InvalidInputError, JobStateError, NotFoundError
from mpr.core.jobs import check_transition, sources_for
from mpr.core.models import JobRecord, JobStatus

SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
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
    timings TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS jobs_by_created ON jobs (created_at, job_id);
CREATE INDEX IF NOT EXISTS jobs_by_status ON jobs (status, created_at, job_id);
CREATE TABLE IF NOT EXISTS chunks_counted (
    job_id TEXT NOT NULL,
    chunk INTEGER NOT NULL,
    PRIMARY KEY (job_id, chunk)
);
CREATE INDEX IF NOT EXISTS jobs_by_owner
    ON jobs (json_extract(document, '$.owner'), created_at, job_id);
"""
OWNER = "json_extract(document, '$.owner')"
COLUMNS = ("job_id", "created_at", "idempotency_key", "document", *MUTABLE_FIELDS)


class SqliteJobStore:
    def __init__(self, path: Path, timeout: float = 30.0) -> None:
        self.path = Path(path)
        self.timeout = timeout
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(SCHEMA)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        with closing(sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None)) as db:
            db.row_factory = sqlite3.Row
            yield db

    @staticmethod
    def _record(row: sqlite3.Row) -> JobRecord:
        mutable = {name: row[name] for name in MUTABLE_FIELDS}
        mutable["timings"] = json.loads(row["timings"])
        return to_record(row["document"], mutable)

    def _change(self, job_id: str, assignments: str, params: list[Any]) -> None:
        """Run `UPDATE jobs SET <assignments> WHERE job_id = ?`; raise NotFoundError if none."""
        sql = f"UPDATE jobs SET {assignments}, updated_at = ? WHERE job_id = ?"  # noqa: S608
        with self._connect() as db:
            changed = db.execute(sql, [*params, now_stamp(), job_id]).rowcount
        if not changed:
            self.get(job_id)  # raises NotFoundError

    def create(self, job: JobRecord) -> JobRecord:
        values = mutable_values(job)
        row = {
            "job_id": job.job_id,
            "created_at": stamp(job.created_at),
            "idempotency_key": job.idempotency_key,
            "document": document(job),
            **values,
            "timings": json.dumps(values["timings"]),
        }
        sql = (
            f"INSERT INTO jobs ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))}) "  # noqa: S608
            "ON CONFLICT (idempotency_key) DO NOTHING"
        )
        with self._connect() as db:
            try:
                inserted = db.execute(sql, [row[name] for name in COLUMNS]).rowcount
            except sqlite3.IntegrityError as exc:
                raise InvalidInputError(f"job {job.job_id} already exists") from exc
            if inserted:
                return job
            earlier = db.execute(
                "SELECT * FROM jobs WHERE idempotency_key = ?", [job.idempotency_key]
            ).fetchone()
        return self._record(earlier)

    def get(self, job_id: str) -> JobRecord:
        with self._connect() as db:
            row = db.execute("SELECT * FROM jobs WHERE job_id = ?", [job_id]).fetchone()
        if row is None:
            raise NotFoundError(f"job {job_id} not found")
        return self._record(row)

    def list(
        self,
        status: JobStatus | None = None,
        limit: int = 50,
        cursor: str | None = None,
        *,
        owner: str | None = None,
    ) -> tuple[list[JobRecord], str | None]:
        check_limit(limit)
        sql, params = list_query(
            status.value if status else None,
            owner,
            after_cursor(cursor),
            limit,
            mark="?",
            owner_column=OWNER,
        )
        with self._connect() as db:
            rows = db.execute(sql, params).fetchall()
        return page([self._record(row) for row in rows], limit)

    def transition(
        self,
        job_id: str,
        target: JobStatus,
        *,
        stage: str | None = None,
        error: str | None = None,
        error_cause: str | None = None,
        manifest_key: str | None = None,
    ) -> JobRecord:
        sources = [status.value for status in sources_for(target)]
        sql = (
            "UPDATE jobs SET status = ?, stage = coalesce(?, stage), error = ?, error_cause = ?,"  # noqa: S608
            " manifest_key = coalesce(?, manifest_key), updated_at = ?"
            f" WHERE job_id = ? AND status IN ({', '.join('?' * len(sources))}) RETURNING *"
        )
        params = [target.value, stage, error, error_cause, manifest_key, now_stamp(), job_id]
        with self._connect() as db:
            rows = db.execute(sql, [*params, *sources]).fetchall()
        if rows:
            return self._record(rows[0])
        check_transition(self.get(job_id).status, target)
        raise JobStateError(f"job {job_id} changed status concurrently; {target.value} refused")

    def set_stage(self, job_id: str, stage: str, *, chunks_total: int | None = None) -> None:
        if chunks_total is None:
            self._change(job_id, "stage = ?", [stage])
        else:
            self._change(
                job_id, "stage = ?, chunks_total = ?, chunks_done = 0", [stage, chunks_total]
            )
            with self._connect() as db:
                db.execute("DELETE FROM chunks_counted WHERE job_id = ?", [job_id])

    def add_progress(self, job_id: str, chunks: int = 1) -> JobRecord:
        sql = (
            "UPDATE jobs SET chunks_done = chunks_done + ?, updated_at = ?"
            " WHERE job_id = ? RETURNING *"
        )
        with self._connect() as db:
            rows = db.execute(sql, [chunks, now_stamp(), job_id]).fetchall()
        if not rows:
            raise NotFoundError(f"job {job_id} not found")
        return self._record(rows[0])

    def count_chunk(self, job_id: str, chunk: int) -> JobRecord:
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                exists = db.execute("SELECT 1 FROM jobs WHERE job_id = ?", [job_id]).fetchone()
                if exists is None:
                    raise NotFoundError(f"job {job_id} not found")
                new = db.execute(
                    "INSERT OR IGNORE INTO chunks_counted (job_id, chunk) VALUES (?, ?)",
                    [job_id, chunk],
                ).rowcount
                if new:
                    db.execute(
                        "UPDATE jobs SET chunks_done = chunks_done + 1, updated_at = ?"
                        " WHERE job_id = ?",
                        [now_stamp(), job_id],
                    )
                row = db.execute("SELECT * FROM jobs WHERE job_id = ?", [job_id]).fetchone()
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        return self._record(row)

    def record_timing(self, job_id: str, stage: str, seconds: float) -> None:
        self._change(job_id, "timings = json_patch(timings, json_object(?, ?))", [stage, seconds])
