"""Acceptance: two API servers and two workers as real processes on one Redis, one
PostgreSQL and one shared directory. Ten jobs go in through both APIs; one worker is killed
with SIGKILL while its ffmpeg encodes a chunk; every job still succeeds, with every frame."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import httpx
import pytest

from mpr.settings import get_settings
from tests.api.api_helpers import probe_video
from tests.scale.conftest import (
    CLIP_FPS,
    CLIP_SECONDS,
    TINY_RENDITION,
    Cluster,
    chunk_starts,
    place_source,
    wait_ended,
)
from tests.support.processes import MprProcess, ffmpeg_in_group

JOBS = 10
# x264's slow preset keeps each chunk's ffmpeg running long enough to be caught at it
RENDITION = {**TINY_RENDITION, "name": "240p", "height": 240, "x264_preset": "slow"}


def kill_mid_chunk(worker: MprProcess, timeout: float = 120) -> tuple[str, int, str]:
    """SIGKILL a worker (concurrency 1) while ffmpeg encodes a chunk for it: a chunk it
    started and has not finished, with a video encode running. (job, chunk, task id)."""
    deadline = time.monotonic() + timeout
    while True:
        starts = chunk_starts(worker)
        if starts:
            last = starts[-1]
            finished = f"chunk finished: job {last['job']} chunk {last['chunk']}"
            encoding = [
                command
                for command in ffmpeg_in_group(worker.process.pid)
                if not any(arg.endswith("audio.m4a") for arg in command)
            ]
            if encoding and not any(finished in line for line in worker.lines()):
                worker.kill_group()
                assert not any(finished in line for line in worker.lines())
                return last["job"], int(last["chunk"]), last["task"]
        assert time.monotonic() < deadline, "the worker never encoded a chunk"
        time.sleep(0.005)


@pytest.mark.slow
def test_jobs_survive_a_worker_killed_mid_chunk(
    cluster: Cluster, tiny_clip: Path, tmp_path: Path
) -> None:
    source_frames, _ = probe_video(get_settings().ffprobe, tiny_clip)
    assert source_frames == CLIP_SECONDS * CLIP_FPS
    key = cluster.create_key()
    apis = [cluster.serve("api-a"), cluster.serve("api-b")]
    doomed = cluster.worker("worker-a")
    survivor = cluster.worker("worker-b")
    clients = [api.client(key) for api in apis]
    job_ids = []
    for i in range(JOBS):
        place_source(cluster, tiny_clip, f"clips/{i}.mp4")
        created = clients[i % 2].post(
            "/v1/jobs", json={"source": {"key": f"clips/{i}.mp4"}, "renditions": [RENDITION]}
        )
        assert created.status_code == 202, created.text
        job_ids.append(created.json()["id"])

    killed_job, killed_chunk, killed_task = kill_mid_chunk(doomed)
    assert clients[0].get(f"/v1/jobs/{killed_job}").json()["status"] == "RUNNING"

    ended = [
        wait_ended(clients[(i + 1) % 2], job_id, timeout=120) for i, job_id in enumerate(job_ids)
    ]

    assert [job["status"] for job in ended] == ["SUCCEEDED"] * JOBS, [
        (job["status"], job["error"]) for job in ended
    ]
    for job in ended:
        [mp4] = job["outputs"]
        local = tmp_path / f"{job['id']}.mp4"
        local.write_bytes(httpx.get(mp4["url"], follow_redirects=True).content)
        frames, duration = probe_video(get_settings().ffprobe, local)
        assert frames == source_frames
        assert abs(duration - CLIP_SECONDS) < 1 / CLIP_FPS
        # 1 s chunks cut on the clip's keyframe every second
        assert (job["chunks_done"], job["chunks_total"]) == (CLIP_SECONDS, CLIP_SECONDS)
    # the killed chunk ran again on the surviving worker, as the same task, redelivered
    again = [
        m
        for m in chunk_starts(survivor)
        if (m["job"], int(m["chunk"])) == (killed_job, killed_chunk)
    ]
    assert [(m["task"], m["redelivered"]) for m in again] == [(killed_task, "True")]
    # every other chunk was encoded exactly once, by one worker or the other
    finished = Counter(
        (m["job"], int(m["chunk"])) for p in (doomed, survivor) for m in chunk_starts(p)
    )
    assert sorted(finished) == sorted((j, c) for j in job_ids for c in range(CLIP_SECONDS))
    assert {k: n for k, n in finished.items() if n != 1} == {(killed_job, killed_chunk): 2}
