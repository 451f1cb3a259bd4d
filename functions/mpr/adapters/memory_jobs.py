"""A JobStore in a dict behind a lock: the fake for unit tests, with the real stores' rules."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

from mpr.adapters.job_codec import after_cursor, check_limit, page, sort_position
from mpr.core.errors import InvalidInputError, NotFoundError
from mpr.core.jobs import check_transition
from mpr.core.models import JobRecord, JobStatus


class MemoryJobStore:
    """Jobs of one process; every operation holds one lock, so each is atomic."""

    def __init__(self) -> None:
        self._jobs: dict[str, JobRecord] = {}
        self._by_idempotency_key: dict[str, str] = {}
        self._counted: dict[str, set[int]] = {}
        self._lock = threading.Lock()

    def create(self, job: JobRecord) -> JobRecord:
        with self._lock:
            key = job.idempotency_key
            if key is not None and key in self._by_idempotency_key:
                return self._jobs[self._by_idempotency_key[key]]
            if job.job_id in self._jobs:
                raise InvalidInputError(f"job {job.job_id} already exists")
            self._jobs[job.job_id] = job
            if key is not None:
                self._by_idempotency_key[key] = job.job_id
            return job

    def get(self, job_id: str) -> JobRecord:
        with self._lock:
            return self._get(job_id)

    def _get(self, job_id: str) -> JobRecord:
        try:
            return self._jobs[job_id]
        except KeyError:
            raise NotFoundError(f"job {job_id} not found") from None

    def _update(self, job_id: str, **changes: Any) -> JobRecord:
        job = self._get(job_id).model_copy(update={**changes, "updated_at": datetime.now(UTC)})
        self._jobs[job_id] = job
        return job

    def list(
        self,
        status: JobStatus | None = None,
        limit: int = 50,
        cursor: str | None = None,
        *,
        owner: str | None = None,
    ) -> tuple[list[JobRecord], str | None]:
        check_limit(limit)
        after = after_cursor(cursor)
        with self._lock:
            jobs = sorted(self._jobs.values(), key=sort_position, reverse=True)
        rows = [
            job
            for job in jobs
            if (status is None or job.status is status)
            and (owner is None or job.owner == owner)
            and (after is None or sort_position(job) < after)
        ]
        return page(rows[: limit + 1], limit)

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
        with self._lock:
            job = self._get(job_id)
            check_transition(job.status, target)
            return self._update(
                job_id,
                status=target,
                stage=stage or job.stage,
                error=error,
                error_cause=error_cause,
                manifest_key=manifest_key or job.manifest_key,
            )

    def set_stage(self, job_id: str, stage: str, *, chunks_total: int | None = None) -> None:
        with self._lock:
            if chunks_total is None:
                self._update(job_id, stage=stage)
            else:
                self._update(job_id, stage=stage, chunks_total=chunks_total, chunks_done=0)
                self._counted.pop(job_id, None)

    def add_progress(self, job_id: str, chunks: int = 1) -> JobRecord:
        with self._lock:
            return self._update(job_id, chunks_done=self._get(job_id).chunks_done + chunks)

    def count_chunk(self, job_id: str, chunk: int) -> JobRecord:
        with self._lock:
            job = self._get(job_id)
            counted = self._counted.setdefault(job_id, set())
            if chunk in counted:
                return job
            counted.add(chunk)
            return self._update(job_id, chunks_done=job.chunks_done + 1)

    def record_timing(self, job_id: str, stage: str, seconds: float) -> None:
        with self._lock:
            self._update(job_id, timings={**self._get(job_id).timings, stage: seconds})
