"""`mpr serve` as a real process for fault tests: its own process group, restartable on
one data directory, with the first API key it printed."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from tests.support.seaweed import free_ports
from tests.support.serving import wait_until_listening

MPR = Path(sys.executable).parent / "mpr"


def wait_for(check: Any, what: str, timeout: float = 120, every: float = 0.05) -> Any:
    """Poll `check()` until it returns something truthy; fail naming `what` at the deadline."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def group_members(pgid: int) -> list[int]:
    """Live processes (not zombies) in process group `pgid`, from /proc."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        state, _ppid, group = stat.rsplit(")", 1)[1].split()[:3]
        if int(group) == pgid and state != "Z":
            members.append(int(entry.name))
    return members


def ffmpeg_pids(pgid: int) -> list[int]:
    """The ffmpeg processes in process group `pgid`."""
    pids = []
    for pid in group_members(pgid):
        with contextlib.suppress(OSError):
            if Path(f"/proc/{pid}/comm").read_text().strip().startswith("ffmpeg"):
                pids.append(pid)
    return pids


@contextlib.contextmanager
def adopting_orphans() -> Iterator[None]:
    """Make this process the subreaper of its descendants while the block runs: an orphaned
    grandchild becomes our child, and `os.waitpid` tells how it ended."""
    prctl = ctypes.CDLL(None, use_errno=True).prctl
    pr_set_child_subreaper = 36
    if prctl(pr_set_child_subreaper, 1) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER)")
    try:
        yield
    finally:
        prctl(pr_set_child_subreaper, 0)


class ServeProcess:
    """One data directory served by a sequence of `mpr serve` processes on one port."""

    def __init__(self, data_dir: Path, env: dict[str, str] | None = None) -> None:
        self.data_dir = data_dir
        self.env = {**os.environ, **(env or {})}
        [self.port] = free_ports(1)
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.key: str | None = None
        self.process: subprocess.Popen[str] | None = None

    def start(self) -> subprocess.Popen[str]:
        """Start a server (a session and process group of its own) and wait until it
        listens and answers; the first start records the API key it printed."""
        process = subprocess.Popen(
            [str(MPR), "serve", "--port", str(self.port), "--data-dir", str(self.data_dir)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=self.env,
            start_new_session=True,
        )
        self.process = process
        for line in wait_until_listening(process, timeout=60):
            if line.startswith("mpr_"):
                self.key = line.strip()
        wait_for(self._healthy, "mpr serve to answer /healthz", timeout=30)
        return process

    def _healthy(self) -> bool:
        """Whether the server answers (a 503 reports on its storage: it answers too)."""
        try:
            return httpx.get(f"{self.base_url}/healthz", timeout=2).status_code in (200, 503)
        except httpx.HTTPError:
            return False

    def client(self) -> httpx.Client:
        assert self.key is not None
        return httpx.Client(base_url=self.base_url, headers={"X-API-Key": self.key}, timeout=30)

    def kill(self, sig: signal.Signals, timeout: float = 120) -> int:
        """Send `sig` to the server process alone and wait for it to exit."""
        assert self.process is not None
        self.process.send_signal(sig)
        return self.process.wait(timeout=timeout)

    def stop(self) -> None:
        """End whatever runs: SIGINT, then SIGKILL to the whole group if it lingers."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        for pid in group_members(self.process.pid):
            os.kill(pid, signal.SIGKILL)


def upload(client: httpx.Client, path: Path) -> str:
    """Upload a file through the API; its upload id once it is READY."""
    ticket = client.post(
        "/v1/uploads",
        json={"filename": path.name, "size": path.stat().st_size, "content_type": "video/mp4"},
    )
    assert ticket.status_code == 201, ticket.text
    body = ticket.json()
    sent = httpx.put(body["url"], content=path.read_bytes(), headers=dict(client.headers))
    assert sent.status_code == 200, sent.text
    view = wait_for(
        lambda: _settled(client.get(f"/v1/uploads/{body['upload_id']}").json()),
        "the upload to be probed",
    )
    assert view["status"] == "READY", view
    return str(body["upload_id"])


def _settled(view: dict[str, Any]) -> dict[str, Any] | None:
    return view if view["status"] in ("READY", "INVALID") else None


def submit(client: httpx.Client, upload_id: str, rendition: dict[str, Any], **extra: Any) -> str:
    created = client.post(
        "/v1/jobs",
        json={"source": {"upload_id": upload_id}, "renditions": [rendition], **extra},
    )
    assert created.status_code == 202, created.text
    return str(created.json()["id"])


def job(client: httpx.Client, job_id: str) -> dict[str, Any]:
    view: dict[str, Any] = client.get(f"/v1/jobs/{job_id}").json()
    return view


def wait_ended(client: httpx.Client, job_id: str, timeout: float = 300) -> dict[str, Any]:
    ended = ("SUCCEEDED", "FAILED", "CANCELLED")
    found: dict[str, Any] = wait_for(
        lambda: (v := job(client, job_id))["status"] in ended and v,
        f"job {job_id} to end",
        timeout,
        every=0.2,
    )
    return found
