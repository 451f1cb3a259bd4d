"""`mpr serve` as a real process on loopback: embedded, and with S3 storage on SeaweedFS."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from mpr.settings import get_settings
from tests.support.seaweed import S3Server, free_ports, seaweed_s3
from tests.support.serving import wait_until_listening

from .api_helpers import FAST_RENDITION, probe_video, wait_job, wait_upload

__all__ = ["seaweed_s3"]
MPR = Path(sys.executable).parent / "mpr"


@contextmanager
def mpr_serve(args: list[str], env: dict[str, str] | None = None) -> Iterator[httpx.Client]:
    """Run `mpr serve ARGS` on a free loopback port; yield a client with its first key."""
    [port] = free_ports(1)
    process = subprocess.Popen(
        [str(MPR), "serve", "--port", str(port), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, **(env or {})},
    )
    try:
        output = wait_until_listening(process, timeout=30)
        keys = [line.strip() for line in output if line.startswith("mpr_")]
        assert keys, f"mpr serve printed no key:\n{''.join(output)}"
        key = keys[0]
        base = f"http://127.0.0.1:{port}"
        assert httpx.get(f"{base}/healthz").status_code == 200
        with httpx.Client(base_url=base, headers={"X-API-Key": key}, timeout=30) as client:
            yield client
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def transcode_through(client: httpx.Client, bunny_clip: Path, tmp_path: Path) -> None:
    """Upload with the returned ticket, run a job, download and check its MP4."""
    ticket = client.post(
        "/v1/uploads",
        json={
            "filename": "bunny.mp4",
            "size": bunny_clip.stat().st_size,
            "content_type": "video/mp4",
        },
    ).json()
    # a presigned S3 PUT comes with its headers; a PUT to the API needs the key
    headers = ticket["headers"] or {"X-API-Key": client.headers["X-API-Key"]}
    assert (
        httpx.put(ticket["url"], content=bunny_clip.read_bytes(), headers=headers).status_code
        == 200
    )
    upload = wait_upload(client, ticket["upload_id"])
    assert upload["status"] == "READY", upload["error"]
    poster = httpx.get(upload["poster_url"], follow_redirects=True)
    assert poster.content.startswith(b"\xff\xd8")

    created = client.post(
        "/v1/jobs",
        json={"source": {"upload_id": upload["upload_id"]}, "renditions": [FAST_RENDITION]},
    )
    assert created.status_code == 202, created.text
    job = wait_job(client, created.json()["id"])
    assert job["status"] == "SUCCEEDED", job["error"]
    [mp4] = job["outputs"]
    local = tmp_path / "served.mp4"
    local.write_bytes(httpx.get(mp4["url"], follow_redirects=True).content)
    frames, _ = probe_video(get_settings().ffprobe, local)
    assert frames == 132


@pytest.mark.slow
def test_serve_embedded(tmp_path: Path, bunny_clip: Path) -> None:
    with mpr_serve(["--data-dir", str(tmp_path / "data"), "--workers", "2"]) as client:
        transcode_through(client, bunny_clip, tmp_path)
    assert (tmp_path / "data" / "jobs.db").exists()


@pytest.mark.slow
def test_serve_with_s3_storage(tmp_path: Path, bunny_clip: Path, seaweed_s3: S3Server) -> None:
    env = {
        "MPR_S3_ACCESS_KEY_ID": seaweed_s3.access_key_id,
        "MPR_S3_SECRET_ACCESS_KEY": seaweed_s3.secret_access_key,
    }
    args = [
        "--data-dir",
        str(tmp_path / "data"),
        "--storage",
        f"s3://{seaweed_s3.bucket}/serve",
        "--s3-endpoint",
        seaweed_s3.endpoint_url,
    ]
    with mpr_serve(args, env) as client:
        transcode_through(client, bunny_clip, tmp_path)

    listed = seaweed_s3.client().list_objects_v2(Bucket=seaweed_s3.bucket, Prefix="serve/")
    keys = [item["Key"] for item in listed.get("Contents", [])]
    assert any(k.startswith("serve/input/uploads/") and k.endswith("/source") for k in keys)
    assert any(k.startswith("serve/output/") and k.endswith("manifest.json") for k in keys)
    assert not [k for k in keys if k.startswith("serve/work/")]
