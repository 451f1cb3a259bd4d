"""A JobStore in PostgreSQL (the self-hosted engine on several machines).

The same layout and single-statement changes as the SQLite store: each change is one
`UPDATE ... WHERE` that checks the rules and applies them atomically, and `RETURNING` hands
back the row it wrote. Reads (`get`, `list`) may go to a replica (see `postgres_db`).
"""

from __future__ import annotations

import json
from typing import Any

import psycopg

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
from mpr.adapters.postgres_db import PostgresDatabase, Row
from mpr.core.errors import InvalidInputError, JobStateError, NotFoundError
from mpr.core.jobs import check_transition, sources_for
from mpr.core.models import JobRecord, JobStatus

COLUMNS = ("job_id", "created_at", "idempotency_key", "document", "owner", *MUTABLE_FIELDS)


class PostgresJobStore:
    def __init__(self, database: PostgresDatabase) -> None:
        self._db = database

    @staticmethod
    def _record(row: Row) -> JobRecord:
        return to_record(row["document"], {name: row[name] for name in MUTABLE_FIELDS})

    def _change(self, job_id: str, assignments: str, params: list[Any]) -> None:
        """Run `UPDATE jobs SET <assignments> WHERE job_id = %s`; NotFoundError if none."""
        sql = f"UPDATE jobs SET {assignments}, updated_at = %s WHERE job_id = %s RETURNING job_id"  # noqa: S608
        if not self._db.write(sql, [*params, now_stamp(), job_id]):
            raise NotFoundError(f"job {job_id} not found")

    def create(self, job: JobRecord) -> JobRecord:
        values = mutable_values(job)
        row = {
            "job_id": job.job_id,
            "created_at": stamp(job.created_at),
            "idempotency_key": job.idempotency_key,
            "document": document(job),
            "owner": job.owner,
            **values,
            "timings": json.dumps(values["timings"]),
        }
        sql = (
            f"INSERT INTO jobs ({', '.join(COLUMNS)}) VALUES ({', '.join(['%s'] * len(COLUMNS))})"  # noqa: S608
            " ON CONFLICT (idempotency_key) DO NOTHING RETURNING job_id"
        )
        try:
            inserted = self._db.write(sql, [row[name] for name in COLUMNS])
        except psycopg.errors.UniqueViolation as exc:
            raise InvalidInputError(f"job {job.job_id} already exists") from exc
        if inserted:
            return job
        earlier = self._db.read_primary(
            "SELECT * FROM jobs WHERE idempotency_key = %s", [job.idempotency_key]
        )
        return self._record(earlier[0])

    def get(self, job_id: str) -> JobRecord:
        rows = self._db.read("SELECT * FROM jobs WHERE job_id = %s", [job_id])
        if not rows:
            raise NotFoundError(f"job {job_id} not found")
        return self._record(rows[0])

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
            mark="%s",
        )
        rows = self._db.read(sql, params)
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
            "UPDATE jobs SET status = %s, stage = coalesce(%s, stage), error = %s,"
            " error_cause = %s, manifest_key = coalesce(%s, manifest_key), updated_at = %s"
            " WHERE job_id = %s AND status = ANY(%s) RETURNING *"
        )
        params = [target.value, stage, error, error_cause, manifest_key, now_stamp(), job_id]
        rows = self._db.write(sql, [*params, sources])
        if rows:
            return self._record(rows[0])
        current = self._db.read_primary("SELECT status FROM jobs WHERE job_id = %s", [job_id])
        if not current:
            raise NotFoundError(f"job {job_id} not found")
        check_transition(JobStatus(current[0]["status"]), target)
        raise JobStateError(f"job {job_id} changed status concurrently; {target.value} refused")

    def set_stage(self, job_id: str, stage: str, *, chunks_total: int | None = None) -> None:
        if chunks_total is None:
            self._change(job_id, "stage = %s", [stage])
            return
        # a new total restarts the count: the chunks counted are forgotten with it
        changed = self._db.write(
            "WITH forgotten AS (DELETE FROM chunks_counted WHERE job_id = %s)"
            " UPDATE jobs SET stage = %s, chunks_total = %s, chunks_done = 0, updated_at = %s"
            " WHERE job_id = %s RETURNING job_id",
            [job_id, stage, chunks_total, now_stamp(), job_id],
        )
        if not changed:
            raise NotFoundError(f"job {job_id} not found")

    def add_progress(self, job_id: str, chunks: int = 1) -> JobRecord:
        rows = self._db.write(
            "UPDATE jobs SET chunks_done = chunks_done + %s, updated_at = %s"
            " WHERE job_id = %s RETURNING *",
            [chunks, now_stamp(), job_id],
        )
        if not rows:
            raise NotFoundError(f"job {job_id} not found")
        return self._record(rows[0])

    def count_chunk(self, job_id: str, chunk: int) -> JobRecord:
        # one statement: the chunk is recorded and counted together, or not at all
        rows = self._db.write(
            "WITH counted AS ("
            " INSERT INTO chunks_counted (job_id, chunk)"
            " SELECT job_id, %s FROM jobs WHERE job_id = %s"
            " ON CONFLICT DO NOTHING RETURNING chunk)"
            " UPDATE jobs SET chunks_done = chunks_done + (SELECT count(*) FROM counted),"
            " updated_at = %s WHERE job_id = %s RETURNING *",
            [chunk, job_id, now_stamp(), job_id],
        )
        if not rows:
            raise NotFoundError(f"job {job_id} not found")
        return self._record(rows[0])

    def record_timing(self, job_id: str, stage: str, seconds: float) -> None:
        self._change(
            job_id, "timings = timings || jsonb_build_object(%s::text, %s)", [stage, seconds]
        )
