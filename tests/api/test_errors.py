"""Every refusal is a documented 4xx with an RFC 9457 problem body that says what is wrong."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from mpr.adapters.api_keys import create_key
from mpr.services import Services

PROBLEM = "application/problem+json"


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"max_request_bytes": 4096, "rate_limit_per_minute": 30}


def assert_problem(response: Any, status: int, *words: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert set(body) == {"type", "title", "status", "detail"}
    assert body["status"] == status
    for word in words:
        assert word in body["detail"]


def test_health_needs_no_key(anon: TestClient) -> None:
    assert anon.get("/healthz").json()["status"] == "ok"


def test_missing_key(anon: TestClient) -> None:
    response = anon.get("/v1/jobs")
    assert_problem(response, 401, "X-API-Key")
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_invalid_and_revoked_keys(anon: TestClient, services: Services) -> None:
    assert_problem(anon.get("/v1/jobs", headers={"X-API-Key": "mpr_nope_nope"}), 401, "invalid")
    record, key = create_key(services.keys, "soon revoked")
    assert anon.get("/v1/jobs", headers={"Authorization": f"Bearer {key}"}).status_code == 200
    services.keys.revoke(record.key_id)
    assert_problem(anon.get("/v1/jobs", headers={"X-API-Key": key}), 401, "revoked")


def test_bad_json(client: TestClient) -> None:
    response = client.post(
        "/v1/jobs", content=b'{"source": ', headers={"Content-Type": "application/json"}
    )
    assert_problem(response, 422, "JSON")


def test_unknown_preset_is_named(client: TestClient, services: Services) -> None:
    services.inputs.put_bytes("clips/a.mp4", b"x")
    response = client.post(
        "/v1/jobs", json={"source": {"key": "clips/a.mp4"}, "presets": ["mp4-720p", "mp4-8k"]}
    )
    assert_problem(response, 422, "unknown preset 'mp4-8k'")


def test_invalid_fields_are_explained(client: TestClient) -> None:
    response = client.post(
        "/v1/jobs", json={"source": {"upload_id": "x"}, "presets": ["hls-ladder"], "oops": 1}
    )
    assert_problem(response, 422, "oops")
    assert_problem(
        client.post("/v1/jobs", json={"source": {"upload_id": "ab"}, "presets": ["thumbnails"]}),
        404,
        "no upload ab",
    )
    assert_problem(
        client.post("/v1/jobs", json={"source": {"key": "missing.mp4"}, "presets": ["thumbnails"]}),
        422,
        "no object 'missing.mp4'",
    )


def test_oversized_body(client: TestClient) -> None:
    response = client.post(
        "/v1/jobs",
        json={"source": {"key": "a"}, "presets": ["mp4-720p"], "metadata": {"x": "y" * 8000}},
    )
    assert_problem(response, 413, "too large", "4096 bytes")

    def unsized() -> Iterator[bytes]:  # sent chunked, with no Content-Length
        yield b'{"metadata": "'
        yield b"y" * 8000
        yield b'"}'

    streamed = client.post(
        "/v1/jobs", content=unsized(), headers={"Content-Type": "application/json"}
    )
    assert_problem(streamed, 413, "4096 bytes")


def test_unknown_job_and_conflicts(client: TestClient) -> None:
    assert_problem(client.get("/v1/jobs/does-not-exist"), 404, "does-not-exist")
    assert_problem(client.delete("/v1/jobs/does-not-exist"), 404)


def test_rate_limit(client: TestClient) -> None:
    statuses = [client.get("/v1/presets").status_code for _ in range(31)]
    assert statuses[:30] == [200] * 30
    assert statuses[30] == 429
    limited = client.get("/v1/presets")
    assert_problem(limited, 429, "30 requests per minute")
    assert 1 <= int(limited.headers["retry-after"]) <= 60


def test_private_callback_urls_are_refused(client: TestClient, services: Services) -> None:
    services.inputs.put_bytes("clips/a.mp4", b"x")
    for url in ("http://127.0.0.1:9/hook", "http://169.254.169.254/latest", "ftp://example.com/"):
        response = client.post(
            "/v1/jobs",
            json={"source": {"key": "clips/a.mp4"}, "presets": ["thumbnails"], "callback_url": url},
        )
        assert_problem(response, 422, "callback_url")


def test_upload_size_mismatch_keeps_it_pending(client: TestClient) -> None:
    ticket = client.post("/v1/uploads", json={"filename": "a.mp4", "size": 10}).json()
    assert_problem(client.put(ticket["url"], content=b"12345"), 422, "received 5 bytes")
    assert_problem(client.put(ticket["url"], content=b"0123456789X"), 422, "declared 10")
    assert client.get(f"/v1/uploads/{ticket['upload_id']}").json()["status"] == "PENDING"
    assert_problem(
        client.post(
            "/v1/jobs",
            json={"source": {"upload_id": ticket["upload_id"]}, "presets": ["thumbnails"]},
        ),
        422,
        "has not been received yet",
    )


def test_ui_without_a_build(
    anon: TestClient, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    monkeypatch.setattr("mpr.api.app.STATIC_DIR", tmp_path / "absent")
    assert_problem(anon.get("/ui"), 404, "npm run build")
    built = tmp_path / "static"
    (built / "assets").mkdir(parents=True)
    (built / "index.html").write_text("<html>mpr</html>")
    (built / "assets" / "app.js").write_text("console.log(1)")
    monkeypatch.setattr("mpr.api.app.STATIC_DIR", built)
    assert anon.get("/ui").text == "<html>mpr</html>"
    assert anon.get("/ui/assets/app.js").text == "console.log(1)"
    assert anon.get("/ui/jobs/123").text == "<html>mpr</html>"
    (tmp_path / "outside.txt").write_text("not for the web")
    assert "not for the web" not in anon.get("/ui/%2E%2E/outside.txt").text
