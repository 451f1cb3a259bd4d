"""Browser tests of the web UI against a real `mpr serve` (API + local worker).

Needs the UI build (`npm ci --prefix web && npm run build --prefix web`) and Debian's
Chromium (`apt-get install -y chromium`), driven by Playwright with `executable_path`.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sysconfig
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Playwright, sync_playwright

from tests.support.serving import wait_until_listening

from .ui_helpers import DESKTOP, MprServer, PageFactory

REPO = Path(__file__).resolve().parents[2]
STATIC_INDEX = REPO / "functions" / "mpr" / "api" / "static" / "index.html"
SCREENSHOTS = REPO / "artifacts" / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# small enough that a generated ~7 MB clip is sent in two parts (the setting's minimum)
MULTIPART_THRESHOLD = 5 * 1024 * 1024
START_TIMEOUT = 60.0
# bigbuckbunny re-encoded at 12 Mb/s: a real clip of about 7 MB, sent in two parts
HIGH_RATE = ["-c:v", "libx264", "-preset", "ultrafast", "-b:v", "12M", "-minrate", "12M"]
HIGH_RATE += ["-maxrate", "12M", "-bufsize", "2M", "-c:a", "copy"]
ONE_SECOND_GOPS = ["-c:v", "libx264", "-preset", "veryfast", "-g", "25", "-keyint_min", "25"]
ONE_SECOND_GOPS += ["-sc_threshold", "0", "-c:a", "copy"]
CHUNK_SECONDS = "1"  # short chunks: a job on a few seconds still has several


def _mpr() -> str:
    return str(Path(sysconfig.get_path("scripts")) / "mpr")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def ui_build() -> Path:
    if not STATIC_INDEX.is_file():
        pytest.fail(
            f"the web UI is not built ({STATIC_INDEX} is missing): "
            "run `npm ci --prefix web && npm run build --prefix web` first"
        )
    return STATIC_INDEX


@pytest.fixture(scope="session")
def bigbuckbunny(bunny_clip: Path) -> Path:
    return bunny_clip


@pytest.fixture(scope="session")
def bigbuckbunny_gops(bunny_clip: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """bigbuckbunny with a keyframe every second (the original has one): with the server's
    1 s chunks, a job on it has a chunk join every second for the player to cross."""
    from mpr.settings import get_settings

    path = tmp_path_factory.mktemp("clips") / "bigbuckbunny.mp4"
    subprocess.run(
        [get_settings().ffmpeg, "-v", "error", "-i", str(bunny_clip), *ONE_SECOND_GOPS, str(path)],
        check=True,
    )
    return path


@pytest.fixture(scope="session")
def mpr_server(ui_build: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[MprServer]:
    """`mpr serve` on a free loopback port with its own data directory, and one API key."""
    data_dir = tmp_path_factory.mktemp("mpr-data")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MPR_")}
    env |= {
        "MPR_DATA_DIR": str(data_dir),
        "MPR_S3_MULTIPART_THRESHOLD_BYTES": str(MULTIPART_THRESHOLD),
        "MPR_CHUNK_SECONDS": CHUNK_SECONDS,
        "MPR_MIN_CHUNK_SECONDS": CHUNK_SECONDS,
    }
    created = subprocess.run(
        [_mpr(), "keys", "create", "e2e"], env=env, capture_output=True, text=True, check=True
    )
    api_key = created.stdout.strip().splitlines()[-1].strip()
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    log = (data_dir / "serve.log").open("w")
    proc = subprocess.Popen(
        [_mpr(), "serve", "--host", "127.0.0.1", "--port", str(port), "--data-dir", data_dir],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_until_listening(proc, START_TIMEOUT, sink=log)
        with urllib.request.urlopen(f"{base_url}/healthz", timeout=10) as response:
            assert response.status == 200
        yield MprServer(base_url=base_url, api_key=api_key, data_dir=data_dir)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    """Playwright's sync API keeps its event loop current (and running) on the main thread
    while it is open: it ends with the browser tests, so later code that asks asyncio for
    the thread's loop (Mangum) gets a loop of its own."""
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="package")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not CHROMIUM.is_file():
        pytest.fail("Chromium is missing: run `apt-get update && apt-get install -y chromium`")
    chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    yield chromium
    chromium.close()


@pytest.fixture
def new_page(browser: Browser, mpr_server: MprServer) -> Iterator[PageFactory]:
    """Pages in fresh browser contexts (own sessionStorage), at a given viewport."""
    contexts = []

    def make(viewport: dict[str, int] = DESKTOP, with_key: bool = True) -> Page:
        context = browser.new_context(viewport=viewport, accept_downloads=True)
        context.set_default_timeout(20_000)
        contexts.append(context)
        page = context.new_page()
        if with_key:
            page.goto(mpr_server.ui("#/key"))
            page.get_by_role("textbox", name="API key").fill(mpr_server.api_key)
            page.get_by_role("button", name="Save key").click()
            page.get_by_role("heading", name="New job").wait_for()
        return page

    yield make
    for context in contexts:
        context.close()


@pytest.fixture(scope="session")
def screenshot() -> Callable[[Page, str], Path]:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page: Page, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture(scope="session")
def ffprobe() -> str:
    from mpr.settings import get_settings

    return get_settings().ffprobe


@pytest.fixture(scope="session")
def large_clip(bigbuckbunny: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real H.264/AAC clip above the multipart threshold: bigbuckbunny at a high bit rate."""
    from mpr.settings import get_settings

    path = tmp_path_factory.mktemp("clips") / "bigbuckbunny-12mbps.mp4"
    subprocess.run(
        [get_settings().ffmpeg, "-v", "error", "-i", str(bigbuckbunny), *HIGH_RATE, str(path)],
        check=True,
    )
    assert MULTIPART_THRESHOLD < path.stat().st_size < 2 * MULTIPART_THRESHOLD
    return path
