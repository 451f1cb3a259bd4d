"""Uploads across API servers: the record lives in PostgreSQL, so an upload started on one
server is sent, probed and seen through the other."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from tests.scale.conftest import CLIP_FPS, CLIP_SECONDS, Cluster


def wait_settled(client: httpx.Client, upload_id: str, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        upload: dict[str, Any] = client.get(f"/v1/uploads/{upload_id}").json()
        if upload["status"] not in {"PENDING", "UPLOADED"}:
            return upload
        assert time.monotonic() < deadline, f"upload {upload_id} still {upload['status']}"
        time.sleep(0.2)


def without_urls(view: dict[str, Any]) -> dict[str, Any]:
    """An upload's view less its URLs (which name the server that answered)."""
    return {name: value for name, value in view.items() if not name.endswith("_url")}


@pytest.mark.slow
def test_an_upload_made_through_one_server_is_seen_by_the_other(
    cluster: Cluster, tiny_clip: Path
) -> None:
    key = cluster.create_key()
    a, b = (cluster.serve(name).client(key) for name in ("api-a", "api-b"))
    data = tiny_clip.read_bytes()

    # Given an upload started on server A and its file sent to server B
    ticket = a.post("/v1/uploads", json={"filename": "tiny.mp4", "size": len(data)}).json()
    upload_id = ticket["upload_id"]
    sent = b.put(f"/v1/uploads/{upload_id}/content", content=data)
    assert sent.status_code == 200, sent.text

    # Then both servers see it probed, with the clip's frames
    ready = wait_settled(a, upload_id)
    assert ready["status"] == "READY", ready["error"]
    assert ready["media"]["video"]["frame_count"] == CLIP_SECONDS * CLIP_FPS
    seen_by_b = b.get(f"/v1/uploads/{upload_id}").json()
    assert without_urls(seen_by_b) == without_urls(ready)
    poster = b.get(seen_by_b["poster_url"])
    assert (poster.status_code, poster.content[:3]) == (200, b"\xff\xd8\xff")  # a JPEG
    # and its record is a row of the shared database, not a file of the shared directory
    with psycopg.connect(cluster.env["MPR_DATABASE_URL"]) as db:
        row = db.execute("SELECT status FROM uploads WHERE upload_id = %s", [upload_id]).fetchone()
    assert row == ("READY",)
    assert not list(cluster.data_dir.glob(f"state/uploads/{upload_id}/upload.json"))
