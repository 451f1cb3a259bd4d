"""GraphQL: the same jobs and presets, the same key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from mpr.services import Services


def gql(client: TestClient, query: str, **variables: Any) -> Any:
    response = client.post("/graphql", json={"query": query, "variables": variables})
    assert response.status_code == 200, response.text
    return response.json()


def test_graphql_needs_a_key(anon: TestClient) -> None:
    response = anon.post("/graphql", json={"query": "{ presets { name } }"})
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"


def test_presets_jobs_create_and_cancel(
    client: TestClient, services: Services, bunny_clip: Path
) -> None:
    services.inputs.put_file("clips/bunny.mp4", bunny_clip)
    names = {p["name"] for p in gql(client, "{ presets { name kind } }")["data"]["presets"]}
    assert "hls-ladder" in names

    created = gql(
        client,
        "mutation($p: [String!]!, $k: String) {"
        " createJob(presets: $p, key: $k) { id status presets } }",
        p=["hls-ladder"],
        k="clips/bunny.mp4",
    )["data"]["createJob"]
    assert created["presets"] == ["hls-ladder"]
    assert created["status"] in ("QUEUED", "RUNNING")

    found = gql(client, "query($id: String!) { job(id: $id) { id stage } }", id=created["id"])
    assert found["data"]["job"]["id"] == created["id"]
    assert gql(client, '{ job(id: "nope") { id } }')["data"]["job"] is None
    listed = gql(client, "{ jobs(limit: 5) { id } }")["data"]["jobs"]
    assert [j["id"] for j in listed] == [created["id"]]

    cancelled = gql(
        client, "mutation($id: String!) { cancelJob(id: $id) { status } }", id=created["id"]
    )
    assert cancelled["data"]["cancelJob"]["status"] == "CANCELLED"
    again = gql(
        client, "mutation($id: String!) { cancelJob(id: $id) { status } }", id=created["id"]
    )
    assert "only a queued or running job can be cancelled" in again["errors"][0]["message"]


def test_unknown_preset_is_an_error(client: TestClient) -> None:
    result = gql(client, 'mutation { createJob(presets: ["nope"], key: "a.mp4") { id } }')
    assert "unknown preset 'nope'" in result["errors"][0]["message"]
