"""Helpers for driving the API in tests: upload, wait, read an SSE stream, receive webhooks."""

from __future__ import annotations

import base64
import json
import subprocess
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from fastapi.testclient import TestClient

FAST_RENDITION = {
    "name": "180p",
    "height": 180,
    "max_bitrate_kbps": 300,
    "x264_preset": "ultrafast",
}


def upload(client: TestClient, path: Path, **extra: Any) -> dict[str, Any]:
    """Upload a file through the API and wait until it is probed; returns the upload view."""
    ticket = client.post(
        "/v1/uploads",
        json={
            "filename": path.name,
            "size": path.stat().st_size,
            "content_type": "video/mp4",
            **extra,
        },
    )
    assert ticket.status_code == 201, ticket.text
    body = ticket.json()
    assert body["multipart"] is None
    sent = client.put(body["url"], content=path.read_bytes())
    assert sent.status_code == 200, sent.text
    return wait_upload(client, body["upload_id"])


def _processed(view: dict[str, Any]) -> bool:
    return view["status"] in ("READY", "INVALID", "FAILED")


def _ended(job: dict[str, Any]) -> bool:
    return job["status"] in ("SUCCEEDED", "FAILED", "CANCELLED")


def follow_events(
    client: httpx.Client,
    path: str,
    until: Callable[[dict[str, Any]], bool],
    timeout: float,
) -> dict[str, Any]:
    """Follow an event stream (`/v1/jobs/{id}/events`, `/v1/uploads/{id}/events`) until an
    event's record satisfies `until`; AssertionError if none did within `timeout` seconds."""
    seen: list[dict[str, Any]] = []
    found = threading.Event()

    def read() -> None:
        with client.stream("GET", path) as response:
            for name, record in sse_events(response):
                if name == "progress":
                    seen.append(record)
                    if until(record):
                        break
        found.set()

    threading.Thread(target=read, daemon=True).start()
    if not found.wait(timeout) or not seen or not until(seen[-1]):
        last = seen[-1]["status"] if seen else "no event"
        raise AssertionError(f"{path} did not get there in {timeout} s (last: {last})")
    return seen[-1]


def wait_upload(
    client: httpx.Client,
    upload_id: str,
    timeout: float = 60,
    done: Callable[[dict[str, Any]], bool] = _processed,
) -> dict[str, Any]:
    """The upload once `done(view)` (default: probed), from its event stream."""
    return follow_events(client, f"/v1/uploads/{upload_id}/events", done, timeout)


def follow_job(
    client: httpx.Client,
    job_id: str,
    until: Callable[[dict[str, Any]], bool] = _ended,
    timeout: float = 180,
) -> dict[str, Any]:
    """The job once `until(job)`, from its event stream."""
    return follow_events(client, f"/v1/jobs/{job_id}/events", until, timeout)


def wait_job(client: httpx.Client, job_id: str, timeout: float = 180) -> dict[str, Any]:
    """The job once it has ended, from its event stream."""
    return follow_job(client, job_id, timeout=timeout)


def sse_events(response: httpx.Response) -> Iterator[tuple[str, dict[str, Any]]]:
    """(event name, JSON data) of each event of a text/event-stream response."""
    name, data = "message", list[str]()
    for line in response.iter_lines():
        if not line:
            if data:
                yield name, json.loads("\n".join(data))
            name, data = "message", list[str]()
        elif line.startswith("event:"):
            name = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].strip())


def probe_video(ffprobe: str, path: Path) -> tuple[int, float]:
    """(decoded video frames, video duration in seconds) of a media file, by ffprobe."""
    out = subprocess.run(
        [
            ffprobe,
            "-v",
            "error",
            "-count_frames",
            "-select_streams",
            "v:0",
            "-show_entries",
            "stream=nb_read_frames,duration:format=duration",
            "-of",
            "json",
            str(path),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    facts = json.loads(out)
    stream = facts["streams"][0]
    duration = stream.get("duration") or facts["format"]["duration"]
    return int(stream["nb_read_frames"]), float(duration)


def playlist_uris(text: str) -> list[str]:
    """The URIs a playlist references: non-tag lines and EXT-X-MAP URIs, in order."""
    uris = []
    for line in text.splitlines():
        if line.startswith("#EXT-X-MAP:"):
            uris.append(line.split('URI="', 1)[1].split('"', 1)[0])
        elif line and not line.startswith("#"):
            uris.append(line)
    return uris


@dataclass
class FakeLambdaContext:
    function_name: str = "mpr-api"
    memory_limit_in_mb: int = 1024
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:mpr-api"
    aws_request_id: str = "c6af9ac6-7b61-11e6-9a41-93e812345678"


def http_api_event(
    method: str, path: str, *, headers: dict[str, str], query: str = "", body: bytes = b""
) -> dict[str, Any]:
    """An API Gateway HTTP API (payload format 2.0) proxy event."""
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": query,
        "headers": {"host": "abc123.execute-api.us-east-1.amazonaws.com", **headers},
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "abc123",
            "domainName": "abc123.execute-api.us-east-1.amazonaws.com",
            "domainPrefix": "abc123",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.7",
                "userAgent": "pytest",
            },
            "requestId": "id",
            "routeKey": "$default",
            "stage": "$default",
            "time": "25/Nov/2026:12:00:00 +0000",
            "timeEpoch": 1795000000000,
        },
        "body": base64.b64encode(body).decode() if body else None,
        "isBase64Encoded": bool(body),
    }


def rest_api_event(
    method: str,
    path: str,
    *,
    headers: dict[str, str],
    query: dict[str, str] | None = None,
    body: bytes = b"",
    stage: str = "prod",
) -> dict[str, Any]:
    """An API Gateway REST API Lambda proxy event (payload format 1.0) on `/{proxy+}`."""
    return {
        "resource": "/{proxy+}",
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": query,
        "multiValueQueryStringParameters": {k: [v] for k, v in query.items()} if query else None,
        "pathParameters": {"proxy": path.lstrip("/")},
        "stageVariables": None,
        "requestContext": {
            "resourcePath": "/{proxy+}",
            "httpMethod": method,
            "path": f"/{stage}{path}",
            "stage": stage,
            "accountId": "123456789012",
            "apiId": "abc123",
            "requestId": "id",
            "identity": {"sourceIp": "203.0.113.7", "userAgent": "pytest"},
        },
        "body": base64.b64encode(body).decode() if body else None,
        "isBase64Encoded": bool(body),
    }
