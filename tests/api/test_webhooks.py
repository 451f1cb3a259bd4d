"""Signed webhooks to a real HTTP receiver on loopback, retries, and signed callbacks."""

from __future__ import annotations

import hashlib
import hmac
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from mpr.adapters.webhook_notifier import sign, signed_headers, verify
from mpr.services import Services
from tests.support.webhooks import Receiver

from .api_helpers import FAST_RENDITION, wait_job

WEBHOOK_SECRET = "whsec-test-0123456789"
CALLBACK_SECRET = "callback-test-0123456789"


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {
        "allow_private_webhooks": True,
        "webhook_secret": WEBHOOK_SECRET,
        "callback_secret": CALLBACK_SECRET,
        "webhook_max_attempts": 4,
        "webhook_backoff_seconds": 0.05,
    }


def wait_deliveries(client: TestClient, job_id: str, count: int, timeout: float = 60) -> list[Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        deliveries = client.get(f"/v1/jobs/{job_id}").json()["webhook_deliveries"]
        if len(deliveries) >= count:
            return list(deliveries)
        time.sleep(0.1)
    raise AssertionError(f"job {job_id}: fewer than {count} webhook deliveries")


def wait_delivery_settled(services: Services, job_id: str, timeout: float = 60) -> tuple[str, int]:
    """(state, attempts) of the job's queued delivery once it is no longer pending, read
    from the delivery table itself."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with sqlite3.connect(services.settings.data_dir / "jobs.db") as db:
            rows = db.execute(
                "SELECT state, attempts FROM webhook_deliveries WHERE job_id = ?", [job_id]
            ).fetchall()
        if rows and rows[0][0] != "pending":
            [(state, attempts)] = rows
            return str(state), int(attempts)
        time.sleep(0.05)
    raise AssertionError(f"job {job_id}: the webhook delivery is still pending")


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver(WEBHOOK_SECRET.encode(), failures=0) as r:
        yield r


@pytest.fixture
def flaky_receiver() -> Iterator[Receiver]:
    with Receiver(WEBHOOK_SECRET.encode(), failures=2) as r:
        yield r


def run_job(client: TestClient, services: Services, bunny_clip: Path, callback_url: str) -> str:
    services.inputs.put_file("clips/bunny.mp4", bunny_clip)
    created = client.post(
        "/v1/jobs",
        json={
            "source": {"key": "clips/bunny.mp4"},
            "renditions": [FAST_RENDITION],
            "callback_url": callback_url,
            "metadata": {"order": "42"},
        },
    )
    assert created.status_code == 202, created.text
    job_id: str = created.json()["id"]
    assert wait_job(client, job_id)["status"] == "SUCCEEDED"
    return job_id


@pytest.mark.slow
def test_signed_webhook_is_delivered(
    client: TestClient, services: Services, bunny_clip: Path, receiver: Receiver
) -> None:
    job_id = run_job(client, services, bunny_clip, receiver.url)

    deliveries = wait_deliveries(client, job_id, 1)

    assert [(d["attempt"], d["status_code"], d["ok"]) for d in deliveries] == [(1, 204, True)]
    [(status, event, signed)] = receiver.requests
    assert status == 204
    assert signed
    assert receiver.headers[0]["X-MPR-Delivery"] == event["delivery_id"]
    assert event["type"] == "job.ended"
    assert event["job_id"] == job_id
    assert event["status"] == "SUCCEEDED"
    assert event["metadata"] == {"order": "42"}


@pytest.mark.slow
def test_failing_receiver_gets_exactly_one_successful_delivery(
    client: TestClient, services: Services, bunny_clip: Path, flaky_receiver: Receiver
) -> None:
    job_id = run_job(client, services, bunny_clip, flaky_receiver.url)

    # a delivered row is never picked again: the attempt count is final
    assert wait_delivery_settled(services, job_id) == ("delivered", 3)
    deliveries = wait_deliveries(client, job_id, 3)

    assert [(d["attempt"], d["status_code"], d["ok"]) for d in deliveries] == [
        (1, 500, False),
        (2, 500, False),
        (3, 204, True),
    ]
    assert [status for status, _, _ in flaky_receiver.requests] == [500, 500, 204]
    assert all(signed for _, _, signed in flaky_receiver.requests)
    # one delivery id for every retry of one delivery, in the header and the signed body
    ids = {h["X-MPR-Delivery"] for h in flaky_receiver.headers}
    assert ids == {event["delivery_id"] for _, event, _ in flaky_receiver.requests}
    assert len(ids) == 1
    assert len(client.get(f"/v1/jobs/{job_id}").json()["webhook_deliveries"]) == 3


# the documented scheme, computed once with `hmac`/`hashlib` and fixed here:
# hex(HMAC-SHA256(key, b"1700000000." + body))
VECTOR_KEY = b"whsec-vector-key"
VECTOR_TIMESTAMP = 1_700_000_000
VECTOR_BODY = b'{"type":"job.ended","job_id":"job-1"}'
VECTOR_SIGNATURE = "v1=e9b1d3bcb09ee3501259f8f9c0e91a19fa1d8fa7ff3c8d14c6b739a570641a06"


def test_signature_matches_the_fixed_vector() -> None:
    headers = signed_headers(VECTOR_KEY, VECTOR_BODY, now=VECTOR_TIMESTAMP)

    assert headers == {"X-MPR-Timestamp": "1700000000", "X-MPR-Signature": VECTOR_SIGNATURE}
    assert sign(VECTOR_KEY, VECTOR_TIMESTAMP, VECTOR_BODY) == VECTOR_SIGNATURE
    assert verify(VECTOR_KEY, "1700000000", VECTOR_SIGNATURE, VECTOR_BODY, now=1.7e9) is None


def test_verify_refuses_signatures_of_other_schemes() -> None:
    sha1 = hmac.new(VECTOR_KEY, b"1700000000." + VECTOR_BODY, hashlib.sha1).hexdigest()
    untimed = hmac.new(VECTOR_KEY, VECTOR_BODY, hashlib.sha256).hexdigest()
    for other in (f"v1={sha1}", f"v1={untimed}", VECTOR_SIGNATURE.removeprefix("v1=")):
        assert verify(VECTOR_KEY, "1700000000", other, VECTOR_BODY, now=1.7e9) == (
            "signature does not match"
        )


def test_signature_scheme() -> None:
    body = b'{"type":"job.ended"}'
    headers = signed_headers(b"k", body, now=1_700_000_000)
    assert headers["X-MPR-Timestamp"] == "1700000000"
    assert headers["X-MPR-Signature"] == sign(b"k", 1_700_000_000, body)
    assert headers["X-MPR-Signature"].startswith("v1=")
    ts, sig = headers["X-MPR-Timestamp"], headers["X-MPR-Signature"]
    assert verify(b"k", ts, sig, body, now=1_700_000_100) is None
    assert "more than 300 s" in (verify(b"k", ts, sig, body, now=1_700_000_301) or "")
    assert verify(b"other", ts, sig, body, now=1_700_000_000) == "signature does not match"
    assert verify(b"k", ts, sig, body + b" ", now=1_700_000_000) == "signature does not match"


def test_callback_must_be_signed_and_fresh(
    client: TestClient, services: Services, receiver: Receiver
) -> None:
    body = b'{"type":"job.ended"}'
    path = "/v1/jobs/nope/callback"
    stale = signed_headers(CALLBACK_SECRET.encode(), body, now=time.time() - 301)
    wrong = signed_headers(b"not the secret", body)
    for headers in ({}, stale, wrong):
        response = client.post(path, content=body, headers=headers)
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
    fresh = signed_headers(CALLBACK_SECRET.encode(), body)
    assert client.post(path, content=body, headers=fresh).status_code == 404


@pytest.mark.slow
def test_callback_sends_the_webhook_of_an_ended_job(
    client: TestClient, services: Services, bunny_clip: Path, receiver: Receiver
) -> None:
    job_id = run_job(client, services, bunny_clip, receiver.url)
    wait_deliveries(client, job_id, 1)
    body = b'{"type":"job.ended"}'
    headers = signed_headers(CALLBACK_SECRET.encode(), body)

    response = client.post(f"/v1/jobs/{job_id}/callback", content=body, headers=headers)

    assert response.status_code == 202
    assert len(wait_deliveries(client, job_id, 2)) == 2
    assert len(receiver.requests) == 2
    assert len({h["X-MPR-Delivery"] for h in receiver.headers}) == 2  # two deliveries
