"""Signed webhooks: POST a JSON event to a job's callback URL when the job ends.

Every request carries three headers:

- `X-MPR-Timestamp`: Unix time in seconds when the request was signed;
- `X-MPR-Signature`: `v1=<hex>`, the HMAC-SHA256 of `timestamp + "." + body` under the
  shared secret (the raw request body bytes, exactly as sent);
- `X-MPR-Delivery`: the delivery's unique id, the same on every retry of one delivery and
  also in the signed body (`delivery_id`): receivers drop an id they have already seen.

Receivers recompute the HMAC, compare in constant time and reject timestamps older than
five minutes. The same scheme signs internal callbacks into the API.

The body is `job_event` (`schema_version` 2): the job's state and, as the job view lists
them, its outputs with URLs that work until `urls_expire_at` (`job_outputs.WebhookOutputs`).
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
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import NamedTuple, Protocol
from urllib.parse import urlsplit

import httpcore
import httpx
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from mpr.core.errors import InvalidInputError
from mpr.core.manifest_view import ManifestView
from mpr.core.models import JobRecord
from mpr.ports import Storage

TIMESTAMP_HEADER = "X-MPR-Timestamp"
SIGNATURE_HEADER = "X-MPR-Signature"
DELIVERY_HEADER = "X-MPR-Delivery"
MAX_SIGNATURE_AGE_SECONDS = 300
# 2: the body carries the job's outputs (`outputs`, `qc`, `urls_expire_at`), see README
WEBHOOK_SCHEMA_VERSION = 2
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


IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[IPAddress]]
SocketOption = (
    tuple[int, int, int] | tuple[int, int, bytes | bytearray] | tuple[int, int, None, int]
)
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address `host` resolves to (the system resolver; an IP literal is itself)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [ipaddress.ip_address(info[4][0]) for info in infos]


def _embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 form carries: IPv4-mapped, 6to4, NAT64, IPv4-compatible."""
    if isinstance(address, ipaddress.IPv4Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    nat64 = any(address in prefix for prefix in _NAT64)
    if nat64 or (address in _IPV4_COMPATIBLE and int(address) > 1):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_public(address: IPAddress) -> bool:
    """A global unicast address that embeds no non-public IPv4 address."""
    embedded = _embedded_ipv4(address)
    if embedded is not None and not is_public(embedded):
        return False
    return address.is_global and not address.is_multicast


def checked_addresses(
    host: str, port: int, *, allow_private: bool, resolver: Resolver = resolve
) -> list[IPAddress]:
    """Resolve `host` once; raise InvalidInputError unless every address may be called."""
    try:
        addresses = resolver(host, port)
    except (socket.gaierror, UnicodeError) as exc:
        raise InvalidInputError(f"callback_url host {host!r} does not resolve") from exc
    if not addresses:
        raise InvalidInputError(f"callback_url host {host!r} does not resolve")
    refused = [] if allow_private else [a for a in addresses if not is_public(a)]
    if refused:
        raise InvalidInputError(
            f"callback_url host {host!r} resolves to the non-public address {refused[0]};"
            " webhooks to private, loopback and link-local addresses are refused"
        )
    return addresses


def check_webhook_url(url: str, *, allow_private: bool) -> None:
    """Refuse non-HTTP URLs and, unless allowed, hosts resolving to non-public addresses."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInputError(f"callback_url must be an http(s) URL with a host: {url!r}")
    if not allow_private:
        checked_addresses(parts.hostname, parts.port or 443, allow_private=False)


class RefusedAddressError(httpcore.ConnectError):
    """The webhook host resolved to an address webhooks may not be sent to."""


class _CheckedBackend(httpcore.NetworkBackend):
    """Connects to the very address it resolved and checked: a second lookup between the
    check and the connection (DNS rebinding) cannot send a webhook somewhere else. TLS and
    the Host header still use the URL's host name."""

    def __init__(self, *, allow_private: bool, resolver: Resolver) -> None:
        self._allow_private = allow_private
        self._resolver = resolver
        self._backend = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore.NetworkStream:
        try:
            [address, *_] = checked_addresses(
                host, port, allow_private=self._allow_private, resolver=self._resolver
            )
        except InvalidInputError as exc:
            raise RefusedAddressError(str(exc)) from exc
        return self._backend.connect_tcp(str(address), port, timeout, local_address, socket_options)

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("webhooks are sent over TCP only")

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


def checked_transport(*, allow_private: bool, resolver: Resolver = resolve) -> httpx.BaseTransport:
    """An httpx transport whose every connection goes through `_CheckedBackend`."""
    transport = httpx.HTTPTransport()
    # httpx takes no network backend argument; its pool is the documented httpcore one
    transport._pool = httpcore.ConnectionPool(
        ssl_context=httpx.create_ssl_context(),
        network_backend=_CheckedBackend(allow_private=allow_private, resolver=resolver),
    )
    return transport


class WebhookDelivery(BaseModel):
    """One attempt to deliver a job's webhook."""

    model_config = ConfigDict(frozen=True)

    attempt: int = Field(ge=1)
    status_code: int | None = Field(description="the receiver's HTTP status; None if no answer")
    at: datetime
    ok: bool
    error: str | None = None
    delivery_id: str | None = Field(None, description="the X-MPR-Delivery header sent")


_DELIVERIES = TypeAdapter(list[WebhookDelivery])


OutputsOf = Callable[[JobRecord], ManifestView]
"""A job's outputs with the URLs its webhook carries (`job_outputs.WebhookOutputs`)."""


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


def job_event(
    job: JobRecord, api_base_url: str, delivery_id: str, outputs: ManifestView
) -> dict[str, object]:
    """The webhook body for a job that ended, with its outputs (none unless it succeeded)."""
    return {
        "type": "job.ended",
        "schema_version": WEBHOOK_SCHEMA_VERSION,
        "delivery_id": delivery_id,
        "job_id": job.job_id,
        "status": job.status.value,
        "error": job.error,
        "metadata": job.metadata,
        "created_at": job.created_at.isoformat(),
        "updated_at": job.updated_at.isoformat(),
        "job_url": f"{api_base_url.rstrip('/')}/v1/jobs/{job.job_id}",
        **outputs.model_dump(mode="json"),
    }


def new_delivery(job: JobRecord, api_base_url: str, outputs: ManifestView) -> tuple[str, bytes]:
    """A fresh delivery id and the exact body that every attempt of it sends."""
    delivery_id = str(uuid.uuid4())
    event = job_event(job, api_base_url, delivery_id, outputs)
    return delivery_id, json.dumps(event, separators=(",", ":")).encode()


def backoff_delay(base_seconds: float, attempt: int) -> float:
    """Seconds to wait after failed attempt `attempt`: base, 2 x base, 4 x base, ..."""
    return base_seconds * float(2 ** (attempt - 1))


class Attempt(NamedTuple):
    delivery: WebhookDelivery
    retry: bool  # failed, and another attempt may succeed


class WebhookSender:
    """Signs and posts one attempt of a delivery, only to addresses it has checked."""

    def __init__(
        self,
        secret: bytes,
        *,
        allow_private: bool = False,
        timeout_seconds: float = 10.0,
        resolver: Resolver = resolve,
    ) -> None:
        self._secret = secret
        self._client = httpx.Client(
            transport=checked_transport(allow_private=allow_private, resolver=resolver),
            timeout=timeout_seconds,
            follow_redirects=False,
        )

    def attempt(self, url: str, body: bytes, attempt: int, delivery_id: str) -> Attempt:
        """POST `body` once; what happened, and whether another attempt may succeed."""
        now = datetime.now(UTC)

        def failed(error: str, retry: bool = True) -> Attempt:
            record = WebhookDelivery(
                attempt=attempt,
                status_code=None,
                at=now,
                ok=False,
                error=error,
                delivery_id=delivery_id,
            )
            return Attempt(record, retry)

        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return failed(f"callback_url must be an http(s) URL with a host: {url!r}", False)
        headers = {
            "Content-Type": "application/json",
            DELIVERY_HEADER: delivery_id,
            **signed_headers(self._secret, body),
        }
        try:
            response = self._client.post(url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            refused = isinstance(exc.__cause__, RefusedAddressError)
            return failed(str(exc) or type(exc).__name__, retry=not refused)
        ok = 200 <= response.status_code < 300
        record = WebhookDelivery(
            attempt=attempt,
            status_code=response.status_code,
            at=now,
            ok=ok,
            error=None if ok else f"receiver answered {response.status_code}",
            delivery_id=delivery_id,
        )
        return Attempt(record, retry=not ok)

    def close(self) -> None:
        self._client.close()


class WebhookNotifier:
    """Delivers `job.ended` events in the caller's thread with retries and exponential
    backoff (a Notifier, for the pipeline's final Lambda)."""

    def __init__(
        self,
        sender: WebhookSender,
        log_: DeliveryLog,
        *,
        api_base_url: str,
        outputs: OutputsOf,
        max_attempts: int = 5,
        backoff_seconds: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._sender = sender
        self._log = log_
        self._api_base_url = api_base_url
        self._outputs = outputs
        self._max_attempts = max_attempts
        self._backoff = backoff_seconds
        self._sleep = sleep

    def job_ended(self, job: JobRecord) -> None:
        if not job.callback_url:
            return
        delivery_id, body = new_delivery(job, self._api_base_url, self._outputs(job))
        for attempt in range(1, self._max_attempts + 1):
            delivery, retry = self._sender.attempt(job.callback_url, body, attempt, delivery_id)
            self._log.append(job.job_id, delivery)
            if not retry:
                return
            if attempt < self._max_attempts:
                self._sleep(backoff_delay(self._backoff, attempt))
        log.warning("webhook for job %s not delivered after %d attempts", job.job_id, attempt)
