"""What the jobs API says about a source: why it was refused, which streams it dropped."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from mpr.services import Services
from tests.api.api_helpers import FAST_RENDITION, upload, wait_job
from tests.support.media import EXTRA_NOT_CARRIED, make_broken_timestamps, make_extra_streams

pytestmark = pytest.mark.slow

BROKEN = "video timestamps are broken: 1 frame(s) repeat the presentation time of another"


def test_a_job_on_broken_timestamps_fails_at_probe_with_the_reason(
    client: TestClient, services: Services, tmp_path: Path
) -> None:
    # Given a source in the input storage whose video shows 1.100000 s twice
    services.inputs.put_file("clips/glitch.mp4", make_broken_timestamps(tmp_path / "glitch.mp4"))
    # When a job is started on it
    created = client.post(
        "/v1/jobs", json={"source": {"key": "clips/glitch.mp4"}, "renditions": [FAST_RENDITION]}
    )
    assert created.status_code == 202, created.text
    job = wait_job(client, created.json()["id"])
    # Then it fails with the reason, before any chunk is encoded
    assert job["status"] == "FAILED"
    assert BROKEN in job["error"]
    assert "(first at 1.100000 s)" in job["error"]
    assert job["progress"] == 0.0


def test_an_upload_with_broken_timestamps_is_invalid_with_the_reason(
    client: TestClient, tmp_path: Path
) -> None:
    view = upload(client, make_broken_timestamps(tmp_path / "glitch.mp4"))
    assert view["status"] == "INVALID"
    assert BROKEN in view["error"]


def test_the_job_view_lists_the_streams_not_carried(client: TestClient, tmp_path: Path) -> None:
    # Given an upload with a second audio track, subtitles and a timecode track
    view = upload(client, make_extra_streams(tmp_path / "extra.mp4"))
    assert view["status"] == "READY", view["error"]
    # When a job on it has run
    created = client.post(
        "/v1/jobs",
        json={"source": {"upload_id": view["upload_id"]}, "renditions": [FAST_RENDITION]},
    )
    job = wait_job(client, created.json()["id"])
    # Then the job names each stream its outputs leave out
    assert job["status"] == "SUCCEEDED", job["error"]
    assert job["media"]["not_carried"] == EXTRA_NOT_CARRIED
