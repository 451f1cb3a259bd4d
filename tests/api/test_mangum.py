"""The same requests through the Lambda handler (API Gateway HTTP API v2 events) and ASGI."""

from __future__ import annotations

import json
from typing import Any, cast

import pytest
from fastapi.testclient import TestClient
from mangum.types import LambdaContext

from mpr.api import health
from mpr.handlers.api import make_handler
from mpr.services import Services

from .api_helpers import FakeLambdaContext, http_api_event, rest_api_event

CASES = [
    ("GET", "/healthz", "", None),
    ("GET", "/v1/presets", "", None),
    ("GET", "/v1/presets/hls-ladder", "", None),
    ("GET", "/v1/jobs", "limit=5&status=FAILED", None),
    ("GET", "/v1/jobs/missing", "", None),
    ("POST", "/v1/jobs", "", {"source": {"key": "a.mp4"}, "presets": ["nope"]}),
    ("POST", "/v1/jobs", "", {"source": {"key": "a.mp4"}}),
]


@pytest.fixture(autouse=True)
def fixed_free_space(monkeypatch: pytest.MonkeyPatch) -> None:
    """`/healthz` states the bytes free on the data directory's file system, which other
    work changes between the two requests each test compares: both see the same disk."""
    monkeypatch.setattr(health, "free_above_reserve", lambda folder, reserve: 5 * 2**30)


@pytest.mark.parametrize(("method", "path", "query", "payload"), CASES)
def test_handler_answers_like_the_app(
    services: Services,
    client: TestClient,
    api_key: str,
    method: str,
    path: str,
    query: str,
    payload: dict[str, Any] | None,
) -> None:
    body = json.dumps(payload).encode() if payload is not None else b""
    headers = {"x-api-key": api_key}
    if payload is not None:
        headers["content-type"] = "application/json"
    handler = make_handler(services)

    result = handler(
        http_api_event(method, path, headers=headers, query=query, body=body),
        cast(LambdaContext, FakeLambdaContext()),
    )
    direct = client.request(
        method, f"{path}?{query}" if query else path, content=body, headers=headers
    )

    assert result["statusCode"] == direct.status_code
    assert result["headers"]["content-type"] == direct.headers["content-type"]
    assert result["isBase64Encoded"] is False
    assert json.loads(result["body"]) == direct.json()


@pytest.mark.parametrize(("method", "path", "query", "payload"), CASES)
def test_rest_api_events_too(
    services: Services,
    client: TestClient,
    api_key: str,
    method: str,
    path: str,
    query: str,
    payload: dict[str, Any] | None,
) -> None:
    body = json.dumps(payload).encode() if payload is not None else b""
    headers = {"x-api-key": api_key, "host": "abc123.execute-api.us-east-1.amazonaws.com"}
    if payload is not None:
        headers["content-type"] = "application/json"
    params = dict(pair.split("=") for pair in query.split("&")) if query else None
    event = rest_api_event(method, path, headers=headers, query=params, body=body)

    result = make_handler(services)(event, cast(LambdaContext, FakeLambdaContext()))
    direct = client.request(method, path, params=params, content=body, headers=headers)

    assert result["statusCode"] == direct.status_code
    assert result["isBase64Encoded"] is False
    assert json.loads(result["body"]) == direct.json()


def test_handler_needs_a_key(services: Services) -> None:
    result = make_handler(services)(
        http_api_event("GET", "/v1/jobs", headers={}), cast(LambdaContext, FakeLambdaContext())
    )
    assert result["statusCode"] == 401
    assert result["headers"]["content-type"] == "application/problem+json"
