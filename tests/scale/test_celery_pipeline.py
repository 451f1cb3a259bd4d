"""The Celery pipeline as real processes: retries as the ASL's, progress followed from
another API server, cancel stopping a running encode, a bad source failing the job."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from mpr.adapters import celery_pipeline
from mpr.adapters.celery_app import (
    CONTROL_QUEUE,
    ENCODE_QUEUE,
    PACKAGE_QUEUE,
    ROUTES,
    WEBHOOK_QUEUE,
)
from mpr.settings import get_settings
from tests.api.api_helpers import probe_video
from tests.scale.conftest import (
    CLIP_FPS,
    CLIP_SECONDS,
    TINY_RENDITION,
    Cluster,
    place_source,
    wait_ended,
)
from tests.support.media import audio_tracks, make_extra_streams
from tests.support.processes import assert_no_ffmpeg_left, wait_for_ffmpeg

ASL = Path(__file__).parents[2] / "statemachines" / "transcode.asl.json"
STAGE_TASKS = {
    "Probe": (celery_pipeline.probe, CONTROL_QUEUE),
    "Plan": (celery_pipeline.plan, CONTROL_QUEUE),
    "EncodeChunk": (celery_pipeline.encode_chunk, ENCODE_QUEUE),
    "EncodeAudio": (celery_pipeline.encode_audio, ENCODE_QUEUE),
    "StitchRendition": (celery_pipeline.stitch, PACKAGE_QUEUE),
    "Package": (celery_pipeline.package, PACKAGE_QUEUE),
    "Finalize": (celery_pipeline.finalize, CONTROL_QUEUE),
}


def asl_task_states(node: Any) -> dict[str, dict[str, Any]]:
    """Every Task state of the state machine, nested ones included, by name."""
    found: dict[str, dict[str, Any]] = {}
    if isinstance(node, dict):
        for name, state in node.get("States", {}).items():
            if state.get("Type") == "Task":
                found[name] = state
        for value in node.values():
            found |= asl_task_states(value)
    elif isinstance(node, list):
        for value in node:
            found |= asl_task_states(value)
    return found


@pytest.mark.parametrize("state_name", sorted(STAGE_TASKS))
def test_each_stage_task_retries_as_its_asl_state(state_name: str) -> None:
    [retry] = [
        r
        for r in asl_task_states(json.loads(ASL.read_text()))[state_name]["Retry"]
        if "RetryableError" in r["ErrorEquals"]
    ]
    task, queue = STAGE_TASKS[state_name]

    assert task.autoretry_for == (celery_pipeline.RetryableError,)
    # Celery waits retry_backoff * 2**n (n = retries so far): the ASL's interval x BackoffRate 2
    assert (task.retry_backoff, retry["BackoffRate"]) == (retry["IntervalSeconds"], 2.0)
    assert task.max_retries == retry["MaxAttempts"]
    assert task.retry_backoff_max == retry["MaxDelaySeconds"]
    assert task.retry_jitter is (retry["JitterStrategy"] == "FULL")
    assert (task.acks_late, ROUTES[task.name]) == (True, queue)
    assert ROUTES[celery_pipeline.notify.name] == WEBHOOK_QUEUE


def submit(client: httpx.Client, key: str, rendition: dict[str, Any] = TINY_RENDITION) -> str:
    created = client.post("/v1/jobs", json={"source": {"key": key}, "renditions": [rendition]})
    assert created.status_code == 202, created.text
    job_id: str = created.json()["id"]
    return job_id


def follow(client: httpx.Client, job_id: str) -> list[dict[str, Any]]:
    """Every `progress` event of a job's SSE stream, until the job ends."""
    events = []
    with client.stream("GET", f"/v1/jobs/{job_id}/events", timeout=240) as stream:
        for line in stream.iter_lines():
            if line.startswith("data:"):
                events.append(json.loads(line.removeprefix("data:")))
    return events


SLOW_720P = {"name": "720p", "height": 720, "max_bitrate_kbps": 3000, "x264_preset": "slow"}
# longer than a slow 720p chunk can take on a busy machine: no chunk is handed out twice
LONG_VISIBILITY_SECONDS = 600


@pytest.mark.slow
def test_any_api_server_streams_the_progress_a_worker_writes(
    cluster: Cluster, bunny_clip: Path
) -> None:
    cluster.env["MPR_QUEUE_VISIBILITY_TIMEOUT_SECONDS"] = str(LONG_VISIBILITY_SECONDS)
    key = cluster.create_key()
    first, second = cluster.serve("api-a"), cluster.serve("api-b")
    cluster.worker("worker")
    place_source(cluster, bunny_clip, "clips/bunny.mp4")

    # chunks that encode for seconds: the stream, which polls the database, sees the job
    # encoding on the worker
    job_id = submit(first.client(key), "clips/bunny.mp4", SLOW_720P)
    events = follow(second.client(key), job_id)

    states = [(e["status"], e["stage"], e["chunks_done"], e["chunks_total"]) for e in events]
    total = states[-1][3]
    assert states[-1] == ("SUCCEEDED", "done", total, total)
    assert total >= 1
    assert any(state[:2] == ("RUNNING", "encode") and state[2] < total for state in states)
    done = [e["chunks_done"] for e in events]
    assert done == sorted(done)
    assert set(events[-1]["timings"]) >= {"probe", "plan", "encode", "stitch", "package"}


@pytest.mark.slow
def test_cancel_stops_the_encode_that_is_running(cluster: Cluster, bunny_clip: Path) -> None:
    cluster.env["MPR_QUEUE_VISIBILITY_TIMEOUT_SECONDS"] = str(LONG_VISIBILITY_SECONDS)
    key = cluster.create_key()
    client = cluster.serve("api").client(key)
    worker = cluster.worker("worker")
    place_source(cluster, bunny_clip, "clips/bunny.mp4")
    job_id = submit(client, "clips/bunny.mp4", SLOW_720P)
    started = worker.wait_for(rf"chunk started: job {job_id} chunk \d+ task (\w+)", timeout=120)
    wait_for_ffmpeg(worker.process.pid)
    cancelled = client.delete(f"/v1/jobs/{job_id}")

    assert cancelled.status_code == 202, cancelled.text
    worker.wait_for(rf"Terminating {started[1]} \((15|Signals.SIGTERM)\)", timeout=30)
    assert wait_ended(client, job_id)["status"] == "CANCELLED"
    assert_no_ffmpeg_left(worker.process.pid)
    assert_no_scratch_left(cluster.scratch)
    assert not (cluster.data_dir / "work" / job_id).exists()
    assert not any(f"chunk finished: job {job_id}" in line for line in worker.lines())


def assert_no_scratch_left(scratch: Path, timeout: float = 3) -> None:
    """The stopped encode removed its scratch directory on the way out."""
    deadline = time.monotonic() + timeout
    while left := sorted(p.name for p in scratch.glob("mpr-*")):
        assert time.monotonic() < deadline, f"scratch files left: {left}"
        time.sleep(0.1)


@pytest.mark.slow
def test_a_source_that_is_not_media_fails_the_job(cluster: Cluster, tmp_path: Path) -> None:
    key = cluster.create_key()
    client = cluster.serve("api").client(key)
    cluster.worker("worker")
    text = tmp_path / "notes.mp4"
    text.write_text("not a video\n" * 100)
    place_source(cluster, text, "clips/notes.mp4")

    job = wait_ended(client, submit(client, "clips/notes.mp4"))

    assert job["status"] == "FAILED"
    assert job["error"]
    assert not (cluster.data_dir / "work" / job["id"]).exists()


@pytest.mark.slow
def test_a_job_from_the_queue_has_every_frame(cluster: Cluster, tiny_clip: Path) -> None:
    key = cluster.create_key()
    client = cluster.serve("api").client(key)
    cluster.worker("worker", concurrency=2)
    place_source(cluster, tiny_clip, "clips/tiny.mp4")

    job = wait_ended(client, submit(client, "clips/tiny.mp4"))

    assert job["status"] == "SUCCEEDED", job["error"]
    [mp4] = job["outputs"]
    local = cluster.root / "out.mp4"
    local.write_bytes(httpx.get(mp4["url"], follow_redirects=True).content)
    frames, duration = probe_video(get_settings().ffprobe, local)
    assert frames == CLIP_SECONDS * CLIP_FPS
    assert abs(duration - CLIP_SECONDS) < 1 / CLIP_FPS


@pytest.mark.slow
def test_a_job_of_audio_only_from_the_queue_keeps_every_track(
    cluster: Cluster, tmp_path: Path
) -> None:
    key = cluster.create_key()
    client = cluster.serve("api").client(key)
    cluster.worker("worker")
    place_source(cluster, make_extra_streams(tmp_path / "extra.mp4"), "clips/extra.mp4")

    created = client.post(
        "/v1/jobs", json={"source": {"key": "clips/extra.mp4"}, "presets": ["audio-aac"]}
    )
    assert created.status_code == 202, created.text
    job = wait_ended(client, created.json()["id"])

    assert job["status"] == "SUCCEEDED", job["error"]
    [m4a] = job["outputs"]
    local = cluster.root / "out.m4a"
    local.write_bytes(httpx.get(m4a["url"], follow_redirects=True).content)
    assert [(t["codec"], t["language"]) for t in audio_tracks(local)] == [
        ("aac", "eng"),
        ("aac", "fra"),
    ]
