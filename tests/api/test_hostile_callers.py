"""Hostile callers: malformed tokens, probing for ids, guessing keys, reference files."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from mpr.services import Services

from .api_helpers import wait_upload

PROBLEM = "application/problem+json"


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"auth_failures_per_minute": 3}


@pytest.fixture
def job_id(client: TestClient, services: Services) -> str:
    services.inputs.put_bytes("clips/a.bin", b"not media")
    job = client.post(
        "/v1/jobs", json={"source": {"key": "clips/a.bin"}, "presets": ["thumbnails"]}
    )
    assert job.status_code == 202, job.text
    return str(job.json()["id"])


@pytest.mark.parametrize(
    "token",
    [
        "\u0661\u0662\u0663-abc-" + "0" * 32,  # Arabic-Indic digits
        "\u00b2-abc-" + "0" * 32,  # a superscript two: str.isdigit() says yes, int() says no
        "9999999999-abc-" + "\u00e9" * 32,  # a non-ASCII MAC
    ],
)
def test_a_token_with_non_ascii_digits_is_refused(
    anon: TestClient, job_id: str, token: str
) -> None:
    response = anon.get(f"/v1/jobs/{job_id}/signed/{token}/manifest.json")
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == PROBLEM
    upload = anon.get(f"/v1/uploads/{'0' * 32}/signed/{token}/source")
    assert upload.status_code == 401, upload.text


def test_events_tell_an_anonymous_caller_nothing_about_ids(anon: TestClient, job_id: str) -> None:
    existing = anon.get(f"/v1/jobs/{job_id}/events")
    unknown = anon.get(f"/v1/jobs/{'f' * 32}/events")
    assert existing.status_code == unknown.status_code == 401
    assert existing.json() == unknown.json()


def test_invalid_keys_are_rate_limited_per_address(client: TestClient, anon: TestClient) -> None:
    # Given an address that sent three wrong keys (the configured limit)
    for attempt in range(3):
        refused = anon.get("/v1/jobs", headers={"X-API-Key": f"mpr_guess_{attempt}"})
        assert refused.status_code == 401
    # When it tries a fourth key, or none
    limited = anon.get("/v1/jobs", headers={"X-API-Key": "mpr_guess_3"})
    bare = anon.get("/v1/jobs")
    # Then it is told to wait, and no further key it sends is checked this minute
    assert limited.status_code == bare.status_code == 429
    assert int(limited.headers["Retry-After"]) >= 1
    assert limited.headers["content-type"] == PROBLEM
    assert client.get("/v1/jobs").status_code == 429  # the same address (the test client's)


def test_an_upload_that_is_a_playlist_is_refused_by_the_header_check(client: TestClient) -> None:
    # Given a file that is an HLS playlist naming a local file, sent as an upload
    data = b"#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\nfile:///etc/passwd\n#EXT-X-ENDLIST\n"
    ticket = client.post("/v1/uploads", json={"filename": "a.mp4", "size": len(data)}).json()
    assert client.put(ticket["url"], content=data).status_code == 200
    # Then probing refuses it for what it is, as the CLI does
    view = wait_upload(client, ticket["upload_id"])
    assert view["status"] == "INVALID"
    assert "playlist or reference file" in view["error"]
