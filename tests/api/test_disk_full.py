"""A data directory on a real, small tmpfs: a job that cannot get room fails with the
numbers, and the job running beside it succeeds."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from mpr.settings import get_settings
from tests.support.serve import ServeProcess, job, submit, upload, wait_ended, wait_for

from .api_helpers import probe_video

pytestmark = pytest.mark.slow
TMPFS_SIZE = "24m"
SMALL = {"name": "272p", "height": 272, "max_bitrate_kbps": 600, "x264_preset": "slow"}
# near-lossless: about 13 MiB a copy for this 5 s clip, and chunks, stitched file and MP4
# together need more than the disk has
HUGE = {"name": "720p", "height": 720, "crf": 1, "max_bitrate_kbps": 100_000}


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 24 MiB tmpfs mounted for the test (root only), unmounted after it."""
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={TMPFS_SIZE},mode=0700", "tmpfs", str(mount_point)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"mounting a tmpfs needs root: {mounted.stderr.strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "--lazy", str(mount_point)], check=True)


def test_only_the_job_without_room_fails(
    small_disk: Path, bikes_clip: Path, bunny_clip: Path, tmp_path: Path
) -> None:
    server = ServeProcess(
        small_disk / "data",
        {
            "MPR_WORKERS": "1",
            "MPR_CONCURRENT_JOBS": "2",
            "MPR_CHUNK_SECONDS": "1",
            "MPR_MIN_CHUNK_SECONDS": "1",
            "MPR_FREE_SPACE_RESERVE_BYTES": str(2 * 1024 * 1024),
        },
    )
    server.start()
    try:
        with server.client() as client:
            small_source, huge_source = upload(client, bikes_clip), upload(client, bunny_clip)
            # Given a job at work
            small = submit(client, small_source, SMALL)
            wait_for(lambda: job(client, small)["chunks_done"] >= 1, "the first job to encode")

            # When a job that needs more than the disk has starts beside it
            huge = submit(client, huge_source, HUGE)
            failed = wait_ended(client, huge)

            # Then that job fails and says why, in numbers
            assert failed["status"] == "FAILED"
            assert "no space on the data dir" in failed["error"]
            assert "MiB is free" in failed["error"]
            # and the first job succeeds, with every frame
            done = wait_ended(client, small)
            assert done["status"] == "SUCCEEDED", done["error"]
            [mp4] = done["outputs"]
            local = tmp_path / "small.mp4"
            local.write_bytes(httpx.get(mp4["url"], follow_redirects=True).content)
        frames, _ = probe_video(get_settings().ffprobe, local)
        assert frames == 250
    finally:
        server.stop()
