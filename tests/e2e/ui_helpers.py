"""Helpers for the browser tests: the server handle and page actions."""

from __future__ import annotations

import base64
import json
import subprocess
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import Page

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
# new_page(viewport=DESKTOP, with_key=True): a page in a fresh browser context
PageFactory = Callable[..., Page]


@dataclass(frozen=True)
class MprServer:
    """A running `mpr serve`; its log is `serve.log` in its data directory."""

    base_url: str
    api_key: str
    data_dir: Path

    def ui(self, route: str = "") -> str:
        return f"{self.base_url}/ui/{route}"


def drop_file(page: Page, path: Path, mime: str) -> None:
    """Drop `path` on the upload drop zone, as a person dragging it from the desktop would."""
    payload = base64.b64encode(path.read_bytes()).decode()
    transfer = page.evaluate_handle(
        """([name, data, type]) => {
            const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
            const transfer = new DataTransfer();
            transfer.items.add(new File([bytes], name, { type }));
            return transfer;
        }""",
        [path.name, payload, mime],
    )
    page.dispatch_event("[data-testid=dropzone]", "drop", {"dataTransfer": transfer})


def wait_until_ready(page: Page) -> None:
    """Wait for the upload to be probed: the editor appears (or fail with the page's error)."""
    editor = page.get_by_role("heading", name="Preview and trim")
    alert = page.get_by_role("alert")
    editor.or_(alert).first.wait_for(timeout=60_000)
    assert not alert.count(), f"the upload failed: {alert.all_inner_texts()}"


def slider_value(page: Page, name: str) -> int:
    value = page.get_by_role("slider", name=name, exact=True).get_attribute("aria-valuenow")
    assert value is not None
    return int(value)


def no_horizontal_overflow(page: Page) -> tuple[int, int]:
    """(document width, viewport width): equal when nothing sticks out sideways."""
    width, viewport = page.evaluate("() => [document.documentElement.scrollWidth, innerWidth]")
    return int(width), int(viewport)


def api_get(server: MprServer, path: str) -> dict[str, object]:
    request = urllib.request.Request(
        f"{server.base_url}{path}", headers={"X-API-Key": server.api_key}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        body: dict[str, object] = json.loads(response.read())
        return body


PROBE_ARGS = ["-v", "error", "-select_streams", "v:0", "-count_frames", "-of", "json"]
PROBE_ARGS += ["-show_entries", "stream=nb_read_frames,duration"]


def probe_video(ffprobe: str, path: Path) -> tuple[int, float]:
    """(decoded frame count, duration in seconds) of the first video stream."""
    out = subprocess.run(
        [ffprobe, *PROBE_ARGS, str(path)], capture_output=True, text=True, check=True
    ).stdout
    stream = json.loads(out)["streams"][0]
    return int(stream["nb_read_frames"]), float(stream["duration"])


def timestamp(seconds: float, comma: bool) -> str:
    """`seconds` as an SRT (`comma`) or WebVTT cue time."""
    millis = round(seconds * 1000)
    text = f"{millis // 3_600_000:02}:{millis // 60_000 % 60:02}:{millis // 1000 % 60:02}"
    return f"{text}{',' if comma else '.'}{millis % 1000:03}"


def srt_text(cues: list[tuple[float, float, str]]) -> str:
    """An SRT file of (start, end, text) cues, in seconds."""
    return "".join(
        f"{i}\n{timestamp(a, True)} --> {timestamp(b, True)}\n{text}\n\n"
        for i, (a, b, text) in enumerate(cues, 1)
    )
