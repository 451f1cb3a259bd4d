"""The webhook address guard: IPv6 forms of private IPv4 space, and DNS rebinding against a
real receiver on loopback."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest

from mpr.adapters.job_outputs import WebhookOutputs
from mpr.adapters.local_storage import LocalStorage
from mpr.adapters.memory_jobs import MemoryJobStore
from mpr.adapters.webhook_notifier import (
    StorageDeliveryLog,
    WebhookNotifier,
    WebhookSender,
    check_webhook_url,
)
from mpr.core.errors import InvalidInputError
from mpr.core.models import JobRecord, JobSpec, JobStatus, Preset
from mpr.core.tokens import UrlSigner
from tests.support.netns import in_private_network
from tests.support.webhooks import Receiver

SECRET = b"whsec-guard"
PUBLIC = "93.184.215.14"  # a global address; unreachable inside the private namespace
REBINDING_HOST = "hooks.rebind.test"


@pytest.mark.parametrize(
    "host",
    [
        "[::127.0.0.1]",  # IPv4-compatible loopback
        "[::ffff:127.0.0.1]",  # IPv4-mapped loopback
        "[::ffff:10.1.2.3]",  # IPv4-mapped private
        "[64:ff9b::7f00:1]",  # NAT64 of 127.0.0.1
        "[64:ff9b::a9fe:a9fe]",  # NAT64 of 169.254.169.254 (instance metadata)
        "[2002:7f00:1::]",  # 6to4 of 127.0.0.1
        "[2002:c0a8:101::1]",  # 6to4 of 192.168.1.1
        "[64:ff9b:1::a00:1]",  # local-use NAT64 of 10.0.0.1
    ],
)
def test_ipv6_forms_of_private_ipv4_space_are_refused(host: str) -> None:
    with pytest.raises(InvalidInputError, match="non-public address"):
        check_webhook_url(f"http://{host}:8080/hook", allow_private=False)


@pytest.mark.parametrize("host", ["[2002:808:808::1]", "[64:ff9b::808:808]", "8.8.8.8"])
def test_public_addresses_in_the_same_forms_pass(host: str) -> None:
    check_webhook_url(f"https://{host}/hook", allow_private=False)


def ended_job(url: str) -> JobRecord:
    jobs = MemoryJobStore()
    spec = JobSpec(source="in.mp4", presets=[Preset(name="t", kind="thumbnails")])
    job = jobs.create(JobRecord(job_id="job-1", spec=spec, callback_url=url))
    jobs.transition(job.job_id, JobStatus.RUNNING)
    return jobs.transition(job.job_id, JobStatus.SUCCEEDED)


def test_a_rebinding_host_cannot_reach_loopback(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Given a resolver whose answer for one name is public once, then loopback
    real_getaddrinfo = socket.getaddrinfo
    lookups: list[str] = []

    def rebinding(host: str, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host != REBINDING_HOST:
            return real_getaddrinfo(host, port, *args, **kwargs)
        lookups.append(host)
        address = PUBLIC if len(lookups) == 1 else "127.0.0.1"
        return real_getaddrinfo(address, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    log = StorageDeliveryLog(LocalStorage(tmp_path / "state"))

    def deliver() -> tuple[list[Any], list[str]]:
        with Receiver(SECRET) as receiver:
            url = f"http://{REBINDING_HOST}:{receiver.port}/hook"
            notifier = WebhookNotifier(
                WebhookSender(SECRET, timeout_seconds=5),
                log,
                api_base_url="http://127.0.0.1:1",
                outputs=WebhookOutputs(
                    LocalStorage(tmp_path / "output"), UrlSigner(SECRET, 3600), "http://127.0.0.1:1"
                ),
                max_attempts=1,
            )
            # When the job's webhook is delivered
            notifier.job_ended(ended_job(url))
            return receiver.requests, lookups

    requests, resolved = in_private_network(deliver)

    # Then the receiver on loopback got nothing: the attempt went to the checked address
    assert requests == []
    assert resolved == [REBINDING_HOST]
    [attempt] = log.list("job-1")
    assert (attempt.ok, attempt.status_code) == (False, None)
