"""Cancelling queued and running jobs, retrying failed ones."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from mpr.adapters.local_storage import LocalStorage
from mpr.services import Services

from .api_helpers import FAST_RENDITION, follow_job, wait_job

SLOW_RENDITION = {
    "name": "720p-slow",
    "height": 720,
    "max_bitrate_kbps": 4000,
    "x264_preset": "slow",
}


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"concurrent_jobs": 1}


def wait_stage(client: TestClient, job_id: str, stage: str, timeout: float = 60) -> None:
    follow_job(client, job_id, lambda job: job["stage"] == stage, timeout)


def wait_until_clean(work: LocalStorage, job_id: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not list(work.list(f"work/{job_id}/")):
            return
        time.sleep(0.1)
    raise AssertionError(f"work files of job {job_id} were not deleted")


@pytest.mark.slow
def test_cancel_running_and_queued_jobs(
    client: TestClient, services: Services, work: LocalStorage, bunny_clip: Path
) -> None:
    services.inputs.put_file("clips/bunny.mp4", bunny_clip)
    body = {"source": {"key": "clips/bunny.mp4"}, "renditions": [SLOW_RENDITION]}
    running = client.post("/v1/jobs", json=body).json()["id"]
    queued = client.post("/v1/jobs", json=body).json()["id"]
    wait_stage(client, running, "encode")

    cancel_queued = client.delete(f"/v1/jobs/{queued}")
    cancel_running = client.delete(f"/v1/jobs/{running}")

    assert cancel_queued.status_code == 202
    assert cancel_queued.json()["status"] == "CANCELLED"
    assert cancel_running.status_code == 202
    assert cancel_running.json()["status"] == "CANCELLED"
    assert list(work.list(f"work/{running}/"))
    wait_until_clean(work, running)
    ended = wait_job(client, running)
    assert ended["status"] == "CANCELLED"
    assert ended["outputs"] == []
    assert not services.outputs.exists(f"{running}/manifest.json")
    never_ran = client.get(f"/v1/jobs/{queued}").json()
    assert never_ran["status"] == "CANCELLED"
    assert never_ran["timings"] == {}
    again = client.delete(f"/v1/jobs/{running}")
    assert again.status_code == 409
    assert again.headers["content-type"] == "application/problem+json"


@pytest.mark.slow
def test_retry_a_failed_job(client: TestClient, services: Services, bunny_clip: Path) -> None:
    services.inputs.put_bytes("clips/late.mp4", b"this is not a video yet")
    created = client.post(
        "/v1/jobs", json={"source": {"key": "clips/late.mp4"}, "renditions": [FAST_RENDITION]}
    )
    failed = wait_job(client, created.json()["id"])
    assert failed["status"] == "FAILED"
    assert "not a readable media file" in failed["error"]

    services.inputs.put_file("clips/late.mp4", bunny_clip)
    retried = client.post(f"/v1/jobs/{failed['id']}/retry")

    assert retried.status_code == 202
    assert retried.json()["status"] == "QUEUED"
    assert retried.json()["error"] is None
    done = wait_job(client, failed["id"])
    assert done["status"] == "SUCCEEDED", done["error"]
    assert done["outputs"][0]["frames"] == 132
    refused = client.post(f"/v1/jobs/{failed['id']}/retry")
    assert refused.status_code == 409
    assert "only a FAILED job can be retried" in refused.json()["detail"]
