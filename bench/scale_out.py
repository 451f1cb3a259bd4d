"""Scale-out: Celery workers (`mpr worker`) against the embedded pool (`mpr serve` alone),
on the same cores, with real Redis and PostgreSQL servers started on loopback.

For each count N of worker processes: the embedded pool pinned to the first min(N, cores)
cores, then N `mpr worker --concurrency 1` processes, each pinned to a core of its own
(round robin where there are fewer cores than workers) with the API on the same cores.
Each run warms up with one short job, submits `--jobs` short jobs at once (jobs per minute
until all have succeeded), then one long job alone (its wall time). Printed: both figures
and the celery/embedded ratios.

    python -m bench.scale_out [--workers 1,2,4] [--jobs 8] [--short-seconds 4]
        [--long-seconds 40] [--height 360]
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.sources import SourceSpec, camera_source
from tests.support.postgres_server import create_database, start_primary
from tests.support.postgres_server import stop as stop_postgres
from tests.support.processes import MPR, MprProcess
from tests.support.redis_server import start_redis, stop_redis
from tests.support.seaweed import free_ports

RENDITION = {"name": "240p", "height": 240, "max_bitrate_kbps": 1500, "x264_preset": "veryfast"}
TERMINAL = {"SUCCEEDED", "FAILED", "CANCELLED"}


@dataclass(frozen=True)
class Result:
    jobs_per_minute: float
    long_job_seconds: float


@contextmanager
def pinned(cpus: Sequence[int]) -> Iterator[None]:
    """Processes started inside the block run on `cpus` (the affinity is inherited)."""
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, cpus)
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)


class Run:
    """One configuration: an API (with or without workers) over one data directory."""

    def __init__(self, root: Path, env: dict[str, str], sources: dict[str, Path]) -> None:
        self.root, self.env = root, env
        self.processes: list[MprProcess] = []
        for name, path in sources.items():
            target = root / "data" / "input" / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)

    def start(self, name: str, args: list[str], cpus: Sequence[int]) -> MprProcess:
        with pinned(cpus):
            process = MprProcess(name, args, self.env, self.root / f"{name}.log")
        self.processes.append(process)
        return process

    def api(self, cpus: Sequence[int]) -> httpx.Client:
        key = subprocess.run(
            [str(MPR), "keys", "create", "bench"],
            env={**os.environ, **self.env},
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()[-1]
        [port] = free_ports(1)
        process = self.start("api", ["serve", "--port", str(port)], cpus)
        process.wait_for(r"MPR API on", timeout=60)
        client = httpx.Client(
            base_url=f"http://127.0.0.1:{port}", headers={"X-API-Key": key}, timeout=60
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                client.get("/healthz").raise_for_status()
                return client
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.stop()


def run_jobs(client: httpx.Client, key: str, count: int) -> float:
    """Submit `count` jobs of the source `key` at once; seconds until all have succeeded."""
    started = time.perf_counter()
    ids = []
    for _ in range(count):
        created = client.post("/v1/jobs", json={"source": {"key": key}, "renditions": [RENDITION]})
        created.raise_for_status()
        ids.append(created.json()["id"])
    pending = set(ids)
    while pending:
        for job_id in sorted(pending):
            job = client.get(f"/v1/jobs/{job_id}").json()
            if job["status"] in TERMINAL:
                if job["status"] != "SUCCEEDED":
                    raise SystemExit(f"job {job_id} {job['status']}: {job['error']}")
                pending.discard(job_id)
        time.sleep(0.1)
    return time.perf_counter() - started


def measure(client: httpx.Client, jobs: int) -> Result:
    run_jobs(client, "short.mp4", 1)  # untimed: every process has loaded and connected
    seconds = run_jobs(client, "short.mp4", jobs)
    return Result(jobs / seconds * 60, run_jobs(client, "long.mp4", 1))


def embedded(root: Path, sources: dict[str, Path], cpus: list[int], jobs: int) -> Result:
    env = {"MPR_DATA_DIR": str(root / "data"), "MPR_RATE_LIMIT_PER_MINUTE": "10000000"}
    run = Run(root, env, sources)
    try:
        return measure(run.api(cpus), jobs)
    finally:
        run.stop()


def celery(
    root: Path,
    sources: dict[str, Path],
    cpus: list[int],
    jobs: int,
    workers: int,
    urls: tuple[str, str],
) -> Result:
    database_url, redis_url = urls
    env = {
        "MPR_DATA_DIR": str(root / "data"),
        "MPR_RATE_LIMIT_PER_MINUTE": "10000000",
        "MPR_DATABASE_URL": database_url,
        "MPR_QUEUE_URL": redis_url,
        "MPR_WORKERS": str(workers),  # the plan spreads chunks over the workers
        "MPR_WEBHOOK_SECRET": secrets.token_hex(16),
        "MPR_CALLBACK_SECRET": secrets.token_hex(16),
    }
    run = Run(root, env, sources)
    try:
        client = run.api(cpus)
        for i in range(workers):
            worker = run.start(
                f"worker-{i}", ["worker", "--concurrency", "1"], [cpus[i % len(cpus)]]
            )
            worker.wait_for(r"mpr-\d+@\S+ ready\.", timeout=60)
        return measure(client, jobs)
    finally:
        run.stop()


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", default="1,2,4", help="worker process counts")
    parser.add_argument("--jobs", type=int, default=8, help="short jobs submitted at once")
    parser.add_argument("--short-seconds", type=float, default=4.0)
    parser.add_argument("--long-seconds", type=float, default=40.0)
    parser.add_argument("--height", type=int, default=360)
    return parser.parse_args()


def main() -> None:
    args = parse()
    cores = sorted(os.sched_getaffinity(0))
    counts = [int(n) for n in args.workers.split(",")]
    sources = {
        "short.mp4": camera_source(SourceSpec(seconds=args.short_seconds, height=args.height)),
        "long.mp4": camera_source(SourceSpec(seconds=args.long_seconds, height=args.height)),
    }
    print(
        f"{len(cores)} usable cores; load {os.getloadavg()[0]:.2f}; {args.jobs} jobs of "
        f"{args.short_seconds:g} s and one of {args.long_seconds:g} s at {args.height}p"
    )
    print(f"{'workers':>7} {'cores':>5} | {'jobs/min':>9} {'embedded':>9} {'ratio':>6} | "
          f"{'long s':>7} {'embedded':>9} {'ratio':>6}")  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="mpr-bench-scale-") as tmp:
        root = Path(tmp)
        redis_server, redis_process = start_redis(root)
        postgres = start_primary()
        try:
            for n in counts:
                cpus = cores[: min(n, len(cores))]
                base = embedded(root / f"embedded-{n}", sources, cpus, args.jobs)
                urls = (postgres.url(create_database(postgres)), redis_server.url(n))
                scaled = celery(root / f"celery-{n}", sources, cpus, args.jobs, n, urls)
                print(
                    f"{n:>7} {len(cpus):>5} | {scaled.jobs_per_minute:>9.1f} "
                    f"{base.jobs_per_minute:>9.1f} "
                    f"{scaled.jobs_per_minute / base.jobs_per_minute:>6.2f} | "
                    f"{scaled.long_job_seconds:>7.1f} {base.long_job_seconds:>9.1f} "
                    f"{scaled.long_job_seconds / base.long_job_seconds:>6.2f}",
                    flush=True,
                )
        finally:
            stop_postgres(postgres)
            stop_redis(redis_process)


if __name__ == "__main__":
    main()
