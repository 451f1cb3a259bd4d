"""Fixtures of the adapter tests: moto's AWS at the SDK boundary, a real SeaweedFS S3 server,
real PostgreSQL (with a streaming replica) and Redis servers."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.dynamodb.models import DynamoDBBackend

from tests.support.postgres_server import postgres_replica, postgres_server, postgres_url
from tests.support.redis_server import redis_server, redis_url
from tests.support.seaweed import seaweed_s3

__all__ = [
    "postgres_replica",
    "postgres_server",
    "postgres_url",
    "redis_server",
    "redis_url",
    "seaweed_s3",
]

REGION = "us-east-1"


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """moto's in-process AWS (it sets fake credentials), with no profile of this machine."""
    for name in ("AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        yield


@pytest.fixture
def s3_client(aws: None) -> Any:
    return boto3.client("s3", region_name=REGION)


@pytest.fixture
def dynamodb_client(aws: None, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A DynamoDB client on moto, whose writes are made atomic as DynamoDB's are.

    moto checks a condition and applies a write in several Python steps, so two threads can
    both pass the same condition; DynamoDB applies each write (condition included) atomically.
    One lock around moto's write operations restores that guarantee for the concurrency tests.
    """
    lock = threading.RLock()
    for name in ("put_item", "update_item", "delete_item", "transact_write_items"):
        write = getattr(DynamoDBBackend, name)
        monkeypatch.setattr(DynamoDBBackend, name, atomic(write, lock))
    return boto3.client("dynamodb", region_name=REGION)


def atomic(write: Callable[..., Any], lock: threading.RLock) -> Callable[..., Any]:
    @functools.wraps(write)
    def locked(*args: Any, **kwargs: Any) -> Any:
        with lock:
            return write(*args, **kwargs)

    return locked


@pytest.fixture
def canned_endpoint() -> Iterator[Callable[[int, bytes, str], str]]:
    """Start loopback HTTP servers that answer every request with one canned response, the
    way a throttling or failing AWS endpoint does; returns their URLs."""
    servers: list[ThreadingHTTPServer] = []

    def start(status: int, body: bytes, content_type: str) -> str:
        class Handler(BaseHTTPRequestHandler):
            def answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def do_GET(self) -> None:
                self.answer()

            def do_HEAD(self) -> None:
                self.answer()

            def do_PUT(self) -> None:
                self.answer()

            def do_POST(self) -> None:
                self.answer()

            def do_DELETE(self) -> None:
                self.answer()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()
