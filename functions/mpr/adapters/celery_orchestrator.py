"""Start and stop a job's Celery pipeline (the launcher of `mpr serve` with MPR_QUEUE_URL)."""

from __future__ import annotations

from kombu.exceptions import OperationalError

from mpr.adapters import celery_pipeline
from mpr.core import keys
from mpr.core.errors import RetryableError
from mpr.core.models import JobRecord
from mpr.ports import Storage


class CeleryOrchestrator:
    """Enqueues a job's first tasks; the workers enqueue the rest."""

    def __init__(self, work: Storage) -> None:
        self._work = work

    def start(self, job: JobRecord) -> None:
        try:
            celery_pipeline.start_job(job)
        except OperationalError as exc:
            raise RetryableError(f"could not enqueue the job: {exc}") from exc

    def cancel(self, job_id: str) -> None:
        """Revoke the job's tasks (the store already marked it CANCELLED), drop its work
        files and send its webhook from a worker."""
        celery_pipeline.revoke(job_id)
        self._work.delete_prefix(keys.work_prefix(job_id))
        celery_pipeline.notify.si(job_id).apply_async()
