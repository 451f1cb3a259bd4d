"""Stored files as the API serves them: content types players need, and which files are
answered directly rather than redirected (those whose relative URLs must resolve against
the API's signed folder URL)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import boto3
import pytest
from fastapi.responses import FileResponse, RedirectResponse
from moto import mock_aws

from mpr.adapters.local_storage import LocalStorage
from mpr.adapters.s3_storage import S3Storage
from mpr.api import files

MPD = b'<?xml version="1.0"?><MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static"/>'
BUCKET = "outputs"


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[S3Storage]:
    for name in ("AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        monkeypatch.delenv(name, raising=False)
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        yield S3Storage(client, BUCKET)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("cmaf/manifest.mpd", "application/dash+xml"),
        ("cmaf/MANIFEST.MPD", "application/dash+xml"),
        ("cmaf/master.m3u8", "application/vnd.apple.mpegurl"),
        ("cmaf/720p/seg_00001.m4s", "video/iso.segment"),
        ("cmaf/720p/init.mp4", "video/mp4"),
        ("cmaf/_captions/en/captions.vtt", "text/vtt; charset=utf-8"),
    ],
)
def test_streaming_files_have_the_types_players_expect(name: str, expected: str) -> None:
    assert files.media_type(name) == expected


def test_a_local_mpd_is_served_as_dash(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path)
    storage.put_bytes("job/cmaf/manifest.mpd", MPD)

    response = files.serve(storage, "job/cmaf/manifest.mpd")

    assert isinstance(response, FileResponse)
    assert response.media_type == "application/dash+xml"
    assert Path(response.path).read_bytes() == MPD


def test_a_remote_mpd_is_answered_directly_and_its_segments_redirect(s3: S3Storage) -> None:
    s3.put_bytes("job/cmaf/manifest.mpd", MPD)
    s3.put_bytes("job/cmaf/720p/seg_00001.m4s", b"\x00\x00\x00\x08styp")

    manifest = files.serve(s3, "job/cmaf/manifest.mpd")
    segment = files.serve(s3, "job/cmaf/720p/seg_00001.m4s")

    # the manifest's relative SegmentTemplate must resolve against the API's signed URL
    assert not isinstance(manifest, RedirectResponse)
    assert manifest.body == MPD
    assert manifest.headers["content-type"] == "application/dash+xml"
    assert isinstance(segment, RedirectResponse)
    assert segment.status_code == 307
    assert urlsplit(segment.headers["location"]).path.endswith("/job/cmaf/720p/seg_00001.m4s")
