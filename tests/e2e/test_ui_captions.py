"""Caption files attached in the web UI's job form, in Chromium: a good SRT is uploaded as
captions and carried into the job's outputs; a broken one shows the server's reason, naming
the line, and no job is made."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pysubs2
import pytest
from playwright.sync_api import Page, expect

from tests.api.api_helpers import wait_job
from tests.support.media import ffmpeg

from .ui_helpers import MprServer, PageFactory, drop_file, srt_text, wait_until_ready

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SECONDS = 3
CUES = [(0.5, 1.25, "Bonjour"), (1.75, 2.5, "Au revoir")]
BACKWARDS = "1\n00:00:03,000 --> 00:00:02,000\nback\n"
BACKWARDS_REASON = "line 2: cue ends at 00:00:02.000, before its start 00:00:03.000"
JOB_ID = re.compile(r"#/jobs/([0-9a-f]+)$")


@pytest.fixture(scope="module")
def small_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """320x240, 25 fps, 3 s, a keyframe every second, with AAC audio."""
    path = tmp_path_factory.mktemp("captions") / "small.mp4"
    ffmpeg(
        *("-f", "lavfi", "-i", f"testsrc2=s=320x240:r=25:d={SECONDS}"),
        *("-f", "lavfi", "-i", f"sine=f=440:d={SECONDS}"),
        *("-c:v", "libx264", "-preset", "veryfast", "-g", "25", "-pix_fmt", "yuv420p"),
        *("-c:a", "aac", "-b:a", "64k", str(path)),
    )
    return path


def _job_ids(client: httpx.Client) -> list[str]:
    return [job["id"] for job in client.get("/v1/jobs").raise_for_status().json()["items"]]


def _open_form_on(page: Page, source: Path) -> None:
    """Upload `source` and keep only the mp4-720p preset."""
    drop_file(page, source, "video/mp4")
    wait_until_ready(page)
    for preset in ("hls-ladder", "thumbnails"):
        page.get_by_role("checkbox", name=re.compile(f"^{preset}")).uncheck()
    expect(page.get_by_role("checkbox", name=re.compile("^mp4-720p"))).to_be_checked()


def _attach(page: Page, path: Path) -> None:
    page.get_by_label("Add captions").set_input_files(path)


@pytest.fixture
def api(mpr_server: MprServer) -> httpx.Client:
    headers = {"X-API-Key": mpr_server.api_key}
    return httpx.Client(base_url=mpr_server.base_url, headers=headers, timeout=30)


def test_an_attached_srt_becomes_a_captions_output(
    new_page: PageFactory, small_source: Path, api: httpx.Client, tmp_path: Path
) -> None:
    # Given the job form on a small source, and a French SRT attached to it
    srt = tmp_path / "talk.fr.srt"
    srt.write_text(srt_text(CUES), encoding="utf-8")
    page = new_page()
    _open_form_on(page, small_source)
    _attach(page, srt)
    entry = page.get_by_role("group", name="Captions talk.fr.srt")
    expect(entry).to_contain_text("checked: ready", timeout=30_000)
    entry.get_by_label("Language").fill("fr")
    entry.get_by_label("Label").fill("Français")
    entry.get_by_label("Default").check()

    # When the job is started and runs
    page.get_by_role("button", name="Start job").click()
    expect(page).to_have_url(JOB_ID)
    match = JOB_ID.search(page.url)
    assert match is not None
    with api:
        job = wait_job(api, match.group(1), timeout=180)
        assert job["status"] == "SUCCEEDED", job["error"]

        # Then the outputs hold a French captions track whose cues are the SRT's
        [captions] = [o for o in job["outputs"] if o["kind"] == "captions"]
        assert (captions["language"], captions["label"]) == ("fr", "Français")
        assert captions["default"] is True
        assert captions["forced"] is False
        vtt = api.get(captions["url"]).raise_for_status().text
    cues = pysubs2.SSAFile.from_string(vtt, format_="vtt")
    expected = pysubs2.SSAFile.from_string(srt.read_text(encoding="utf-8"), format_="srt")
    assert [(c.start, c.end, c.plaintext) for c in cues] == [
        (c.start, c.end, c.plaintext) for c in expected
    ]
    assert [(c.start, c.end) for c in cues] == [(500, 1250), (1750, 2500)]


def test_a_broken_srt_shows_the_reason_and_makes_no_job(
    new_page: PageFactory, small_source: Path, api: httpx.Client, tmp_path: Path
) -> None:
    # Given the job form on a small source, and an SRT whose cue ends before it starts
    srt = tmp_path / "backwards.srt"
    srt.write_text(BACKWARDS, encoding="utf-8")
    page = new_page()
    _open_form_on(page, small_source)
    with api:
        before = _job_ids(api)
        _attach(page, srt)

        # Then the server's reason, naming the line, shows on the file
        entry = page.get_by_role("group", name="Captions backwards.srt")
        expect(entry.get_by_role("alert")).to_contain_text(BACKWARDS_REASON, timeout=30_000)

        # And starting the job is refused in the form, and no job is made
        entry.get_by_label("Language").fill("en")
        page.get_by_role("button", name="Start job").click()
        form_error = page.locator("form .error[role=alert]").last
        expect(form_error).to_contain_text(
            f"Fix the captions first: backwards.srt {BACKWARDS_REASON}"
        )
        expect(page.get_by_role("heading", name="Preview and trim")).to_be_visible()
        assert _job_ids(api) == before


def test_a_language_the_api_refuses_shows_its_reason(
    new_page: PageFactory, small_source: Path, api: httpx.Client, tmp_path: Path
) -> None:
    # Given a good SRT whose language is well-formed but not a registered BCP 47 tag
    srt = tmp_path / "talk.srt"
    srt.write_text(srt_text(CUES), encoding="utf-8")
    page = new_page()
    _open_form_on(page, small_source)
    with api:
        before = _job_ids(api)
        _attach(page, srt)
        entry = page.get_by_role("group", name="Captions talk.srt")
        expect(entry).to_contain_text("checked: ready", timeout=30_000)
        entry.get_by_label("Language").fill("zz")

        # When the job is started, the API's 422 reason shows on the field, and no job is made
        page.get_by_role("button", name="Start job").click()
        reason = "language 'zz' is not a BCP 47 language tag"
        expect(page.locator("form .error[role=alert]").last).to_contain_text(reason)
        expect(entry.locator(".field-error")).to_contain_text(reason)
        assert _job_ids(api) == before
