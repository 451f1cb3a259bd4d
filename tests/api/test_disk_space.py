"""Uploads on a small, real file system: refused before they fill it, nothing left behind.

`mpr serve` runs with its data directory on a 16 MB tmpfs (or a loop-mounted ext4 image),
so every write goes through the real path down to ENOSPC.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.support.small_fs import fill, small_file_system

from .test_serve import mpr_serve

MB = 1024 * 1024
PROBLEM = "application/problem+json"


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    with small_file_system(tmp_path / "data", megabytes=16) as where:
        yield where


def leftovers(data_dir: Path) -> list[str]:
    """Files a failed upload could leave: spooled or half-stored copies of its bytes."""
    return sorted(
        str(p.relative_to(data_dir))
        for p in data_dir.rglob("*")
        if p.is_file() and (p.name.startswith(".") or p.name == "source")
    )


def announce(client: httpx.Client, size: int) -> httpx.Response:
    return client.post("/v1/uploads", json={"filename": "clip.mp4", "size": size})


def assert_507(response: httpx.Response) -> None:
    assert response.status_code == 507, response.text
    assert response.headers["content-type"] == PROBLEM
    assert (
        "not enough free storage" in response.json()["detail"]
        or "ran out of storage" in (response.json()["detail"])
    )


def test_an_upload_larger_than_the_room_above_the_reserve_is_refused(data_dir: Path) -> None:
    reserve = 4 * MB
    env = {"MPR_FREE_SPACE_RESERVE_BYTES": str(reserve)}
    with mpr_serve(["--data-dir", str(data_dir)], env=env) as client:
        free = shutil.disk_usage(data_dir).free
        # A declared size that fits on the disk but not above the reserve: 507 at once
        assert_507(announce(client, free - reserve + MB))
        # One that fits is accepted and stored
        ticket = announce(client, 6 * MB)
        assert ticket.status_code == 201, ticket.text
        sent = client.put(ticket.json()["url"], content=b"\1" * (6 * MB))
        assert sent.status_code == 200, sent.text
        # and the next one no longer fits above the reserve
        assert_507(announce(client, shutil.disk_usage(data_dir).free - reserve + MB))
        assert client.get("/v1/jobs").status_code == 200
        assert client.get("/healthz").json()["checks"]["storage"]["ok"] is True
    assert leftovers(data_dir) == [f"input/uploads/{ticket.json()['upload_id']}/source"]


def test_a_disk_that_fills_during_an_upload_loses_only_that_upload(data_dir: Path) -> None:
    env = {"MPR_FREE_SPACE_RESERVE_BYTES": "0"}
    with mpr_serve(["--data-dir", str(data_dir)], env=env) as client:
        ticket = announce(client, 6 * MB)
        assert ticket.status_code == 201, ticket.text
        url = ticket.json()["url"]

        fillers: list[Path] = []

        def body() -> Iterator[bytes]:
            yield b"\1" * MB
            yield b"\1" * MB
            fillers.append(fill(data_dir))  # something else takes the rest of the disk
            for _ in range(4):
                yield b"\1" * MB

        # When the disk fills while the upload streams in: a clear 507
        assert_507(client.put(url, content=body()))
        # and nothing of it is left
        assert leftovers(data_dir) == []
        # While the disk stays full, /healthz says that storage fails
        fillers.append(fill(data_dir))
        health = client.get("/healthz")
        assert health.status_code == 503
        assert health.json()["status"] == "failing"
        assert health.json()["checks"]["storage"]["ok"] is False
        # Once space is freed, the API works and the same upload goes through
        for filler in fillers:
            filler.unlink()
        assert client.get("/healthz").json()["status"] == "ok"
        assert client.get("/v1/jobs").status_code == 200
        assert client.get(f"/v1/uploads/{ticket.json()['upload_id']}").json()["status"] == (
            "PENDING"
        )
        again = client.put(url, content=b"\1" * (6 * MB))
        assert again.status_code == 200, again.text


def test_healthz_reports_a_failing_database(client: TestClient, anon: TestClient) -> None:
    data = client.app.state.services.settings.data_dir  # type: ignore[attr-defined]
    assert anon.get("/healthz").json()["status"] == "ok"
    for name in ("jobs.db-wal", "jobs.db-shm"):
        (data / name).unlink(missing_ok=True)
    (data / "jobs.db").write_bytes(b"this is not a database " * 100)

    health = anon.get("/healthz")

    assert health.status_code == 503
    assert health.json()["status"] == "failing"
    assert health.json()["checks"]["database"]["ok"] is False
