"""Keys are isolated: every route and GraphQL field acts on the caller's own jobs and uploads.

A foreign id answers exactly as an unknown one (same status, same detail but for the id);
an admin key sees everyone's; a signed URL stops working when the key it was issued to is
revoked.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from mpr.adapters.api_keys import create_key
from mpr.api import create_app
from mpr.services import Services

UNKNOWN_JOB = "f" * 32
UNKNOWN_UPLOAD = "0" * 32
UNKNOWN_PENDING = "1" * 32


@dataclass
class Tenants:
    alice: TestClient
    bob: TestClient
    admin: TestClient
    alice_key_id: str
    job_id: str  # alice's
    upload_id: str  # alice's, received (UPLOADED or later)
    pending_upload_id: str  # alice's, multipart and not sent yet


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"s3_multipart_threshold_bytes": 5 * 1024 * 1024}


@pytest.fixture
def tenants(services: Services) -> Iterator[Tenants]:
    app = create_app(services)
    alice_record, alice = create_key(services.keys, "alice")
    _, bob = create_key(services.keys, "bob")
    _, admin = create_key(services.keys, "ops", admin=True)
    services.inputs.put_bytes("clips/a.bin", b"not media at all")
    with (
        TestClient(app, headers={"X-API-Key": alice}) as a,
        TestClient(app, headers={"X-API-Key": bob}) as b,
        TestClient(app, headers={"X-API-Key": admin}) as ops,
    ):
        job = a.post("/v1/jobs", json={"source": {"key": "clips/a.bin"}, "presets": ["thumbnails"]})
        assert job.status_code == 202, job.text
        ticket = a.post("/v1/uploads", json={"filename": "a.bin", "size": 16}).json()
        assert a.put(ticket["url"], content=b"not media at all").status_code == 200
        pending = a.post("/v1/uploads", json={"filename": "b.mp4", "size": 6 * 1024 * 1024})
        yield Tenants(
            alice=a,
            bob=b,
            admin=ops,
            alice_key_id=alice_record.key_id,
            job_id=job.json()["id"],
            upload_id=ticket["upload_id"],
            pending_upload_id=pending.json()["upload_id"],
        )


# (method, path with {job} or {upload}, JSON body): every route that names a job or upload
ROUTES = [
    ("GET", "/v1/jobs/{job}", None),
    ("DELETE", "/v1/jobs/{job}", None),
    ("POST", "/v1/jobs/{job}/retry", None),
    ("GET", "/v1/jobs/{job}/events", None),
    ("GET", "/v1/jobs/{job}/files/manifest.json", None),
    ("GET", "/v1/uploads/{upload}", None),
    ("GET", "/v1/uploads/{upload}/source", None),
    ("GET", "/v1/uploads/{upload}/preview/poster.jpg", None),
    ("PUT", "/v1/uploads/{pending}/content", None),
    ("PUT", "/v1/uploads/{pending}/parts/1", None),
    ("POST", "/v1/uploads/{pending}/complete", None),
    ("POST", "/v1/jobs", {"source": {"upload_id": "{upload}"}, "presets": ["thumbnails"]}),
    ("POST", "/v1/jobs", {"source": {"key": "uploads/{upload}/source"}, "presets": ["thumbnails"]}),
]


def _fill(template: Any, job: str, upload: str, pending: str) -> Any:
    if isinstance(template, dict):
        return {k: _fill(v, job, upload, pending) for k, v in template.items()}
    if isinstance(template, str):
        return (
            template.replace("{job}", job).replace("{upload}", upload).replace("{pending}", pending)
        )
    return template


def _call(client: TestClient, method: str, path: str, body: Any) -> tuple[int, str]:
    response = client.request(method, path, json=body)
    detail = response.json().get("detail", "") if response.status_code >= 400 else ""
    return response.status_code, detail


@pytest.mark.parametrize(("method", "path", "body"), ROUTES)
def test_a_foreign_id_is_as_unknown_as_a_missing_one(
    tenants: Tenants, method: str, path: str, body: Any
) -> None:
    t = tenants
    mine = (t.job_id, t.upload_id, t.pending_upload_id)
    unknown = (UNKNOWN_JOB, UNKNOWN_UPLOAD, UNKNOWN_PENDING)
    # When bob names alice's job or upload, and when he names ids that do not exist
    foreign = _call(t.bob, method, _fill(path, *mine), _fill(body, *mine) if body else None)
    missing = _call(t.bob, method, _fill(path, *unknown), _fill(body, *unknown) if body else None)
    # Then both answers are the same 404, but for the id they name
    assert foreign[0] == missing[0] == 404, (foreign, missing)
    for real, fake in zip(mine, unknown, strict=True):
        missing = (missing[0], missing[1].replace(fake, real))
    assert foreign == missing
    # while alice herself is not told that her own job or upload does not exist
    status, detail = _call(
        t.alice, method, _fill(path, *mine), _fill(body, *mine) if body else None
    )
    assert not (status == 404 and t.job_id in detail and "not found" in detail), detail
    assert not (status == 404 and f"no upload {t.upload_id}" in detail), detail


def test_listings_hold_the_callers_jobs_and_an_admin_sees_all(tenants: Tenants) -> None:
    t = tenants
    bobs = t.bob.post(
        "/v1/jobs", json={"source": {"key": "clips/a.bin"}, "presets": ["thumbnails"]}
    )
    assert bobs.status_code == 202

    def ids(client: TestClient) -> set[str]:
        return {j["id"] for j in client.get("/v1/jobs", params={"limit": 100}).json()["items"]}

    assert ids(t.alice) == {t.job_id}
    assert ids(t.bob) == {bobs.json()["id"]}
    assert ids(t.admin) == {t.job_id, bobs.json()["id"]}
    assert t.admin.get(f"/v1/jobs/{t.job_id}").status_code == 200
    assert t.admin.get(f"/v1/uploads/{t.upload_id}").status_code == 200


def gql(client: TestClient, query: str, **variables: Any) -> Any:
    response = client.post("/graphql", json={"query": query, "variables": variables})
    assert response.status_code == 200, response.text
    return response.json()


def test_graphql_fields_hold_the_callers_jobs(tenants: Tenants) -> None:
    t = tenants
    one = "query($id: String!) { job(id: $id) { id } }"
    assert gql(t.bob, one, id=t.job_id)["data"]["job"] is None
    assert gql(t.alice, one, id=t.job_id)["data"]["job"] == {"id": t.job_id}
    assert gql(t.admin, one, id=t.job_id)["data"]["job"] == {"id": t.job_id}
    assert gql(t.bob, "{ jobs(limit: 50) { id } }")["data"]["jobs"] == []
    assert gql(t.admin, "{ jobs(limit: 50) { id } }")["data"]["jobs"] == [{"id": t.job_id}]

    cancel = "mutation($id: String!) { cancelJob(id: $id) { status } }"
    foreign = gql(t.bob, cancel, id=t.job_id)["errors"][0]["message"]
    missing = gql(t.bob, cancel, id=UNKNOWN_JOB)["errors"][0]["message"]
    assert foreign == missing.replace(UNKNOWN_JOB, t.job_id)
    assert t.alice.get(f"/v1/jobs/{t.job_id}").json()["status"] != "CANCELLED"

    create = 'mutation($u: String) { createJob(presets: ["thumbnails"], uploadId: $u) { id } }'
    foreign = gql(t.bob, create, u=t.upload_id)["errors"][0]["message"]
    missing = gql(t.bob, create, u=UNKNOWN_UPLOAD)["errors"][0]["message"]
    assert foreign == missing.replace(UNKNOWN_UPLOAD, t.upload_id)


def test_signed_links_stop_working_when_their_key_is_revoked(
    tenants: Tenants, services: Services, anon: TestClient
) -> None:
    # Given a signed URL of alice's upload, which loads without a key
    t = tenants
    source_url = t.alice.get(f"/v1/uploads/{t.upload_id}").json()["source_url"]
    assert anon.get(source_url).content == b"not media at all"
    # When alice's key is revoked
    services.keys.revoke(t.alice_key_id)
    # Then the same URL is refused
    refused = anon.get(source_url)
    assert refused.status_code == 401
    assert refused.headers["content-type"] == "application/problem+json"
