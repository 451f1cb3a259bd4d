"""Load on the jobs API: `mpr serve` in a second process on loopback, many jobs at once.

Submits N jobs at the same moment (short camera-like clips, one small rendition), follows
them until every one has ended, and checks that none was lost. Prints throughput and the
p50/p99 latency of `GET /v1/jobs/{id}` measured while the jobs ran.

    python -m bench.load_api [--jobs 50] [--workers 1] [--concurrent-jobs 2]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from bench.sources import SourceSpec, camera_source

MPR = Path(sys.executable).parent / "mpr"
RENDITION = {"name": "240p", "height": 240, "max_bitrate_kbps": 1500, "x264_preset": "veryfast"}
TERMINAL = {"SUCCEEDED", "FAILED", "CANCELLED"}


def start_server(
    data_dir: Path, port: int, workers: int, concurrent_jobs: int
) -> tuple[subprocess.Popen[str], str]:
    env = {
        **os.environ,
        "MPR_RATE_LIMIT_PER_MINUTE": "10000000",
        "MPR_CONCURRENT_JOBS": str(concurrent_jobs),
    }
    process = subprocess.Popen(
        [
            str(MPR),
            "serve",
            "--port",
            str(port),
            "--data-dir",
            str(data_dir),
            "--workers",
            str(workers),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    assert process.stdout is not None
    key = next((line.strip() for line in process.stdout if line.startswith("mpr_")), None)
    if key is None:
        raise SystemExit(f"mpr serve exited with {process.wait()} before printing a key")
    # keep reading its log so that a full pipe never blocks the server
    threading.Thread(target=process.stdout.read, daemon=True).start()
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            httpx.get(f"{base}/healthz").raise_for_status()
            return process, key
        except httpx.HTTPError:
            time.sleep(0.1)
    raise SystemExit("mpr serve did not answer /healthz")


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def upload(client: httpx.Client, source: Path) -> str:
    ticket = client.post(
        "/v1/uploads",
        json={"filename": source.name, "size": source.stat().st_size, "content_type": "video/mp4"},
    ).json()
    client.put(ticket["url"], content=source.read_bytes()).raise_for_status()
    while True:
        view = client.get(f"/v1/uploads/{ticket['upload_id']}").json()
        if view["status"] == "READY":
            return str(view["upload_id"])
        if view["status"] == "INVALID":
            raise SystemExit(f"upload refused: {view['error']}")
        time.sleep(0.1)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def run(jobs: int, workers: int, concurrent_jobs: int) -> int:
    source = camera_source(SourceSpec(seconds=2.0, height=240, fps=30))
    with tempfile.TemporaryDirectory(prefix="mpr-load-") as tmp:
        port = free_port()
        process, key = start_server(Path(tmp), port, workers, concurrent_jobs)
        try:
            return _load(port, key, source, jobs)
        finally:
            process.terminate()
            process.wait(timeout=60)


def _load(port: int, key: str, source: Path, jobs: int) -> int:
    limits = httpx.Limits(max_connections=jobs + 8)
    with httpx.Client(
        base_url=f"http://127.0.0.1:{port}", headers={"X-API-Key": key}, timeout=60, limits=limits
    ) as client:
        upload_id = upload(client, source)
        barrier = threading.Barrier(jobs)

        def submit(n: int) -> str:
            barrier.wait()
            response = client.post(
                "/v1/jobs",
                json={"source": {"upload_id": upload_id}, "renditions": [RENDITION]},
                headers={"Idempotency-Key": f"load-{n}"},
            )
            response.raise_for_status()
            return str(response.json()["id"])

        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            ids = list(pool.map(submit, range(jobs)))
        submitted = time.perf_counter() - started

        latencies: list[float] = []
        final: dict[str, str] = {}
        errors: set[str] = set()
        while len(final) < jobs:
            for job_id in ids:
                if job_id in final:
                    continue
                t0 = time.perf_counter()
                response = client.get(f"/v1/jobs/{job_id}")
                latencies.append(time.perf_counter() - t0)
                job = response.json()
                if job["status"] in TERMINAL:
                    final[job_id] = job["status"]
                    if job["error"]:
                        errors.add(job["error"])
            time.sleep(0.05)
        elapsed = time.perf_counter() - started
        listed = {j["id"] for j in client.get("/v1/jobs", params={"limit": 100}).json()["items"]}

    succeeded = sum(1 for s in final.values() if s == "SUCCEEDED")
    lost = set(ids) - listed
    print(
        f"jobs submitted at once     {jobs} (distinct ids: {len(set(ids))}, in {submitted:.2f} s)"
    )
    print(f"succeeded / failed / lost  {succeeded} / {jobs - succeeded} / {len(lost)}")
    for error in sorted(errors):
        print(f"failure: {error}")
    print(f"wall time until all ended  {elapsed:.1f} s")
    rate = jobs / elapsed
    print(f"throughput                 {rate:.2f} jobs/s ({60 * rate:.0f} jobs/min)")
    print(
        f"GET /v1/jobs/{{id}}          n={len(latencies)}  "
        f"p50={1000 * statistics.median(latencies):.1f} ms  "
        f"p99={1000 * percentile(latencies, 0.99):.1f} ms"
    )
    return 0 if succeeded == jobs and not lost and len(set(ids)) == jobs else 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=50)
    parser.add_argument("--workers", type=int, default=1, help="ffmpeg processes per job")
    parser.add_argument("--concurrent-jobs", type=int, default=2)
    args = parser.parse_args()
    sys.exit(run(args.jobs, args.workers, args.concurrent_jobs))


if __name__ == "__main__":
    main()
