"""A job posted while its upload is still being probed waits for it; uploads have deadlines."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from mpr.services import Services

from .api_helpers import FAST_RENDITION, wait_job


class HeldProbes:
    """Stands in for the API's background pool: probes run only when the test says so."""

    def __init__(self) -> None:
        self.tasks: list[Callable[[], None]] = []

    def __call__(self, task: Callable[[], None]) -> None:
        self.tasks.append(task)

    def run_all(self) -> None:
        while self.tasks:
            self.tasks.pop(0)()


@pytest.fixture
def held(services: Services) -> HeldProbes:
    probes = HeldProbes()
    services.background = probes
    return probes


def send(client: TestClient, data: bytes) -> str:
    ticket = client.post("/v1/uploads", json={"filename": "clip.mp4", "size": len(data)}).json()
    sent = client.put(ticket["url"], content=data)
    assert sent.status_code == 200, sent.text
    assert sent.json()["status"] == "UPLOADED"
    return str(ticket["upload_id"])


@pytest.mark.slow
def test_a_job_on_an_upload_being_probed_starts_once_it_is_ready(
    client: TestClient, held: HeldProbes, bunny_clip: Path
) -> None:
    # Given an upload whose probe has not run yet
    upload_id = send(client, bunny_clip.read_bytes())
    # When a job is posted on it
    posted = client.post(
        "/v1/jobs", json={"source": {"upload_id": upload_id}, "renditions": [FAST_RENDITION]}
    )
    # Then it is accepted and waits
    assert posted.status_code == 202, posted.text
    job_id = posted.json()["id"]
    waiting = client.get(f"/v1/jobs/{job_id}").json()
    assert (waiting["status"], waiting["stage"]) == ("QUEUED", "waiting for upload")
    # and once the probe has run, the job runs to the end
    held.run_all()
    assert client.get(f"/v1/uploads/{upload_id}").json()["status"] == "READY"
    done = wait_job(client, job_id)
    assert done["status"] == "SUCCEEDED", done["error"]
    assert done["outputs"][0]["frames"] == 132  # bigbuckbunny.mp4


def test_a_job_on_an_upload_that_turns_out_invalid_fails_with_its_reason(
    client: TestClient, held: HeldProbes
) -> None:
    upload_id = send(client, b"\x00\x01 this is no video " * 40)
    posted = client.post(
        "/v1/jobs", json={"source": {"upload_id": upload_id}, "presets": ["thumbnails"]}
    )
    assert posted.status_code == 202, posted.text

    held.run_all()

    upload = client.get(f"/v1/uploads/{upload_id}").json()
    job = client.get(f"/v1/jobs/{posted.json()['id']}").json()
    assert upload["status"] == "INVALID"
    assert job["status"] == "FAILED"
    assert job["error"] == f"upload {upload_id} is not usable: {upload['error']}"


def _backdate(services: Services, upload_id: str, **fields: datetime) -> None:
    services.uploads.update(upload_id, lambda record: record.model_copy(update=fields))


def test_an_upload_never_sent_fails_after_its_deadline(
    client: TestClient, services: Services
) -> None:
    ticket = client.post("/v1/uploads", json={"filename": "a.mp4", "size": 10}).json()
    assert client.get(f"/v1/uploads/{ticket['upload_id']}").json()["status"] == "PENDING"
    # Given the upload's URLs expired an hour ago
    _backdate(services, ticket["upload_id"], expires_at=datetime.now(UTC) - timedelta(hours=1))
    # Then it is FAILED, and says why
    view = client.get(f"/v1/uploads/{ticket['upload_id']}").json()
    assert view["status"] == "FAILED"
    assert "not received before" in view["error"]


def test_an_upload_whose_probe_was_lost_fails_and_so_do_its_waiting_jobs(
    client: TestClient, services: Services, held: HeldProbes
) -> None:
    # Given an upload whose probe never ran (the process that held it stopped), with a job
    upload_id = send(client, b"\x00" * 64)
    posted = client.post(
        "/v1/jobs", json={"source": {"upload_id": upload_id}, "presets": ["thumbnails"]}
    )
    held.tasks.clear()
    # When its probing deadline has passed
    limit = services.settings.upload_processing_seconds
    _backdate(services, upload_id, uploaded_at=datetime.now(UTC) - timedelta(seconds=limit + 1))
    view = client.get(f"/v1/uploads/{upload_id}").json()
    held.run_all()
    # Then the upload is FAILED with the reason, and the job failed with it
    assert view["status"] == "FAILED"
    assert f"not probed within {limit} s" in view["error"]
    job = client.get(f"/v1/jobs/{posted.json()['id']}").json()
    assert job["status"] == "FAILED"
    assert view["error"] in job["error"]


def test_a_job_waiting_for_a_lost_probe_fails_when_it_is_read(
    client: TestClient, services: Services, held: HeldProbes
) -> None:
    # Given a job waiting for an upload whose probe was lost, past the probing deadline
    upload_id = send(client, b"\x00" * 64)
    posted = client.post(
        "/v1/jobs", json={"source": {"upload_id": upload_id}, "presets": ["thumbnails"]}
    )
    held.tasks.clear()
    limit = services.settings.upload_processing_seconds
    _backdate(services, upload_id, uploaded_at=datetime.now(UTC) - timedelta(seconds=limit + 1))
    # When only the job is read
    job = client.get(f"/v1/jobs/{posted.json()['id']}").json()
    # Then it has failed with the upload's reason, without anyone reading the upload
    assert job["status"] == "FAILED"
    assert f"not probed within {limit} s" in job["error"]
