"""A real Redis for integration tests: Debian's `redis-server` on a free loopback port, no
persistence, its directory thrown away. Started once per test session."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis

from tests.support.seaweed import HOST, free_ports

START_TIMEOUT = 30.0


@dataclass(frozen=True)
class RedisServer:
    port: int
    pid: int

    def url(self, db: int = 0) -> str:
        return f"redis://{HOST}:{self.port}/{db}"


def redis_binary() -> str:
    found = shutil.which("redis-server")
    if found is None:
        pytest.fail("redis-server is not installed: scripts/test.sh installs Debian's package")
    return found


def start_redis(root: Path) -> tuple[RedisServer, subprocess.Popen[bytes]]:
    """Start `redis-server` with files under `root`; return once it answers PING."""
    [port] = free_ports(1)
    log = root / "redis.log"
    command = [
        redis_binary(),
        "--bind", HOST,
        "--port", str(port),
        "--dir", str(root),
        "--save", "",
        "--appendonly", "no",
        "--logfile", str(log),
        "--daemonize", "no",
    ]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    server = RedisServer(port=port, pid=process.pid)
    client = redis.Redis.from_url(server.url())
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        if process.poll() is not None:
            pytest.fail(f"redis-server exited with {process.returncode}:\n{log.read_text()}")
        try:
            client.ping()
            return server, process
        except redis.ConnectionError:
            if time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"redis-server did not answer:\n{log.read_text()}")
            time.sleep(0.05)


def stop_redis(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A running, empty Redis on 127.0.0.1."""
    server, process = start_redis(tmp_path_factory.mktemp("redis"))
    try:
        yield server
    finally:
        stop_redis(process)


@pytest.fixture
def redis_url(redis_server: RedisServer) -> Iterator[str]:
    """A Redis URL whose database is empty at the start of the test and flushed after it."""
    url = redis_server.url(1)
    client = redis.Redis.from_url(url)
    client.flushdb()
    yield url
    client.flushdb()
    client.close()
