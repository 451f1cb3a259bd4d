"""The `job.ended` webhook and the job view (REST and GraphQL) carry every output of the
manifest with URLs that work without an API key, against a real `mpr serve`.

Oracles: the manifest file as plain JSON, the HMAC-SHA256 scheme computed here with
`hmac` (the one `test_webhooks` fixes by a vector), ffprobe for the MP4's frames, the
`m3u8` package for the playlists and `pysubs2` for the captions.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import httpx
import m3u8
import pysubs2
import pytest

from mpr.settings import get_settings
from tests.support.serve import ServeProcess, upload, wait_ended, wait_for
from tests.support.webhooks import Receiver

from .api_helpers import FAST_RENDITION, probe_video

pytestmark = pytest.mark.slow

SECRET = "whsec-outputs-0123456789"
SRT = "1\n00:00:00,500 --> 00:00:01,500\nhello\n\n2\n00:00:02,000 --> 00:00:03,000\nagain\n"
TINY_HLS = {"name": "tiny-hls", "kind": "hls", "renditions": [FAST_RENDITION]}
BUNNY_FRAMES = 132  # bigbuckbunny.mp4, counted by ffprobe


@pytest.fixture
def served(tmp_path: Path) -> Iterator[ServeProcess]:
    server = ServeProcess(
        tmp_path / "data",
        env={
            "MPR_WEBHOOK_SECRET": SECRET,
            "MPR_ALLOW_PRIVATE_WEBHOOKS": "true",
            "MPR_S3_PRESIGN_SECONDS": "600",
            "MPR_WORKERS": "2",
        },
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def ended_job(served: ServeProcess, bunny_clip: Path) -> Iterator[tuple[str, Receiver]]:
    """A job that made an MP4, an HLS ladder, captions beside both, thumbnails and a
    sprite, with a webhook receiver that got its `job.ended` event."""
    (served.data_dir / "input" / "captions").mkdir(parents=True)
    (served.data_dir / "input" / "captions" / "talk.srt").write_text(SRT)
    with Receiver(SECRET.encode()) as receiver, served.client() as client:
        assert client.post("/v1/presets", json=TINY_HLS).status_code == 201
        source = upload(client, bunny_clip)
        created = client.post(
            "/v1/jobs",
            json={
                "source": {"upload_id": source},
                "presets": ["tiny-hls", "thumbnails"],
                "renditions": [FAST_RENDITION],
                "captions": [
                    {"source": {"key": "captions/talk.srt"}, "language": "fr", "default": True}
                ],
                "callback_url": receiver.url,
            },
        )
        assert created.status_code == 202, created.text
        job_id = created.json()["id"]
        assert wait_ended(client, job_id)["status"] == "SUCCEEDED"
        wait_for(lambda: receiver.requests, "the webhook")
        yield job_id, receiver


def manifest_entries(served: ServeProcess, job_id: str) -> set[tuple[Any, ...]]:
    """(preset, kind, rendition, path in the job folder) of every output, from the file."""
    manifest = json.loads((served.data_dir / "output" / job_id / "manifest.json").read_text())
    return {
        (o["preset"], o["kind"], o["rendition"], o["path"].removeprefix(f"{job_id}/"))
        for o in manifest["outputs"]
    }


def entries(outputs: list[dict[str, Any]]) -> set[tuple[Any, ...]]:
    return {(o["preset"], o["kind"], o["rendition"], o["path"]) for o in outputs}


def fetch(url: str) -> httpx.Response:
    """GET without an API key: the URL's own token must do."""
    response = httpx.get(url, follow_redirects=True, timeout=30)
    assert response.status_code == 200, (url, response.status_code, response.text[:200])
    return response


def check_outputs(outputs: list[dict[str, Any]], scratch: Path) -> None:
    """Every URL of every output answers 200, and what it answers is what the kind says."""
    kinds = {o["kind"] for o in outputs}
    assert {"mp4", "hls", "captions", "thumbnails", "sprite"} <= kinds
    for out in outputs:
        body = fetch(out["url"]).content
        for url in [*out["images"], *out["files"]]:
            fetch(url)
        if out["kind"] == "mp4":
            (scratch / "out.mp4").write_bytes(body)
            assert probe_video(get_settings().ffprobe, scratch / "out.mp4")[0] == BUNNY_FRAMES
        elif out["kind"] == "hls" and out["rendition"] is None:
            master = m3u8.loads(body.decode())
            media = [p.uri for p in master.playlists] + [m.uri for m in master.media if m.uri]
            assert len(media) >= 2  # the rung and the French captions
            for uri in media:
                playlist = m3u8.loads(fetch(urljoin(out["url"], uri)).text)
                for segment in playlist.segments:
                    fetch(urljoin(urljoin(out["url"], uri), segment.uri))
        elif out["kind"] == "captions":
            text = body.decode()
            if out["path"].endswith(".m3u8"):
                [segment] = m3u8.loads(text).segments
                text = fetch(urljoin(out["url"], segment.uri)).text
            assert len(pysubs2.SSAFile.from_string(text, format_="vtt")) == 2
            assert (out["language"], out["default"]) == ("fr", True)
        elif out["kind"] in ("thumbnails", "sprite"):
            assert out["images"]
            for url in out["images"]:
                assert fetch(url).content[:3] == b"\xff\xd8\xff"  # JPEG


def test_the_webhook_carries_every_output_with_urls_that_work(
    served: ServeProcess, ended_job: tuple[str, Receiver], tmp_path: Path
) -> None:
    job_id, receiver = ended_job
    [(status, event, _)] = receiver.requests
    [headers], [body] = receiver.headers, receiver.bodies
    sent_at = datetime.fromtimestamp(int(headers["X-MPR-Timestamp"]), UTC)

    # the signature is the documented HMAC-SHA256 of "<timestamp>.<body>"
    mac = hmac.new(SECRET.encode(), headers["X-MPR-Timestamp"].encode() + b"." + body, "sha256")
    assert headers["X-MPR-Signature"] == f"v1={mac.hexdigest()}"
    assert (status, event["schema_version"], event["status"]) == (204, 2, "SUCCEEDED")
    # every output of the manifest, each with URLs a receiver can GET with no key
    assert entries(event["outputs"]) == manifest_entries(served, job_id)
    check_outputs(event["outputs"], tmp_path)
    assert event["qc"] == {"passed": True}
    assert all(o["qc"]["checks"] for o in event["outputs"] if o["kind"] != "captions")
    # the URLs work for MPR_WEBHOOK_URL_SECONDS (7 days), not the job view's 600 s
    lifetime = datetime.fromisoformat(event["urls_expire_at"]) - sent_at
    assert timedelta(days=7) - timedelta(seconds=5) <= lifetime <= timedelta(days=7, seconds=5)
    # no media segment is listed: the body stays small
    listed = [u for o in event["outputs"] for u in [o["url"], *o["images"], *o["files"]]]
    assert not [u for u in listed if u.endswith(".m4s")]
    assert len(body) < 64 * 1024


def test_the_job_view_lists_the_same_outputs_in_rest_and_graphql(
    served: ServeProcess, ended_job: tuple[str, Receiver], tmp_path: Path
) -> None:
    job_id, receiver = ended_job
    [(_, event, _)] = receiver.requests
    with served.client() as client:
        view = client.get(f"/v1/jobs/{job_id}").json()
        query = (
            "query($id: String!) { job(id: $id) { qc { passed } urlsExpireAt outputs {"
            " preset kind rendition path url images files language default"
            " qc { passed checks { name passed expected actual } } } } }"
        )
        graph = client.post("/graphql", json={"query": query, "variables": {"id": job_id}})
    assert graph.status_code == 200, graph.text
    job = graph.json()["data"]["job"]

    assert entries(view["outputs"]) == manifest_entries(served, job_id)
    assert entries(job["outputs"]) == entries(view["outputs"])
    check_outputs(view["outputs"], tmp_path)
    check_outputs(job["outputs"], tmp_path)
    assert view["qc"] == job["qc"] == {"passed": True}
    # the same facts as the webhook, signed for a shorter time
    ignore = {"url", "images", "files"}
    assert [{k: v for k, v in o.items() if k not in ignore} for o in view["outputs"]] == [
        {k: v for k, v in o.items() if k not in ignore} for o in event["outputs"]
    ]
    lifetime = datetime.fromisoformat(view["urls_expire_at"]) - datetime.now(UTC)
    assert timedelta(seconds=500) < lifetime <= timedelta(seconds=600)
