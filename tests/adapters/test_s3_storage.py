"""S3Storage at the SDK boundary (moto and canned failing endpoints): prefixes, batching,
client settings and how SDK errors become MPR's errors."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from pydantic import SecretStr

from mpr.adapters import s3_storage
from mpr.adapters.s3_storage import S3Storage
from mpr.core.errors import InvalidInputError, MprError, NotFoundError, RetryableError
from mpr.settings import Settings

BUCKET = "mpr-bucket"
MIB = 1024**2


@pytest.fixture
def storage(s3_client: Any) -> S3Storage:
    s3_client.create_bucket(Bucket=BUCKET)
    return S3Storage(s3_client, BUCKET, prefix="work/", multipart_threshold_bytes=5 * MIB)


def test_keys_live_under_the_prefix(storage: S3Storage, s3_client: Any) -> None:
    storage.put_bytes("j1/a.json", b"{}", "application/json")
    s3_client.put_object(Bucket=BUCKET, Key="other/b", Body=b"x")

    head = s3_client.head_object(Bucket=BUCKET, Key="work/j1/a.json")

    assert head["ContentType"] == "application/json"
    assert list(storage.list("")) == ["j1/a.json"]
    assert storage.delete_prefix("") == 1
    assert [o["Key"] for o in s3_client.list_objects_v2(Bucket=BUCKET)["Contents"]] == ["other/b"]


def test_deletes_go_in_batches(
    storage: S3Storage, s3_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(s3_storage, "DELETE_BATCH", 3)
    for i in range(7):
        storage.put_bytes(f"j1/chunk-{i}.mp4", b"x")
    storage.put_bytes("j2/keep", b"x")
    calls: list[int] = []
    s3_client.meta.events.register(
        "provide-client-params.s3.DeleteObjects",
        lambda params, **_: calls.append(len(params["Delete"]["Objects"])),
    )

    assert storage.delete_prefix("j1/") == 7
    assert calls == [3, 3, 1]
    assert list(storage.list("")) == ["j2/keep"]


@pytest.mark.parametrize(
    "read",
    [
        lambda s, tmp: s.get_bytes("missing"),
        lambda s, tmp: s.head("missing", 16),
        lambda s, tmp: s.download("missing", tmp / "out"),
        lambda s, tmp: s.size("missing"),
        lambda s, tmp: s.local_path("missing").__enter__(),
    ],
    ids=["get_bytes", "head", "download", "size", "local_path"],
)
def test_a_missing_object_is_not_found(
    storage: S3Storage, tmp_path: Path, read: Callable[[S3Storage, Path], object]
) -> None:
    with pytest.raises(NotFoundError):
        read(storage, tmp_path)
    assert not storage.exists("missing")
    assert list(tmp_path.iterdir()) == []


def test_a_missing_bucket_is_not_found(s3_client: Any) -> None:
    with pytest.raises(NotFoundError, match="NoSuchBucket"):
        S3Storage(s3_client, "no-such-bucket").put_bytes("a", b"x")


def test_head_reads_only_the_first_bytes(storage: S3Storage) -> None:
    storage.put_bytes("clip", bytes(range(256)))
    storage.put_bytes("empty", b"")

    assert storage.head("clip", 4) == b"\x00\x01\x02\x03"
    assert storage.head("clip", 1000) == bytes(range(256))
    assert storage.head("empty", 4) == b""


def test_completing_with_a_wrong_part_is_invalid_input(storage: S3Storage) -> None:
    upload_id = storage.create_multipart("big.mp4")

    with pytest.raises(InvalidInputError, match="InvalidPart"):
        storage.complete_multipart("big.mp4", upload_id, [(1, '"0123456789abcdef"')])


def test_from_settings_path_style_with_explicit_credentials() -> None:
    settings = Settings(
        s3_endpoint_url="http://127.0.0.1:9000",
        s3_force_path_style=True,
        s3_region="eu-west-3",
        s3_access_key_id="AKIDEXAMPLE",
        s3_secret_access_key=SecretStr("secret"),
        s3_presign_seconds=900,
    )

    url = urlsplit(S3Storage.from_settings(settings, BUCKET).read_url("in/a b.mp4"))

    query = parse_qs(url.query)
    assert (url.netloc, url.path) == ("127.0.0.1:9000", f"/{BUCKET}/in/a%20b.mp4")
    assert query["X-Amz-Credential"][0].startswith("AKIDEXAMPLE/")
    assert "/eu-west-3/s3/aws4_request" in query["X-Amz-Credential"][0]
    assert query["X-Amz-Expires"] == ["900"]


def test_from_settings_on_aws_uses_regional_virtual_hosts_and_the_default_chain(
    aws: None,
) -> None:
    settings = Settings(s3_region="eu-west-3")

    url = urlsplit(S3Storage.from_settings(settings, BUCKET).read_url("in/a.mp4"))

    assert (url.scheme, url.netloc, url.path) == (
        "https",
        f"{BUCKET}.s3.eu-west-3.amazonaws.com",
        "/in/a.mp4",
    )
    credential = parse_qs(url.query)["X-Amz-Credential"][0]
    assert credential.startswith(f"{os.environ['AWS_ACCESS_KEY_ID']}/")


def failing_storage(endpoint: str) -> S3Storage:
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(
            retries={"mode": "standard", "max_attempts": 1},
            s3={"addressing_style": "path"},
            connect_timeout=2,
        ),
    )
    return S3Storage(client, BUCKET)


def s3_error(code: str) -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>'
        f"<Error><Code>{code}</Code><Message>canned</Message></Error>"
    ).encode()


@pytest.mark.parametrize(
    ("status", "code", "expected"),
    [
        (503, "SlowDown", RetryableError),
        (500, "InternalError", RetryableError),
        (403, "AccessDenied", MprError),
    ],
)
@pytest.mark.parametrize(
    "call",
    [
        lambda s: s.get_bytes("a"),
        lambda s: s.size("a"),
        lambda s: list(s.list("")),
    ],
    ids=["get_bytes", "size", "list"],
)
def test_sdk_errors_become_mpr_errors(
    canned_endpoint: Callable[[int, bytes, str], str],
    status: int,
    code: str,
    expected: type[MprError],
    call: Callable[[S3Storage], object],
) -> None:
    storage = failing_storage(canned_endpoint(status, s3_error(code), "application/xml"))

    with pytest.raises(expected) as raised:
        call(storage)

    assert type(raised.value) is expected
    assert isinstance(raised.value.__cause__, ClientError)


def test_a_throttled_upload_is_retryable(
    canned_endpoint: Callable[[int, bytes, str], str], tmp_path: Path
) -> None:
    (tmp_path / "in.bin").write_bytes(b"data")
    storage = failing_storage(canned_endpoint(503, s3_error("SlowDown"), "application/xml"))

    with pytest.raises(RetryableError, match="SlowDown"):
        storage.put_file("a", tmp_path / "in.bin")


def test_an_unreachable_endpoint_is_retryable() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]

    with pytest.raises(RetryableError):
        failing_storage(f"http://127.0.0.1:{port}").get_bytes("a")
