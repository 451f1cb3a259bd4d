"""Signed webhooks: POST a JSON event to a job's callback URL when the job ends.

Every request carries two headers:

- `X-MPR-Timestamp`: Unix time in seconds when the request was signed;
- `X-MPR-Signature`: `v1=<hex>`, the HMAC-SHA256 of `timestamp + "." + body` under the
  shared secret (the raw request body bytes, exactly as sent).

Receivers recompute the HMAC, compare in constant time and reject timestamps older than
five minutes. The same scheme signs internal callbacks into the API.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
import socket
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Protocol
from urllib.parse import urlsplit

import httpx
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from mpr.core.errors import InvalidInputError
from mpr.core.models import JobRecord
from mpr.ports import Storage

TIMESTAMP_HEADER = "X-MPR-Timestamp"
SIGNATURE_HEADER = "X-MPR-Signature"
MAX_SIGNATURE_AGE_SECONDS = 300
log = logging.getLogger(__name__)


def sign(secret: bytes, timestamp: int, body: bytes) -> str:
    """The `X-MPR-Signature` value for `body` sent at `timestamp`."""
    digest = hmac.new(secret, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"v1={digest}"


def signed_headers(secret: bytes, body: bytes, now: float | None = None) -> dict[str, str]:
    """Timestamp and signature headers for a request carrying `body`."""
    timestamp = int(time.time() if now is None else now)
    return {TIMESTAMP_HEADER: str(timestamp), SIGNATURE_HEADER: sign(secret, timestamp, body)}


def verify(
    secret: bytes, timestamp: str | None, signature: str | None, body: bytes, now: float | None
) -> str | None:
    """None if the signature is valid and fresh, else the reason it is not."""
    if not timestamp or not signature:
        return f"missing {TIMESTAMP_HEADER} or {SIGNATURE_HEADER} header"
    try:
        sent = int(timestamp)
    except ValueError:
        return f"{TIMESTAMP_HEADER} is not a Unix time in seconds"
    if abs((time.time() if now is None else now) - sent) > MAX_SIGNATURE_AGE_SECONDS:
        return f"{TIMESTAMP_HEADER} is more than {MAX_SIGNATURE_AGE_SECONDS} s away from now"
    if not hmac.compare_digest(sign(secret, sent, body), signature):
        return "signature does not match"
    return None


def check_webhook_url(url: str, *, allow_private: bool) -> None:
    """Refuse non-HTTP URLs and, unless allowed, hosts resolving to non-public addresses."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInputError(f"callback_url must be an http(s) URL with a host: {url!r}")
    if allow_private:
        return
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise InvalidInputError(f"callback_url host {parts.hostname!r} does not resolve") from exc
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global or address.is_multicast:
            raise InvalidInputError(
                f"callback_url host {parts.hostname!r} resolves to the non-public address "
                f"{address}; webhooks to private, loopback and link-local addresses are refused"
            )


class WebhookDelivery(BaseModel):
    """One attempt to deliver a job's webhook."""

    model_config = ConfigDict(frozen=True)

    attempt: int = Field(ge=1)
    status_code: int | None = Field(description="the receiver's HTTP status; None if no answer")
    at: datetime
    ok: bool
    error: str | None = None


_DELIVERIES = TypeAdapter(list[WebhookDelivery])


class DeliveryLog(Protocol):
    def append(self, job_id: str, delivery: WebhookDelivery) -> None: ...

    def list(self, job_id: str) -> list[WebhookDelivery]: ...


class StorageDeliveryLog:
    """Delivery attempts as one JSON document per job in a Storage area."""

    def __init__(self, storage: Storage, prefix: str = "webhooks/") -> None:
        self._storage = storage
        self._prefix = prefix
        self._lock = threading.Lock()

    def _key(self, job_id: str) -> str:
        return f"{self._prefix}{job_id}.json"

    def list(self, job_id: str) -> list[WebhookDelivery]:
        key = self._key(job_id)
        if not self._storage.exists(key):
            return []
        return _DELIVERIES.validate_json(self._storage.get_bytes(key))

    def append(self, job_id: str, delivery: WebhookDelivery) -> None:
        with self._lock:
            items = [*self.list(job_id), delivery]
            self._storage.put_bytes(
                self._key(job_id), _DELIVERIES.dump_json(items), "application/json"
            )


def job_event(job: JobRecord, api_base_url: str) -> dict[str, object]:
    """The webhook body for a job that ended."""
    return {
        "type": "job.ended",
        "job_id": job.job_id,
        "status": job.status.value,
        "error": job.error,
        "metadata": job.metadata,
        "created_at": job.created_at.isoformat(),
        "updated_at": job.updated_at.isoformat(),
        "job_url": f"{api_base_url.rstrip('/')}/v1/jobs/{job.job_id}",
    }


class WebhookNotifier:
    """Delivers `job.ended` events with retries and exponential backoff (a Notifier)."""

    def __init__(
        self,
        secret: bytes,
        log_: DeliveryLog,
        *,
        api_base_url: str,
        max_attempts: int = 5,
        allow_private: bool = False,
        backoff_seconds: float = 1.0,
        timeout_seconds: float = 10.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._secret = secret
        self._log = log_
        self._api_base_url = api_base_url
        self._max_attempts = max_attempts
        self._allow_private = allow_private
        self._backoff = backoff_seconds
        self._timeout = timeout_seconds
        self._sleep = sleep

    def job_ended(self, job: JobRecord) -> None:
        if not job.callback_url:
            return
        body = json.dumps(job_event(job, self._api_base_url), separators=(",", ":")).encode()
        try:
            check_webhook_url(job.callback_url, allow_private=self._allow_private)
        except InvalidInputError as exc:
            refused = WebhookDelivery(
                attempt=1, status_code=None, at=datetime.now(UTC), ok=False, error=str(exc)
            )
            self._log.append(job.job_id, refused)
            return
        for attempt in range(1, self._max_attempts + 1):
            delivery = self._attempt(job.callback_url, body, attempt)
            self._log.append(job.job_id, delivery)
            if delivery.ok:
                return
            if attempt < self._max_attempts:
                self._sleep(self._backoff * 2 ** (attempt - 1))
        log.warning("webhook for job %s not delivered after %d attempts", job.job_id, attempt)

    def _attempt(self, url: str, body: bytes, attempt: int) -> WebhookDelivery:
        now = datetime.now(UTC)
        try:
            headers = {"Content-Type": "application/json", **signed_headers(self._secret, body)}
            response = httpx.post(
                url, content=body, headers=headers, timeout=self._timeout, follow_redirects=False
            )
        except httpx.HTTPError as exc:
            return WebhookDelivery(
                attempt=attempt, status_code=None, at=now, ok=False, error=str(exc)
            )
        ok = 200 <= response.status_code < 300
        return WebhookDelivery(
            attempt=attempt,
            status_code=response.status_code,
            at=now,
            ok=ok,
            error=None if ok else f"receiver answered {response.status_code}",
        )
