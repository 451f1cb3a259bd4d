"""Webhook deliveries on their own queue: rows in SQLite, sent by a small pool of threads.

A job that ends only adds its delivery to the queue; a dispatcher thread hands due
deliveries to `concurrency` sender threads, so a receiver that never answers holds a sender
slot for one timeout at a time and never a job worker. Each row keeps the attempts made,
the time of the next one and the last status: after a restart, pending deliveries go on
where they stopped.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing, contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from mpr.adapters.webhook_notifier import (
    DeliveryLog,
    OutputsOf,
    WebhookSender,
    backoff_delay,
    new_delivery,
)
from mpr.core.models import JobRecord

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS webhook_deliveries (
    delivery_id TEXT PRIMARY KEY,
    job_id TEXT NOT NULL,
    url TEXT NOT NULL,
    body BLOB NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    next_attempt_at REAL NOT NULL,
    last_status INTEGER,
    last_error TEXT,
    created_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS webhook_deliveries_due
    ON webhook_deliveries (state, next_attempt_at);
"""


class DeliveryState(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


@dataclass(frozen=True)
class QueuedDelivery:
    delivery_id: str
    job_id: str
    url: str
    body: bytes
    attempts: int


class SqliteDeliveryQueue:
    """The delivery rows, in the jobs database file (one connection per operation)."""

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
            yield db

    def enqueue(self, delivery_id: str, job_id: str, url: str, body: bytes, now: float) -> None:
        with self._connect() as db:
            db.execute(
                "INSERT INTO webhook_deliveries (delivery_id, job_id, url, body, state,"
                " attempts, next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, 0, ?, ?)",
                [delivery_id, job_id, url, body, DeliveryState.PENDING, now, now],
            )

    def due(self, now: float, skip: set[str], limit: int) -> list[QueuedDelivery]:
        """Up to `limit` pending deliveries whose next attempt is due, oldest first, except
        those in `skip` (being sent)."""
        marks = ", ".join("?" * len(skip))
        sql = (
            "SELECT delivery_id, job_id, url, body, attempts FROM webhook_deliveries"  # noqa: S608
            f" WHERE state = ? AND next_attempt_at <= ? AND delivery_id NOT IN ({marks})"
            " ORDER BY next_attempt_at LIMIT ?"
        )
        with self._connect() as db:
            rows = db.execute(sql, [DeliveryState.PENDING, now, *skip, limit]).fetchall()
        return [QueuedDelivery(*row) for row in rows]

    def next_attempt_at(self, skip: set[str]) -> float | None:
        """When the earliest pending delivery, except `skip`, is due; None if there is none."""
        marks = ", ".join("?" * len(skip))
        sql = (
            "SELECT min(next_attempt_at) FROM webhook_deliveries"  # noqa: S608
            f" WHERE state = ? AND delivery_id NOT IN ({marks})"
        )
        with self._connect() as db:
            [when] = db.execute(sql, [DeliveryState.PENDING, *skip]).fetchone()
        return None if when is None else float(when)

    def record(
        self,
        delivery_id: str,
        *,
        attempts: int,
        state: DeliveryState,
        next_attempt_at: float,
        last_status: int | None,
        last_error: str | None,
    ) -> None:
        with self._connect() as db:
            db.execute(
                "UPDATE webhook_deliveries SET attempts = ?, state = ?, next_attempt_at = ?,"
                " last_status = ?, last_error = ? WHERE delivery_id = ?",
                [attempts, state, next_attempt_at, last_status, last_error, delivery_id],
            )


class QueuedNotifier:
    """A Notifier that queues each delivery and sends it from its own bounded pool."""

    def __init__(
        self,
        queue: SqliteDeliveryQueue,
        sender: WebhookSender,
        log_: DeliveryLog,
        *,
        api_base_url: str,
        outputs: OutputsOf,
        max_attempts: int = 5,
        backoff_seconds: float = 1.0,
        concurrency: int = 4,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._queue = queue
        self._sender = sender
        self._log = log_
        self._api_base_url = api_base_url
        self._outputs = outputs
        self._max_attempts = max_attempts
        self._backoff = backoff_seconds
        self._concurrency = concurrency
        self._clock = clock
        self._pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="mpr-webhook")
        self._changed = threading.Condition()
        self._sending: set[str] = set()
        self._stopping = False
        self._dispatcher = threading.Thread(
            target=self._dispatch, name="mpr-webhook-dispatch", daemon=True
        )
        self._dispatcher.start()

    def job_ended(self, job: JobRecord) -> None:
        if not job.callback_url:
            return
        delivery_id, body = new_delivery(job, self._api_base_url, self._outputs(job))
        self._queue.enqueue(delivery_id, job.job_id, job.callback_url, body, self._clock())
        with self._changed:
            self._changed.notify_all()

    def close(self) -> None:
        """Stop sending; what is still pending stays queued for the next start."""
        with self._changed:
            self._stopping = True
            self._changed.notify_all()
        self._dispatcher.join()
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._sender.close()

    def _dispatch(self) -> None:
        with self._changed:
            while not self._stopping:
                now = self._clock()
                free = self._concurrency - len(self._sending)
                for delivery in self._queue.due(now, self._sending, free) if free > 0 else []:
                    self._sending.add(delivery.delivery_id)
                    self._pool.submit(self._send, delivery)
                self._changed.wait(self._until_next(now))

    def _until_next(self, now: float) -> float | None:
        """Seconds until a pending delivery that is not being sent falls due."""
        when = self._queue.next_attempt_at(self._sending)
        return None if when is None else max(0.05, when - now)

    def _send(self, queued: QueuedDelivery) -> None:
        attempt = queued.attempts + 1
        try:
            delivery, retry = self._sender.attempt(
                queued.url, queued.body, attempt, queued.delivery_id
            )
            self._log.append(queued.job_id, delivery)
            state = (
                DeliveryState.DELIVERED
                if delivery.ok
                else DeliveryState.PENDING
                if retry and attempt < self._max_attempts
                else DeliveryState.FAILED
            )
            if state is DeliveryState.FAILED:
                log.warning("webhook %s not delivered: %s", queued.delivery_id, delivery.error)
            self._queue.record(
                queued.delivery_id,
                attempts=attempt,
                state=state,
                next_attempt_at=self._clock() + backoff_delay(self._backoff, attempt),
                last_status=delivery.status_code,
                last_error=delivery.error,
            )
        except Exception:
            log.exception("webhook %s: the attempt could not be recorded", queued.delivery_id)
        finally:
            with self._changed:
                self._sending.discard(queued.delivery_id)
                self._changed.notify_all()
