"""The whole path over HTTP: upload the real clip, transcode, follow progress, download."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urljoin

import pytest
from fastapi.testclient import TestClient
from mpegdash.parser import MPEGDASHParser

from mpr.adapters.local_storage import LocalStorage
from mpr.services import Services

from .api_helpers import FAST_RENDITION, playlist_uris, probe_video, sse_events, upload, wait_job

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


@pytest.mark.slow
def test_every_thumbnail_and_sprite_sheet_has_a_url(
    client: TestClient, anon: TestClient, bunny_clip: Path
) -> None:
    # Given a preset with a thumbnail every second and a sprite tile every half second,
    # one tile a row (a sheet holds 10 rows)
    preset = {
        "name": "dense-thumbs",
        "kind": "thumbnails",
        "thumbnails": {
            "interval_seconds": 1,
            "width": 160,
            "sprite_interval_seconds": 0.5,
            "sprite_tile_width": 64,
            "sprite_columns": 1,
        },
    }
    assert client.post("/v1/presets", json=preset).status_code == 201
    ready = upload(client, bunny_clip)
    created = client.post(
        "/v1/jobs", json={"source": {"upload_id": ready["upload_id"]}, "presets": ["dense-thumbs"]}
    )
    assert created.status_code == 202, created.text

    # When the job ends
    job = wait_job(client, created.json()["id"])
    assert job["status"] == "SUCCEEDED", job["error"]

    # Then the 5.28 s clip has 6 thumbnails (0-5 s), and a URL for every sheet the VTT uses
    outputs = {o["kind"]: o for o in job["outputs"]}
    assert len(outputs["thumbnails"]["images"]) == 6
    assert outputs["thumbnails"]["images"][0] == outputs["thumbnails"]["url"]
    vtt_url = outputs["sprite"]["url"]
    vtt = anon.get(vtt_url).text
    cues = [line.split("#", 1)[0] for line in vtt.splitlines() if "#xywh=" in line]
    assert len(cues) == 11  # a tile every 0.5 s of 5.28 s
    sheets = sorted({urljoin(vtt_url, sheet) for sheet in cues})
    assert len(sheets) == 2
    assert sorted(outputs["sprite"]["images"]) == sheets
    # And each URL serves its JPEG without a key
    for url in [*outputs["thumbnails"]["images"], *outputs["sprite"]["images"]]:
        image = anon.get(url)
        assert image.status_code == 200, url
        assert image.headers["content-type"] == "image/jpeg"
        assert image.content.startswith(b"\xff\xd8")
    # And video outputs list no images
    assert all(o["images"] == [] for o in job["outputs"] if o["kind"] in ("mp4", "hls"))


@pytest.mark.slow
def test_cmaf_outputs_play_through_signed_urls(
    client: TestClient, anon: TestClient, bunny_clip: Path
) -> None:
    # Given a job of a custom two-rung CMAF ladder
    second = {**FAST_RENDITION, "name": "144p", "height": 144, "max_bitrate_kbps": 200}
    preset = {"name": "cmaf-small", "kind": "cmaf", "renditions": [FAST_RENDITION, second]}
    assert client.post("/v1/presets", json=preset).status_code == 201
    ready = upload(client, bunny_clip)
    created = client.post(
        "/v1/jobs", json={"source": {"upload_id": ready["upload_id"]}, "presets": ["cmaf-small"]}
    )
    assert created.status_code == 202, created.text

    # When it ends
    job = wait_job(client, created.json()["id"])
    assert job["status"] == "SUCCEEDED", job["error"]

    # Then the job view's CMAF output is the DASH manifest, served as such without a key
    (top,) = [o for o in job["outputs"] if o["kind"] == "cmaf" and o["rendition"] is None]
    assert top["url"].endswith("/cmaf-small/manifest.mpd")
    mpd = anon.get(top["url"])
    assert mpd.status_code == 200
    assert mpd.headers["content-type"] == "application/dash+xml"
    # and every init and media segment it lists (read by mpegdash) resolves against its URL
    parsed = MPEGDASHParser.parse(mpd.text)
    lists = [
        r.segment_lists[0]
        for a in parsed.periods[0].adaptation_sets
        for r in a.representations
        if r.segment_lists
    ]
    assert len(lists) == 3  # two rungs and the audio
    for segment_list in lists:
        uris = [segment_list.initializations[0].source_url]
        uris += [u.media for u in segment_list.segment_urls]
        for uri in uris:
            part = anon.get(urljoin(top["url"], uri))
            assert part.status_code == 200, uri
            assert part.content
    # and the master playlist beside it is there too
    master = anon.get(urljoin(top["url"], "master.m3u8"))
    assert master.headers["content-type"] == "application/vnd.apple.mpegurl"
    assert len(playlist_uris(master.text)) == 2
