"""S3Storage against a real S3 server (SeaweedFS on loopback): large multipart uploads,
ffmpeg reading ranges through presigned URLs, browser uploads, listing and deletes."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import urllib.request
import uuid
from pathlib import Path

import pytest
from pydantic import SecretStr

from mpr.adapters.s3_storage import S3Storage
from mpr.core.errors import MprError, NotFoundError, RetryableError
from mpr.settings import Settings, get_settings
from tests.support.seaweed import S3Server

MIB = 1024**2
WHITELIST = ["-protocol_whitelist", "http,https,tcp,tls"]


def settings_for(server: S3Server, secret: str | None = None) -> Settings:
    return Settings(
        s3_endpoint_url=server.endpoint_url,
        s3_force_path_style=True,
        s3_region=server.region,
        s3_access_key_id=server.access_key_id,
        s3_secret_access_key=SecretStr(secret or server.secret_access_key),
        s3_multipart_threshold_bytes=5 * MIB,
        s3_presign_seconds=300,
    )


@pytest.fixture
def storage(seaweed_s3: S3Server) -> S3Storage:
    """A storage under a fresh prefix of the shared bucket."""
    prefix = f"t-{uuid.uuid4().hex[:12]}/"
    return S3Storage.from_settings(settings_for(seaweed_s3), seaweed_s3.bucket, prefix)


def http(
    method: str, url: str, data: bytes | None = None, **headers: str
) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status, dict(response.headers), response.read()


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def listening_addresses(pid: int) -> set[str]:
    """Local addresses of the TCP sockets a process listens on, from /proc (hex, as there)."""
    inodes = {
        link.readlink().name[len("socket:[") : -1]
        for link in Path(f"/proc/{pid}/fd").iterdir()
        if link.readlink().name.startswith("socket:[")
    }
    addresses = set()
    for table in ("tcp", "tcp6"):
        for line in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and fields[9] in inodes:  # 0A: LISTEN
                addresses.add(fields[1].split(":")[0])
    return addresses


def test_the_server_listens_on_loopback_only(seaweed_s3: S3Server) -> None:
    assert listening_addresses(seaweed_s3.pid) == {"0100007F"}  # 127.0.0.1


def test_objects_round_trip_list_and_delete(storage: S3Storage) -> None:
    for key in ("j1/b.ts", "j1/a.json", "j1/sub/c", "j2/d"):
        storage.put_bytes(key, key.encode(), "application/octet-stream")

    assert storage.get_bytes("j1/sub/c") == b"j1/sub/c"
    assert (storage.size("j1/a.json"), storage.exists("j1/a.json")) == (9, True)
    assert storage.head("j1/a.json", 4) == b"j1/a"
    assert list(storage.list("j1/")) == ["j1/a.json", "j1/b.ts", "j1/sub/c"]
    assert storage.delete_prefix("j1/") == 3
    assert list(storage.list("")) == ["j2/d"]
    assert not storage.exists("j1/a.json")


def test_missing_objects_are_not_found(storage: S3Storage, tmp_path: Path) -> None:
    with pytest.raises(NotFoundError):
        storage.get_bytes("missing.mp4")
    with pytest.raises(NotFoundError):
        storage.download("missing.mp4", tmp_path / "out.mp4")
    with pytest.raises(NotFoundError):
        storage.size("missing.mp4")
    assert not storage.exists("missing.mp4")
    assert storage.delete_prefix("missing/") == 0


@pytest.mark.slow
def test_a_large_file_goes_up_in_parts_and_streams_back(storage: S3Storage, tmp_path: Path) -> None:
    source = tmp_path / "big.bin"
    source.write_bytes(os.urandom(21 * MIB))

    storage.put_file("big.bin", source, "application/octet-stream")
    storage.download("big.bin", tmp_path / "copy.bin")
    with storage.local_path("big.bin") as local:
        local_digest, kept = sha256(local), local

    etag = storage.client.head_object(Bucket=storage.bucket, Key=storage.prefix + "big.bin")["ETag"]
    assert etag.strip('"').endswith("-5")  # 4 parts of 5 MiB and one of 1 MiB
    assert storage.size("big.bin") == 21 * MIB
    assert sha256(tmp_path / "copy.bin") == sha256(source) == local_digest
    assert kept.name == "big.bin"
    assert not kept.exists()


@pytest.mark.slow
def test_copy_to_another_bucket_is_server_side_in_parts(
    storage: S3Storage, seaweed_s3: S3Server, tmp_path: Path
) -> None:
    # Given an object above the multipart threshold and a store under another prefix
    source = tmp_path / "stitched.mp4"
    source.write_bytes(os.urandom(11 * MIB))
    storage.put_file("work/stitched.mp4", source)
    outputs = S3Storage.from_settings(
        settings_for(seaweed_s3), seaweed_s3.bucket, f"o-{uuid.uuid4().hex[:12]}/"
    )
    # When it is copied into that store with the output's content type
    storage.copy_to("work/stitched.mp4", outputs, "job/small.mp4", "video/mp4")
    # Then the copy is the same bytes, made of copied parts, with the new content type
    head = outputs.client.head_object(Bucket=outputs.bucket, Key=outputs.prefix + "job/small.mp4")
    assert head["ContentType"] == "video/mp4"
    assert head["ETag"].strip('"').endswith("-3")  # 5 + 5 + 1 MiB, copied part by part
    outputs.download("job/small.mp4", tmp_path / "copy.mp4")
    assert sha256(tmp_path / "copy.mp4") == sha256(source)
    # and a missing object is not found
    with pytest.raises(NotFoundError):
        storage.copy_to("work/missing.mp4", outputs, "job/missing.mp4")


@pytest.mark.slow
def test_ffmpeg_reads_ranges_through_the_presigned_url(
    storage: S3Storage, bunny_clip: Path
) -> None:
    clip = bunny_clip
    storage.put_file("in/bbb.mp4", clip, "video/mp4")
    url = storage.read_url("in/bbb.mp4")
    settings = get_settings()

    status, headers, body = http("GET", url, Range="bytes=100-199")
    probe = subprocess.run(
        [settings.ffprobe, "-v", "error", *WHITELIST, "-count_frames", "-select_streams", "v:0",
         "-show_entries", "stream=nb_read_frames,width,height", "-of", "json", url],
        capture_output=True, text=True, check=True, timeout=120,
    )  # fmt: skip
    frame = subprocess.run(
        [settings.ffmpeg, "-v", "error", *WHITELIST, "-ss", "4", "-i", url,
         "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "gray", "-"],
        capture_output=True, check=True, timeout=120,
    )  # fmt: skip

    assert (status, headers["Content-Range"]) == (206, f"bytes 100-199/{clip.stat().st_size}")
    assert body == clip.read_bytes()[100:200]
    stream = json.loads(probe.stdout)["streams"][0]
    assert (stream["width"], stream["height"], stream["nb_read_frames"]) == (1280, 720, "132")
    assert len(frame.stdout) == 1280 * 720  # one decoded frame, 4 s in


def test_a_browser_puts_a_small_file_with_a_presigned_url(storage: S3Storage) -> None:
    url = storage.presigned_put("in/small.mp4", "video/mp4")

    status, _, _ = http("PUT", url, b"not really a video", **{"Content-Type": "video/mp4"})

    assert status == 200
    assert storage.get_bytes("in/small.mp4") == b"not really a video"
    head = storage.client.head_object(Bucket=storage.bucket, Key=storage.prefix + "in/small.mp4")
    assert head["ContentType"] == "video/mp4"


@pytest.mark.slow
def test_a_browser_uploads_parts_with_presigned_urls(storage: S3Storage) -> None:
    parts_data = [os.urandom(5 * MIB), os.urandom(1024)]
    upload_id = storage.create_multipart("in/big.mp4", "video/mp4")

    parts = []
    for number, data in reversed(list(enumerate(parts_data, start=1))):
        status, headers, _ = http(
            "PUT", storage.presigned_part("in/big.mp4", upload_id, number), data
        )
        assert status == 200
        parts.append((number, headers["ETag"]))
    storage.complete_multipart("in/big.mp4", upload_id, parts)

    assert storage.get_bytes("in/big.mp4") == b"".join(parts_data)


def test_an_aborted_upload_cannot_be_completed(storage: S3Storage) -> None:
    upload_id = storage.create_multipart("in/gone.mp4")
    status, headers, _ = http("PUT", storage.presigned_part("in/gone.mp4", upload_id, 1), b"x")
    assert status == 200

    storage.abort_multipart("in/gone.mp4", upload_id)

    with pytest.raises(NotFoundError, match="NoSuchUpload"):
        storage.complete_multipart("in/gone.mp4", upload_id, [(1, headers["ETag"])])
    assert not storage.exists("in/gone.mp4")


def test_wrong_credentials_are_refused_and_not_retried(seaweed_s3: S3Server) -> None:
    storage = S3Storage.from_settings(
        settings_for(seaweed_s3, secret="wrong-secret"), seaweed_s3.bucket
    )

    with pytest.raises(MprError, match="SignatureDoesNotMatch") as raised:
        storage.put_bytes("a", b"x")
    assert not isinstance(raised.value, RetryableError)
