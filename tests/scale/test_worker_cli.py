"""`mpr worker` refuses what it cannot run with one clear line, before touching any server."""

from __future__ import annotations

import os
import subprocess

import pytest

from tests.support.processes import MPR


def worker(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MPR_")}
    return subprocess.run(
        [str(MPR), "worker", *args],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_worker_needs_a_queue() -> None:
    done = worker(env={})

    assert done.returncode == 2
    assert done.stderr.strip() == ("error: mpr worker needs MPR_QUEUE_URL (redis://HOST:PORT/DB)")


@pytest.mark.parametrize(
    ("queues", "named"), [("mpr.encode,mpr.video", "mpr.video"), (",", "(none)")]
)
def test_unknown_queues_are_named(queues: str, named: str) -> None:
    done = worker("--queues", queues, env={"MPR_QUEUE_URL": "redis://127.0.0.1:9/0"})

    assert done.returncode == 2
    assert done.stderr.startswith(f"error: unknown queue {named}; choose from mpr.control,")


def test_bad_storage_is_refused() -> None:
    done = worker("--storage", "/mnt/media", env={"MPR_QUEUE_URL": "redis://127.0.0.1:9/0"})

    assert done.returncode == 1
    assert "storage must look like s3://BUCKET[/PREFIX]" in done.stderr
