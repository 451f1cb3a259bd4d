"""Choosing a job's audio tracks by language over the API: refused with the reason where the
source is known to lack one, failed with the reason where only its probe can tell."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from mpr.services import Services
from tests.api.api_helpers import FAST_RENDITION, upload, wait_job
from tests.api.test_graphql import gql
from tests.support.media import make_extra_streams

pytestmark = pytest.mark.slow

NO_GERMAN = "audio language 'de': the source has no audio track in it"


@pytest.fixture
def ready(client: TestClient, tmp_path: Path) -> dict[str, Any]:
    """An upload with two audio tracks, eng and fra, probed and READY."""
    view = upload(client, make_extra_streams(tmp_path / "extra.mp4"))
    assert view["status"] == "READY", view["error"]
    return view


@pytest.mark.parametrize(
    ("languages", "reason"),
    [(["en", "de"], NO_GERMAN), (["x!"], "'x!' is not a BCP 47 language tag")],
)
def test_a_language_the_upload_lacks_is_refused(
    client: TestClient, ready: dict[str, Any], languages: list[str], reason: str
) -> None:
    # When a job on the upload asks for a language none of its tracks has
    refused = client.post(
        "/v1/jobs",
        json={
            "source": {"upload_id": ready["upload_id"]},
            "renditions": [FAST_RENDITION],
            "audio_languages": languages,
        },
    )
    # Then the request is refused with the reason, and no job exists
    assert refused.status_code == 422, refused.text
    assert reason in refused.json()["detail"]
    assert client.get("/v1/jobs").json()["items"] == []


def test_a_language_keeps_its_track_only(client: TestClient, ready: dict[str, Any]) -> None:
    # When an HLS job on the upload asks for French
    created = client.post(
        "/v1/jobs",
        json={
            "source": {"upload_id": ready["upload_id"]},
            "presets": ["hls-ladder"],
            "audio_languages": ["fr"],
        },
    )
    assert created.status_code == 202, created.text
    job = wait_job(client, created.json()["id"])
    # Then the ladder offers the French track alone, and the English one is not carried
    assert job["status"] == "SUCCEEDED", job["error"]
    audio = [o for o in job["outputs"] if o["kind"] == "audio"]
    assert [(o["language"], o["qc"]["passed"]) for o in audio] == [("fr", True)]
    not_carried = [(s["index"], s["type"], s["language"]) for s in job["media"]["not_carried"]]
    assert (1, "audio", "eng") in not_carried


def test_a_language_a_stored_source_lacks_fails_the_job_with_the_reason(
    client: TestClient, services: Services, tmp_path: Path
) -> None:
    # Given a source in the input storage (not probed before its job)
    services.inputs.put_file("clips/extra.mp4", make_extra_streams(tmp_path / "extra.mp4"))
    # When a job on it asks for German, through GraphQL
    created = gql(
        client,
        "mutation($k: String, $l: [String!]) {"
        ' createJob(presets: ["mp4-720p"], key: $k, audioLanguages: $l) { id } }',
        k="clips/extra.mp4",
        l=["de"],
    )["data"]["createJob"]
    # Then the job fails at its probe, with the reason
    job = wait_job(client, created["id"])
    assert job["status"] == "FAILED"
    assert NO_GERMAN in job["error"]
    assert job["progress"] == 0.0
