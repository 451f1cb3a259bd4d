"""Caption files attached to jobs through the API: refused with 422 and the reason when
broken (no job made, nothing written), carried into the job's outputs when good. Uploaded
with `purpose: captions`, a caption file is checked as SRT/WebVTT, not probed as media."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pysubs2
import pytest
from fastapi.testclient import TestClient

from mpr.adapters.local_storage import LocalStorage
from mpr.services import Services

from .api_helpers import FAST_RENDITION, upload, wait_job

GOOD_SRT = b"1\n00:00:00,500 --> 00:00:01,500\nhello\n"


@pytest.fixture
def source(services: Services, bunny_clip: Path) -> dict[str, str]:
    services.inputs.put_file("clips/bunny.mp4", bunny_clip)
    return {"key": "clips/bunny.mp4"}


def assert_nothing_made(client: TestClient, services: Services, work: LocalStorage) -> None:
    """No job record, no output or work file."""
    assert client.get("/v1/jobs").json()["items"] == []
    assert list(services.outputs.list("")) == []
    assert list(work.list("")) == []


@pytest.mark.parametrize(
    ("content", "language", "reason"),
    [
        (b"just words, no cues\n", "en", "captions/x.srt line 1: not SRT or WebVTT"),
        (b"\xff\xfe\x00b\x00a\x00d", "en", "captions/x.srt: not UTF-8 text, so not SRT or WebVTT"),
        (
            b"1\n00:00:03,000 --> 00:00:02,000\nback\n",
            "en",
            "captions/x.srt line 2: cue ends at 00:00:02.000, before its start 00:00:03.000",
        ),
        (
            b"1\n00:00:00,500 --> 00:00:01,500\n" + b"x" * (8 * 1024 * 1024),
            "en",
            "caption file 'captions/x.srt' is 8388640 bytes; the limit is 8388608 bytes",
        ),
        (GOOD_SRT, "english", "'english' is not a BCP 47 language tag"),
        (GOOD_SRT, "en_US", "'en_US' is not a BCP 47 language tag"),
    ],
    ids=["not-captions", "not-text", "end-before-start", "too-big", "word-not-tag", "underscore"],
)
def test_a_broken_caption_file_is_refused_with_the_reason(
    client: TestClient,
    services: Services,
    work: LocalStorage,
    source: dict[str, str],
    content: bytes,
    language: str,
    reason: str,
) -> None:
    # Given a caption file in the input storage
    services.inputs.put_bytes("captions/x.srt", content)
    body: dict[str, Any] = {
        "source": source,
        "renditions": [FAST_RENDITION],
        "captions": [{"source": {"key": "captions/x.srt"}, "language": language}],
    }
    # When a job is asked for with it
    refused = client.post("/v1/jobs", json=body)
    # Then the request is refused with the reason, and no job exists, nor any file of one
    assert refused.status_code == 422, refused.text
    assert reason in refused.json()["detail"]
    assert_nothing_made(client, services, work)


def test_a_missing_caption_file_is_refused(client: TestClient, source: dict[str, str]) -> None:
    body = {
        "source": source,
        "renditions": [FAST_RENDITION],
        "captions": [{"source": {"key": "captions/none.srt"}, "language": "en"}],
    }
    refused = client.post("/v1/jobs", json=body)
    assert refused.status_code == 422
    assert refused.json()["detail"] == "caption file 'captions/none.srt' does not exist"


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"just words, no cues\n", "talk.srt line 1: not SRT or WebVTT"),
        (
            b"WEBVTT\n\n00:00.500 --> 00:01.500\nfine\n\n00:03.000 --> 00:02.000\nback\n",
            "talk.srt line 6: cue ends at 00:00:02.000, before its start 00:00:03.000",
        ),
        (b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00\xff", "talk.srt: not UTF-8 text"),
    ],
    ids=["not-captions", "end-before-start", "media"],
)
def test_a_broken_caption_upload_is_invalid_and_no_job_takes_it(
    client: TestClient,
    services: Services,
    work: LocalStorage,
    source: dict[str, str],
    tmp_path: Path,
    content: bytes,
    reason: str,
) -> None:
    # Given a broken caption file, uploaded as captions
    sent = tmp_path / "talk.srt"
    sent.write_bytes(content)
    view = upload(client, sent, purpose="captions")
    # Then its check refused it, naming the file and the line
    assert (view["status"], view["purpose"], view["media"]) == ("INVALID", "captions", None)
    assert view["error"].startswith(reason)
    # and a job that attaches it is refused with that reason, leaving nothing behind
    refused = client.post(
        "/v1/jobs",
        json={
            "source": source,
            "renditions": [FAST_RENDITION],
            "captions": [{"source": {"upload_id": view["upload_id"]}, "language": "en"}],
        },
    )
    assert refused.status_code == 422, refused.text
    assert reason in refused.json()["detail"]
    assert_nothing_made(client, services, work)


def test_a_caption_upload_is_neither_a_source_nor_a_job_starter(
    client: TestClient, services: Services, work: LocalStorage, tmp_path: Path
) -> None:
    srt = tmp_path / "talk.srt"
    srt.write_bytes(GOOD_SRT)
    view = upload(client, srt, purpose="captions")
    assert view["status"] == "READY"

    as_source = client.post(
        "/v1/jobs", json={"source": {"upload_id": view["upload_id"]}, "presets": ["mp4-720p"]}
    )
    starting = client.post(
        "/v1/uploads",
        json={"filename": "a.srt", "size": 9, "purpose": "captions", "start_job": {}},
    )

    assert as_source.status_code == 422, as_source.text
    assert "is a caption file" in as_source.json()["detail"]
    assert starting.status_code == 422, starting.text
    assert "start_job needs an upload of purpose 'source'" in starting.text
    assert_nothing_made(client, services, work)


@pytest.mark.slow
def test_an_uploaded_caption_file_becomes_a_job_output(
    client: TestClient, source: dict[str, str], tmp_path: Path
) -> None:
    # Given an SRT uploaded as captions: checked as text, READY, with no media previews
    srt = tmp_path / "talk.srt"
    srt.write_bytes(GOOD_SRT)
    sent = upload(client, srt, purpose="captions")
    assert (sent["status"], sent["purpose"], sent["error"]) == ("READY", "captions", None)
    assert (sent["media"], sent["poster_url"], sent["sprite_url"]) == (None, None, None)
    # When a job carries it
    created = client.post(
        "/v1/jobs",
        json={
            "source": source,
            "renditions": [FAST_RENDITION],
            "captions": [
                {"source": {"upload_id": sent["upload_id"]}, "language": "de", "label": "Deutsch"}
            ],
        },
    )
    assert created.status_code == 202, created.text
    job = wait_job(client, created.json()["id"])
    # Then the job view lists the sidecar, whose cue is the one sent
    assert job["status"] == "SUCCEEDED", job["error"]
    captions = [o for o in job["outputs"] if o["kind"] == "captions"]
    assert [(o["path"], o["language"], o["label"]) for o in captions] == [
        ("custom.de.vtt", "de", "Deutsch")
    ]
    vtt = client.get(captions[0]["url"])
    assert vtt.status_code == 200
    cues = pysubs2.SSAFile.from_string(vtt.text, format_="vtt")
    assert [(e.start, e.end, e.plaintext) for e in cues] == [(500, 1500, "hello")]
