"""The self-hosted engine as real processes: `mpr serve` API servers and `mpr worker`
workers against one Redis, one PostgreSQL and one shared data directory, all on loopback."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from mpr.settings import get_settings
from tests.support.postgres_server import PostgresServer, postgres_server
from tests.support.processes import MPR, MprProcess
from tests.support.redis_server import redis_server, redis_url
from tests.support.seaweed import free_ports

__all__ = ["postgres_server", "redis_server", "redis_url"]

CLIP_SECONDS = 3
CLIP_FPS = 25
TINY_RENDITION = {"name": "120p", "height": 120, "max_bitrate_kbps": 200, "x264_preset": "fast"}
# a chunk can be redelivered soon after its worker died; no chunk here takes a second
VISIBILITY_TIMEOUT_SECONDS = 8


@pytest.fixture(scope="session")
def tiny_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """3 s of 320x240 video at 25 fps with a keyframe every second, and a tone."""
    path = tmp_path_factory.mktemp("clips") / "tiny.mp4"
    subprocess.run(
        [get_settings().ffmpeg, "-v", "error",
         "-f", "lavfi", "-i", f"testsrc2=size=320x240:rate={CLIP_FPS}:duration={CLIP_SECONDS}",
         "-f", "lavfi", "-i", f"sine=frequency=440:duration={CLIP_SECONDS}",
         "-c:v", "libx264", "-g", str(CLIP_FPS), "-keyint_min", str(CLIP_FPS),
         "-sc_threshold", "0", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(path)],
        check=True,
    )  # fmt: skip
    return path


@dataclass
class ApiServer:
    process: MprProcess
    url: str

    def client(self, key: str) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers={"X-API-Key": key}, timeout=30)


@dataclass
class Cluster:
    """Starts API servers and workers sharing one queue, one database and one directory."""

    root: Path
    env: dict[str, str]
    processes: list[MprProcess] = field(default_factory=list)

    @property
    def scratch(self) -> Path:
        return Path(self.env["TMPDIR"])

    @property
    def data_dir(self) -> Path:
        return Path(self.env["MPR_DATA_DIR"])

    def create_key(self) -> str:
        done = subprocess.run(
            [str(MPR), "keys", "create", "tests"],
            env={**os.environ, **self.env},
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout.strip().splitlines()[-1]

    def serve(self, name: str) -> ApiServer:
        [port] = free_ports(1)
        process = self._start(name, ["serve", "--port", str(port)])
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{url}/healthz").raise_for_status()
                return ApiServer(process, url)
            except httpx.HTTPError as exc:
                if time.monotonic() > deadline or process.process.poll() is not None:
                    log = "".join(process.lines())
                    raise AssertionError(f"{name} did not start:\n{log}") from exc
                time.sleep(0.1)

    def worker(self, name: str, concurrency: int = 1) -> MprProcess:
        process = self._start(name, ["worker", "--concurrency", str(concurrency)])
        process.wait_for(r"mpr-\d+@\S+ ready\.", timeout=60)
        return process

    def _start(self, name: str, args: list[str]) -> MprProcess:
        process = MprProcess(name, args, self.env, self.root / f"{name}.log")
        self.processes.append(process)
        return process

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.stop()


@pytest.fixture
def cluster(tmp_path: Path, postgres_server: PostgresServer, redis_url: str) -> Iterator[Cluster]:
    from tests.support.postgres_server import create_database

    scratch = tmp_path / "scratch"
    scratch.mkdir()
    env = {
        "TMPDIR": str(scratch),  # where the stages keep their scratch files
        "MPR_DATA_DIR": str(tmp_path / "shared"),
        "MPR_DATABASE_URL": postgres_server.url(create_database(postgres_server)),
        "MPR_QUEUE_URL": redis_url,
        "MPR_QUEUE_VISIBILITY_TIMEOUT_SECONDS": str(VISIBILITY_TIMEOUT_SECONDS),
        "MPR_WEBHOOK_SECRET": secrets.token_hex(16),
        "MPR_CALLBACK_SECRET": secrets.token_hex(16),
        "MPR_CHUNK_SECONDS": "1",
        "MPR_MIN_CHUNK_SECONDS": "1",
        "MPR_WORKERS": "3",
        "MPR_RATE_LIMIT_PER_MINUTE": "100000",
    }
    built = Cluster(root=tmp_path, env=env)
    try:
        yield built
    finally:
        built.stop()


def place_source(cluster: Cluster, clip: Path, key: str) -> None:
    """Put a source file in the shared input storage (a directory every process reads)."""
    target = cluster.data_dir / "input" / key
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(clip.read_bytes())


def wait_ended(client: httpx.Client, job_id: str, timeout: float = 240) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        job: dict[str, Any] = client.get(f"/v1/jobs/{job_id}").json()
        if job["status"] in {"SUCCEEDED", "FAILED", "CANCELLED"}:
            return job
        assert time.monotonic() < deadline, f"job {job_id} still {job['status']}"
        time.sleep(0.2)


def chunk_starts(process: MprProcess) -> list[re.Match[str]]:
    """The `chunk started` lines a worker printed, parsed."""
    pattern = re.compile(
        r"chunk started: job (?P<job>\w+) chunk (?P<chunk>\d+) task (?P<task>\w+)"
        r" worker \S+ pid \d+ redelivered (?P<redelivered>True|False)"
    )
    return [m for line in process.lines() if (m := pattern.search(line))]
