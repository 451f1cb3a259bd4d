"""Racing requests on one upload, with its record in either store (state storage or
PostgreSQL): one `complete` wins, the others are told the upload was completed."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi.testclient import TestClient

from mpr.services import Services
from tests.support.postgres_server import postgres_server, postgres_url

__all__ = ["postgres_server", "postgres_url"]

PART = 5 * 1024**2  # the smallest multipart threshold there is


@pytest.fixture(params=["storage", "postgres"])
def settings_overrides(request: pytest.FixtureRequest) -> dict[str, Any]:
    overrides: dict[str, Any] = {"s3_multipart_threshold_bytes": PART}
    if request.param == "postgres":
        overrides["database_url"] = request.getfixturevalue("postgres_url")
    return overrides


def test_only_one_of_racing_completes_wins(client: TestClient, services: Services) -> None:
    # Given a multipart upload whose three parts have all arrived
    data = bytes(range(256)) * (2 * PART // 256) + b"tail"
    ticket = client.post("/v1/uploads", json={"filename": "a.mp4", "size": len(data)}).json()
    upload_id = ticket["upload_id"]
    assert [p["part_number"] for p in ticket["multipart"]["parts"]] == [1, 2, 3]
    for number in (1, 2, 3):
        chunk = data[(number - 1) * PART : number * PART]
        assert client.put(f"/v1/uploads/{upload_id}/parts/{number}", content=chunk).is_success

    # When four requests complete it at once
    with ThreadPoolExecutor(4) as pool:
        answers = list(
            pool.map(lambda _: client.post(f"/v1/uploads/{upload_id}/complete", json={}), range(4))
        )

    # Then one joined the parts and the others were refused as too late
    assert sorted(a.status_code for a in answers) == [200, 409, 409, 409], [a.text for a in answers]
    assert all("already" in a.json()["detail"] for a in answers if a.status_code == 409)
    assert services.inputs.get_bytes(f"uploads/{upload_id}/source") == data
    assert list(services.state.list(f"uploads/{upload_id}/parts/")) == []
    assert services.uploads.get(upload_id).status.value != "PENDING"
