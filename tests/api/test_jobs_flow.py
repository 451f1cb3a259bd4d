"""The whole path over HTTP: upload the real clip, transcode, follow progress, download."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urljoin

import pytest
from fastapi.testclient import TestClient

from mpr.adapters.local_storage import LocalStorage
from mpr.services import Services

from .api_helpers import FAST_RENDITION, playlist_uris, probe_video, sse_events, upload

BUNNY_FRAMES = 132
BUNNY_SECONDS = 5.28
ONE_FRAME = 1 / 25


@pytest.mark.slow
def test_upload_is_probed_and_previewed(
    client: TestClient, anon: TestClient, bunny_clip: Path
) -> None:
    view = upload(client, bunny_clip)

    assert view["status"] == "READY", view["error"]
    assert view["media"]["video"]["frame_count"] == BUNNY_FRAMES
    assert view["parts_received"] == [1]
    poster = anon.get(view["poster_url"])
    assert poster.status_code == 200
    assert poster.headers["content-type"] == "image/jpeg"
    assert poster.content.startswith(b"\xff\xd8")
    vtt = anon.get(view["sprite_vtt_url"])
    assert vtt.text.startswith("WEBVTT")
    sheets = {line.split("#", 1)[0] for line in vtt.text.splitlines() if "#xywh=" in line}
    assert sheets
    for sheet in sheets:
        image = anon.get(urljoin(view["sprite_vtt_url"], sheet))
        assert image.status_code == 200
        assert image.content.startswith(b"\xff\xd8")
    upload_id = view["upload_id"]
    assert client.get(f"/v1/uploads/{upload_id}/preview/poster.jpg").content == poster.content
    assert anon.get(f"/v1/uploads/{upload_id}/preview/poster.jpg").status_code == 401
    assert client.get(f"/v1/uploads/{upload_id}/preview/secret.key").status_code == 404
    ranged = anon.get(view["source_url"], headers={"Range": "bytes=100-199"})
    assert ranged.status_code == 206
    assert ranged.content == bunny_clip.read_bytes()[100:200]
    forged = (
        view["poster_url"].replace("/signed/", "/signed/1").rsplit("-", 1)[0] + "-00/poster.jpg"
    )
    assert anon.get(forged).status_code == 401


@pytest.mark.slow
def test_job_runs_to_completion_and_outputs_download(
    client: TestClient,
    anon: TestClient,
    services: Services,
    work: LocalStorage,
    bunny_clip: Path,
    tmp_path: Path,
) -> None:
    ready = upload(client, bunny_clip)
    second = {**FAST_RENDITION, "name": "240p", "height": 240, "max_bitrate_kbps": 500}
    created = client.post(
        "/v1/jobs",
        json={
            "source": {"upload_id": ready["upload_id"]},
            "presets": ["mp4-720p"],
            "renditions": [FAST_RENDITION, second],
            "metadata": {"title": "Big Buck Bunny"},
        },
    )
    assert created.status_code == 202, created.text
    job_id = created.json()["id"]

    with client.stream("GET", f"/v1/jobs/{job_id}/events") as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        events = list(sse_events(stream))

    assert {name for name, _ in events} == {"progress"}
    progress = [data["progress"] for _, data in events]
    assert progress == sorted(progress)
    final = events[-1][1]
    assert final["status"] == "SUCCEEDED", final["error"]
    assert final["progress"] == 100
    assert final["metadata"] == {"title": "Big Buck Bunny"}
    assert final["qc"] == {"passed": True}
    assert set(final["timings"]) >= {"probe", "plan", "encode", "stitch", "package"}
    assert not list(work.list(f"work/{job_id}/"))

    outputs = final["outputs"]
    mp4 = next(o for o in outputs if o["kind"] == "mp4")
    hls = next(o for o in outputs if o["kind"] == "hls" and o["rendition"] is None)
    local = tmp_path / "out.mp4"
    local.write_bytes(anon.get(mp4["url"]).content)
    with_key = client.get(f"/v1/jobs/{job_id}/files/{mp4['path']}")
    assert with_key.headers["content-type"] == "video/mp4"
    assert with_key.content == local.read_bytes()
    frames, duration = probe_video(services.settings.ffprobe, local)
    assert frames == BUNNY_FRAMES
    assert abs(duration - BUNNY_SECONDS) <= ONE_FRAME
    assert (mp4["width"], mp4["height"]) == (1280, 720)

    master_url = hls["url"]
    assert master_url.endswith("/custom/master.m3u8")
    master = anon.get(master_url)
    assert master.headers["content-type"] == "application/vnd.apple.mpegurl"
    variants = playlist_uris(master.text)
    assert len(variants) == 2
    for variant in variants:
        variant_url = urljoin(master_url, variant)
        playlist = anon.get(variant_url)
        assert playlist.status_code == 200
        joined = tmp_path / "variant.mp4"
        with joined.open("wb") as out:
            for uri in playlist_uris(playlist.text):
                part = anon.get(urljoin(variant_url, uri))
                assert part.status_code == 200, uri
                out.write(part.content)
        frames, duration = probe_video(services.settings.ffprobe, joined)
        assert frames == BUNNY_FRAMES
        assert abs(duration - BUNNY_SECONDS) <= ONE_FRAME


def test_outputs_need_a_key_or_a_valid_token(client: TestClient, anon: TestClient) -> None:
    assert anon.get("/v1/jobs/nope/files/x.mp4").status_code == 401
    assert anon.get("/v1/jobs/nope/signed/123-abc/x.mp4").status_code == 401
    assert client.get("/v1/jobs/nope/files/x.mp4").status_code == 404
