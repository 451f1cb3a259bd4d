"""A real `mpr serve` under faults: receivers that never answer, SIGKILL and SIGTERM in the
middle of a job, a second server on the same data directory."""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from mpr.settings import get_settings
from tests.support.serve import (
    MPR,
    ServeProcess,
    adopting_orphans,
    ffmpeg_pids,
    group_members,
    job,
    submit,
    upload,
    wait_ended,
    wait_for,
)
from tests.support.webhooks import HangingReceiver, Receiver

from .api_helpers import FAST_RENDITION, probe_video

pytestmark = pytest.mark.slow
SECRET = "whsec-faults-0123456789"
# one chunk per GOP of the bikes clip, encoded slowly enough to be interrupted
SLOW_RENDITION = {"name": "272p", "height": 272, "max_bitrate_kbps": 600, "x264_preset": "slow"}
CHUNKED = {
    "MPR_WORKERS": "1",
    "MPR_CONCURRENT_JOBS": "1",
    "MPR_CHUNK_SECONDS": "1",
    "MPR_MIN_CHUNK_SECONDS": "1",
}


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServeProcess]:
    serve = ServeProcess(tmp_path / "data", {"MPR_WEBHOOK_SECRET": SECRET})
    yield serve
    serve.stop()


def delivery_rows(data_dir: Path) -> dict[str, tuple[str, str, int]]:
    """job id -> (delivery id, state, attempts), read from the delivery table."""
    with sqlite3.connect(data_dir / "jobs.db") as db:
        rows = db.execute(
            "SELECT job_id, delivery_id, state, attempts FROM webhook_deliveries"
        ).fetchall()
    return {job_id: (delivery, state, attempts) for job_id, delivery, state, attempts in rows}


def test_hanging_receivers_hold_no_job_worker_and_resume_after_a_restart(
    server: ServeProcess, bunny_clip: Path
) -> None:
    hanging = HangingReceiver()
    server.env |= {
        "MPR_ALLOW_PRIVATE_WEBHOOKS": "true",
        "MPR_CONCURRENT_JOBS": "2",
        "MPR_WEBHOOK_TIMEOUT_SECONDS": "2",
        "MPR_WEBHOOK_BACKOFF_SECONDS": "0.5",
        "MPR_WEBHOOK_MAX_ATTEMPTS": "20",
    }
    server.start()
    with server.client() as client:
        upload_id = upload(client, bunny_clip)
        # Given two jobs whose callback never answers
        hung = [
            submit(client, upload_id, FAST_RENDITION, callback_url=hanging.url) for _ in range(2)
        ]
        for job_id in hung:
            assert wait_ended(client, job_id)["status"] == "SUCCEEDED"
        wait_for(lambda: len(hanging.connections) >= 2, "both deliveries to connect")

        # When a third job is submitted, it runs to the end
        third = submit(client, upload_id, FAST_RENDITION)
        assert wait_ended(client, third, timeout=90)["status"] == "SUCCEEDED"

        # while the two deliveries are still being tried
        pending = delivery_rows(server.data_dir)
        assert [pending[job_id][1] for job_id in hung] == ["pending", "pending"]

    # and after a restart, with the receiver answering at last, they are delivered
    assert server.kill(signal.SIGTERM) == 0
    hanging.close()
    with Receiver(SECRET.encode(), port=hanging.port) as receiver:
        server.start()
        settled = wait_for(
            lambda: (
                all(r[1] == "delivered" for r in delivery_rows(server.data_dir).values())
                and delivery_rows(server.data_dir)
            ),
            "the pending deliveries to be delivered",
        )
        events = {event["job_id"]: event for _, event, _ in receiver.requests}
    assert sorted(events) == sorted(hung)
    assert all(signed for _, _, signed in receiver.requests)
    for job_id in hung:
        # the delivery that resumed, not a new one
        assert events[job_id]["delivery_id"] == settled[job_id][0] == pending[job_id][0]
        assert settled[job_id][2] > pending[job_id][2]


@pytest.fixture
def subreaper() -> Iterator[None]:
    with adopting_orphans():
        yield


def midway(client: httpx.Client, job_id: str) -> dict[str, Any] | None:
    view = job(client, job_id)
    return view if 1 <= view["chunks_done"] < view["chunks_total"] - 1 else None


def work_files(data_dir: Path, job_id: str) -> list[Path]:
    """The files of the job in the work area (`DATA_DIR/work`, keys `work/JOB/...`)."""
    return sorted(p for p in (data_dir / "work" / "work" / job_id).rglob("*") if p.is_file())


@pytest.mark.parametrize("stop_signal", [signal.SIGKILL, signal.SIGTERM])
def test_an_interrupted_job_resumes_after_a_restart(
    server: ServeProcess,
    bikes_clip: Path,
    tmp_path: Path,
    subreaper: None,
    stop_signal: signal.Signals,
) -> None:
    server.env |= CHUNKED
    process = server.start()
    with server.client() as client:
        job_id = submit(client, upload(client, bikes_clip), SLOW_RENDITION)
        # Given a job with some chunks encoded and an ffmpeg at work on the next
        wait_for(lambda: midway(client, job_id), "the job to be midway")
        encoders = wait_for(lambda: ffmpeg_pids(process.pid), "an ffmpeg encoding a chunk")

        # When the server is stopped by the signal
        server.kill(stop_signal)

    # Then no process of the server's group survives it
    wait_for(lambda: not group_members(process.pid), "the server's processes to end")
    if stop_signal is signal.SIGKILL:
        # the orphaned encoders became ours: each was killed, none finished its chunk
        # (one that ended just before the kill was reaped by the server: not ours to wait)
        statuses = []
        for pid in encoders:
            with contextlib.suppress(ChildProcessError):
                statuses.append(os.waitpid(pid, 0)[1])
        assert statuses
        assert all(os.WIFSIGNALED(s) and os.WTERMSIG(s) == signal.SIGKILL for s in statuses)
        # and what the dead server was writing is left in its scratch space
        assert list((server.data_dir / "scratch").iterdir())
    finished = [p for p in work_files(server.data_dir, job_id) if p.suffix == ".json"]
    kept = {p: p.stat().st_ino for p in finished if p.parent.parent.name == "chunks"}
    assert kept, work_files(server.data_dir, job_id)

    # and after a restart the job resumes from its finished chunks and succeeds
    server.start()
    seen: dict[Path, set[int]] = {p: set() for p in kept}

    def watch() -> bool:
        for path in kept:
            with contextlib.suppress(FileNotFoundError):
                seen[path].add(path.stat().st_ino)
        return False

    with server.client() as client:
        ended = wait_for(
            lambda: watch() or ((v := job(client, job_id))["status"] != "RUNNING" and v),
            "the resumed job to end",
            timeout=300,
        )
        assert ended["status"] == "SUCCEEDED", ended["error"]
        [mp4] = ended["outputs"]
        local = tmp_path / "resumed.mp4"
        local.write_bytes(httpx.get(mp4["url"], follow_redirects=True).content)
    frames, _ = probe_video(get_settings().ffprobe, local)
    assert frames == 250
    assert all(inodes <= {kept[path]} for path, inodes in seen.items())  # never re-encoded
    assert work_files(server.data_dir, job_id) == []
    assert list((server.data_dir / "scratch").iterdir()) == []


def test_a_second_server_on_the_same_data_dir_refuses_to_start(
    server: ServeProcess, bikes_clip: Path
) -> None:
    server.env |= CHUNKED
    server.start()
    with server.client() as client:
        job_id = submit(client, upload(client, bikes_clip), SLOW_RENDITION)
        wait_for(lambda: job(client, job_id)["status"] == "RUNNING", "the job to run")

        second = ServeProcess(server.data_dir, server.env)
        done = subprocess.run(
            [str(MPR), "serve", "--port", str(second.port), "--data-dir", str(server.data_dir)],
            capture_output=True,
            text=True,
            env=second.env,
            timeout=60,
        )
        assert done.returncode != 0
        assert server.process is not None
        assert f"in use by another mpr server (pid {server.process.pid})" in done.stderr
        assert wait_ended(client, job_id)["status"] == "SUCCEEDED"
