"""Idempotent creation, listing, custom presets, and resumable multipart uploads."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from mpr.adapters.api_keys import create_key
from mpr.services import Services

from .api_helpers import FAST_RENDITION, wait_upload

PART = 5 * 1024 * 1024


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"s3_multipart_threshold_bytes": PART}


@pytest.fixture
def source(services: Services, bunny_clip: Path) -> dict[str, str]:
    services.inputs.put_file("clips/bunny.mp4", bunny_clip)
    return {"key": "clips/bunny.mp4"}


def test_duplicate_idempotency_key_returns_the_first_job(
    client: TestClient, services: Services, source: dict[str, str]
) -> None:
    body = {"source": source, "renditions": [FAST_RENDITION]}
    first = client.post("/v1/jobs", json=body, headers={"Idempotency-Key": "order-1"})
    again = client.post("/v1/jobs", json=body, headers={"Idempotency-Key": "order-1"})
    other = client.post("/v1/jobs", json=body, headers={"Idempotency-Key": "order-2"})
    _, second_key = create_key(services.keys, "another client")
    theirs = client.post(
        "/v1/jobs", json=body, headers={"Idempotency-Key": "order-1", "X-API-Key": second_key}
    )

    assert first.status_code == again.status_code == 202
    assert again.json()["id"] == first.json()["id"]
    assert other.json()["id"] != first.json()["id"]
    assert theirs.json()["id"] != first.json()["id"]
    listed = client.get("/v1/jobs", params={"limit": 100}).json()
    assert sorted(j["id"] for j in listed["items"]) == sorted(
        {first.json()["id"], other.json()["id"]}
    )
    listed_by_them = client.get(
        "/v1/jobs", params={"limit": 100}, headers={"X-API-Key": second_key}
    ).json()
    assert [j["id"] for j in listed_by_them["items"]] == [theirs.json()["id"]]


def test_an_idempotency_key_reused_with_another_request_is_refused(
    client: TestClient, source: dict[str, str]
) -> None:
    # Given a job made with an Idempotency-Key
    body = {"source": source, "renditions": [FAST_RENDITION]}
    first = client.post("/v1/jobs", json=body, headers={"Idempotency-Key": "order-7"})
    assert first.status_code == 202
    # When the same key comes with a different body
    changed = {**body, "metadata": {"order": "8"}}
    reused = client.post("/v1/jobs", json=changed, headers={"Idempotency-Key": "order-7"})
    # Then it is refused with 422, and no second job exists
    assert reused.status_code == 422, reused.text
    assert reused.headers["content-type"] == "application/problem+json"
    assert "different request" in reused.json()["detail"]
    assert [j["id"] for j in client.get("/v1/jobs").json()["items"]] == [first.json()["id"]]


def test_list_pages_and_filters(client: TestClient, source: dict[str, str]) -> None:
    ids = [
        client.post("/v1/jobs", json={"source": source, "renditions": [FAST_RENDITION]}).json()[
            "id"
        ]
        for _ in range(3)
    ]
    page = client.get("/v1/jobs", params={"limit": 2}).json()
    rest = client.get("/v1/jobs", params={"limit": 2, "cursor": page["next_cursor"]}).json()

    assert [j["id"] for j in page["items"] + rest["items"]] == ids[::-1]
    assert rest["next_cursor"] is None
    assert client.get("/v1/jobs", params={"status": "SUCCEEDED", "limit": 100}).status_code == 200
    assert client.get("/v1/jobs", params={"status": "DONE"}).status_code == 422


def test_custom_presets(client: TestClient, source: dict[str, str]) -> None:
    builtin = {p["name"] for p in client.get("/v1/presets").json()}
    assert {"mp4-720p", "hls-ladder", "thumbnails"} <= builtin
    assert client.get("/v1/presets/hls-ladder").json()["kind"] == "hls"
    assert client.get("/v1/presets/nope").status_code == 404
    preset = {"name": "tiny", "kind": "mp4", "renditions": [FAST_RENDITION]}

    bad = client.post("/v1/presets", json={**preset, "renditions": [FAST_RENDITION] * 2})
    created = client.post("/v1/presets", json=preset)
    taken = client.post("/v1/presets", json=preset)
    shadow = client.post("/v1/presets", json={**preset, "name": "mp4-720p"})

    assert bad.status_code == 422
    assert "exactly one rendition" in bad.json()["detail"]
    assert created.status_code == 201
    assert taken.status_code == 409
    assert shadow.status_code == 409
    assert client.get("/v1/presets/tiny").json()["renditions"][0]["height"] == 180
    job = client.post("/v1/jobs", json={"source": source, "presets": ["tiny"]})
    assert job.status_code == 202
    assert job.json()["presets"] == ["tiny"]


@pytest.mark.parametrize(
    ("preset", "reason"),
    [
        ({"name": "c", "kind": "cmaf"}, "a cmaf preset needs at least one rendition"),
        (
            {"name": "c", "kind": "cmaf", "renditions": [FAST_RENDITION] * 2},
            "rendition names must be unique within a preset",
        ),
        (
            {"name": "c", "kind": "cmaf", "renditions": [FAST_RENDITION], "segment_seconds": 60},
            "segment_seconds",
        ),
    ],
    ids=["no-renditions", "same-names", "long-segments"],
)
def test_bad_cmaf_preset_is_refused_with_the_reason(
    client: TestClient, preset: dict[str, Any], reason: str
) -> None:
    refused = client.post("/v1/presets", json=preset)
    assert refused.status_code == 422
    assert reason in str(refused.json()["detail"])
    # and nothing is stored
    assert client.get("/v1/presets/c").status_code == 404


def test_cmaf_presets(client: TestClient) -> None:
    assert client.get("/v1/presets/cmaf-ladder").json()["kind"] == "cmaf"
    created = client.post(
        "/v1/presets", json={"name": "c", "kind": "cmaf", "renditions": [FAST_RENDITION]}
    )
    assert created.status_code == 201
    assert client.get("/v1/presets/c").json()["kind"] == "cmaf"


def test_multipart_upload_resumes_and_reports_non_media(client: TestClient) -> None:
    size = 2 * PART + 123
    data = bytes(range(256)) * (size // 256) + b"x" * (size % 256)
    ticket = client.post(
        "/v1/uploads", json={"filename": "notes.mp4", "size": size, "content_type": "video/mp4"}
    ).json()
    multipart = ticket["multipart"]
    assert multipart["part_size"] == PART
    assert [p["part_number"] for p in multipart["parts"]] == [1, 2, 3]
    upload_id = ticket["upload_id"]

    first, _, last = multipart["parts"]
    assert client.put(first["url"], content=data[:PART]).status_code == 200
    assert client.put(last["url"], content=data[2 * PART :]).status_code == 200
    early = client.post(multipart["complete_url"])
    assert early.status_code == 422
    assert "parts not received yet: 2" in early.json()["detail"]
    assert client.get(f"/v1/uploads/{upload_id}").json()["parts_received"] == [1, 3]
    short = client.put(multipart["parts"][1]["url"], content=data[PART : 2 * PART - 1])
    assert short.status_code == 422

    assert (
        client.put(multipart["parts"][1]["url"], content=data[PART : 2 * PART]).status_code == 200
    )
    done = client.post(multipart["complete_url"])

    assert done.status_code == 200, done.text
    view = wait_upload(client, upload_id)
    assert view["status"] == "INVALID"
    assert "not a readable media file" in view["error"]
    assert client.get(f"/v1/uploads/{upload_id}/source").content == data


@pytest.mark.slow
def test_upload_with_start_job(client: TestClient, bunny_clip: Path) -> None:
    ticket = client.post(
        "/v1/uploads",
        json={
            "filename": "bunny.mp4",
            "size": bunny_clip.stat().st_size,
            "content_type": "video/mp4",
            "start_job": {"renditions": [FAST_RENDITION], "metadata": {"from": "upload"}},
        },
    ).json()
    assert client.put(ticket["url"], content=bunny_clip.read_bytes()).status_code == 200
    view = wait_upload(client, ticket["upload_id"], done=lambda v: v["job_id"] is not None)
    assert view["status"] == "READY"
    job = client.get(f"/v1/jobs/{view['job_id']}").json()
    assert job["metadata"] == {"from": "upload"}
