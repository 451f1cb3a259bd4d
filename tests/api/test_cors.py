"""Cross-origin calls from the web UI when it is served elsewhere (MPR_CORS_ORIGINS)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

UI = "https://d111111abcdef8.cloudfront.net"
FOREIGN = "https://evil.example"


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"cors_origins": [UI]}


def preflight(client: TestClient, origin: str) -> Any:
    return client.options(
        "/v1/jobs",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type,x-api-key",
        },
    )


def test_the_ui_origin_may_call_with_its_key(client: TestClient) -> None:
    # When the UI's page asks whether it may POST JSON with its key
    answer = preflight(client, UI)
    # Then it may
    assert answer.status_code == 200
    assert answer.headers["access-control-allow-origin"] == UI
    allowed = {h.strip().lower() for h in answer.headers["access-control-allow-headers"].split(",")}
    assert {"content-type", "x-api-key"} <= allowed
    assert "POST" in answer.headers["access-control-allow-methods"]

    # When it makes a simple request, then it may read the answer and the headers it needs
    listed = client.get("/v1/jobs", headers={"Origin": UI})
    assert listed.status_code == 200
    assert listed.headers["access-control-allow-origin"] == UI
    exposed = {h.strip() for h in listed.headers["access-control-expose-headers"].split(",")}
    assert "Retry-After" in exposed


def test_refusals_carry_the_cors_headers(anon: TestClient) -> None:
    # A request without a key is refused, and the UI can read why
    refused = anon.get("/v1/jobs", headers={"Origin": UI})
    assert refused.status_code == 401
    assert refused.headers["access-control-allow-origin"] == UI


def test_a_foreign_origin_gets_no_cors_headers(client: TestClient) -> None:
    answer = preflight(client, FOREIGN)
    assert answer.status_code == 400
    assert "access-control-allow-origin" not in answer.headers
    listed = client.get("/v1/jobs", headers={"Origin": FOREIGN})
    assert listed.status_code == 200  # the browser, not the server, withholds the body
    assert "access-control-allow-origin" not in listed.headers


@pytest.mark.parametrize("settings_overrides", [{}])
def test_without_cors_origins_the_api_is_same_origin_only(client: TestClient) -> None:
    assert "access-control-allow-origin" not in preflight(client, UI).headers
    listed = client.get("/v1/jobs", headers={"Origin": UI})
    assert listed.status_code == 200
    assert "access-control-allow-origin" not in listed.headers
