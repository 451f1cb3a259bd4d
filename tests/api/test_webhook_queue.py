"""The webhook queue on its own: bounded sending, against a real socket that never answers."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from mpr.adapters.job_outputs import WebhookOutputs
from mpr.adapters.local_storage import LocalStorage
from mpr.adapters.memory_jobs import MemoryJobStore
from mpr.adapters.webhook_notifier import StorageDeliveryLog, WebhookSender
from mpr.adapters.webhook_queue import QueuedNotifier, SqliteDeliveryQueue
from mpr.core.models import JobRecord, JobSpec, JobStatus, Preset
from mpr.core.tokens import UrlSigner
from tests.support.serve import wait_for
from tests.support.webhooks import HangingReceiver


def ended_jobs(url: str, count: int) -> list[JobRecord]:
    jobs = MemoryJobStore()
    spec = JobSpec(source="in.mp4", presets=[Preset(name="t", kind="thumbnails")])
    ended = []
    for i in range(count):
        job = jobs.create(JobRecord(job_id=f"job-{i}", spec=spec, callback_url=url))
        jobs.transition(job.job_id, JobStatus.RUNNING)
        ended.append(jobs.transition(job.job_id, JobStatus.SUCCEEDED))
    return ended


def attempts_made(db_path: Path) -> int:
    with sqlite3.connect(db_path) as db:
        [(total,)] = db.execute("SELECT sum(attempts) FROM webhook_deliveries").fetchall()
    return int(total)


def test_no_more_than_concurrency_deliveries_are_in_flight(tmp_path: Path) -> None:
    hanging = HangingReceiver()
    db_path = tmp_path / "jobs.db"
    notifier = QueuedNotifier(
        SqliteDeliveryQueue(db_path),
        WebhookSender(b"secret", allow_private=True, timeout_seconds=1),
        StorageDeliveryLog(LocalStorage(tmp_path / "state")),
        api_base_url="http://127.0.0.1",
        outputs=WebhookOutputs(
            LocalStorage(tmp_path / "output"), UrlSigner(b"urls", 3600), "http://127.0.0.1"
        ),
        max_attempts=1,
        concurrency=2,
    )
    try:
        # Given three deliveries to a receiver that never answers, and two sender slots
        for job in ended_jobs(hanging.url, 3):
            notifier.job_ended(job)

        # When the third delivery connects
        wait_for(lambda: len(hanging.connections) == 3, "the third delivery to connect")

        # Then an earlier attempt had already timed out and been recorded, freeing its slot
        assert attempts_made(db_path) >= 1
        wait_for(lambda: attempts_made(db_path) == 3, "every attempt to be recorded")
    finally:
        notifier.close()
        hanging.close()
