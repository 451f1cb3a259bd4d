"""Upload, trim, transcode, watch, play and download through the web UI, in Chromium."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from .ui_helpers import (
    MprServer,
    PageFactory,
    api_get,
    drop_file,
    probe_video,
    slider_value,
    wait_until_ready,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

FPS = 25
FRAMES = 132  # bigbuckbunny.mp4
IN_FRAME, OUT_FRAME = 25, 100  # 1.0 s to 4.0 s: 75 frames


# Records every value the job's progress bar takes, from DOM mutations (the element may be
# re-rendered, so the whole document is observed and the bar found again on each change).
RECORD_PROGRESS = """() => {
    const bar = () => document.querySelector('[role=progressbar][aria-label="Job progress"]');
    const seen = (window.__progress = []);
    const note = () => {
        const now = Number(bar()?.getAttribute("aria-valuenow") ?? NaN);
        if (!Number.isNaN(now) && seen.at(-1) !== now) seen.push(now);
    };
    note();
    new MutationObserver(note).observe(document.body, {
        subtree: true, childList: true, attributes: true, attributeFilter: ["aria-valuenow"],
    });
}"""
ENDED = re.compile(r"^(SUCCEEDED|FAILED|CANCELLED)$")


def _watch_progress(page: Page, timeout: float = 180.0) -> list[int]:
    """Every distinct value the job's progress bar showed until the job ended."""
    page.evaluate(RECORD_PROGRESS)
    expect(page.locator(".badge").first).to_have_text(ENDED, timeout=timeout * 1000)
    seen: list[int] = page.evaluate("() => window.__progress")
    return seen


def test_trim_transcode_play_and_download(
    new_page: PageFactory,
    mpr_server: MprServer,
    bigbuckbunny_gops: Path,
    ffprobe: str,
    screenshot: Callable[[Page, str], Path],
    tmp_path: Path,
) -> None:
    # Given the app with an API key entered
    page = new_page(with_key=False)
    page.goto(mpr_server.ui())
    expect(page.get_by_text("Enter your API key to use MPR.")).to_be_visible()
    page.get_by_role("textbox", name="API key").fill(mpr_server.api_key)
    screenshot(page, "api-key")
    page.get_by_role("button", name="Save key").click()
    assert page.evaluate("() => sessionStorage.getItem('mpr.apiKey')") == mpr_server.api_key

    # When the real clip is dropped on the page, it is uploaded and probed
    drop_file(page, bigbuckbunny_gops, "video/mp4")
    wait_until_ready(page)
    facts = page.locator(".source-facts")
    expect(facts).to_contain_text("h264, 1280\N{MULTIPLICATION SIGN}720")
    expect(facts).to_contain_text("25 fps, 132 frames")
    expect(facts).to_contain_text("aac, 48000 Hz")
    poster = page.get_by_role("img", name="Poster frame of bigbuckbunny.mp4")
    expect(poster).to_be_visible()
    page.wait_for_function("() => document.querySelector('.poster').naturalWidth > 0")
    preview = page.locator(".player video")
    page.wait_for_function("() => document.querySelector('.player video').readyState >= 2")
    assert preview.evaluate("v => v.videoWidth") == 1280

    # And the in point is set with the keyboard: 25 frame steps, then I
    playhead = page.get_by_role("slider", name="Playhead")
    playhead.focus()
    for _ in range(IN_FRAME):
        page.keyboard.press("ArrowRight")
    assert slider_value(page, "Playhead") == IN_FRAME
    page.keyboard.press("i")
    assert slider_value(page, "In point") == IN_FRAME

    # And the out point is dragged to about three quarters, then set exactly with the arrows
    out = page.get_by_role("slider", name="Out point")
    track = page.get_by_test_id("timeline-track").bounding_box()
    handle = out.bounding_box()
    assert track is not None
    assert handle is not None
    page.mouse.move(handle["x"] + handle["width"] / 2, handle["y"] + handle["height"] / 2)
    page.mouse.down()
    page.mouse.move(track["x"] + track["width"] * 0.74, handle["y"] + 10, steps=8)
    page.mouse.up()
    dragged = slider_value(page, "Out point")
    assert abs(dragged - round(FRAMES * 0.74)) <= 2, dragged
    out.focus()
    key = "ArrowRight" if dragged < OUT_FRAME else "ArrowLeft"
    for _ in range(abs(OUT_FRAME - dragged)):
        page.keyboard.press(key)
    assert slider_value(page, "Out point") == OUT_FRAME
    expect(page.get_by_test_id("trim-summary")).to_contain_text("Length 3.000 s (75 frames)")
    page.get_by_test_id("timeline-track").hover()
    expect(page.get_by_test_id("scrub-preview")).to_be_visible()
    screenshot(page, "upload-and-trim")

    # And the job is started with the default presets
    expect(page.get_by_role("checkbox", name=re.compile("hls-ladder"))).to_be_checked()
    page.get_by_role("button", name="Start job").click()
    expect(page.get_by_role("heading", name=re.compile("^Job"))).to_be_visible()

    # Then live progress reaches 100 % and the job succeeds
    seen = _watch_progress(page)
    expect(page.locator(".badge").first).to_have_text("SUCCEEDED")
    assert seen[-1] == 100, seen
    assert seen == sorted(seen), f"progress went backwards: {seen}"
    expect(page.get_by_text("Trim1.00 s to 4.00 s")).to_be_visible()
    timings = page.locator("table.timings tbody tr")
    expect(timings.first).to_be_visible()
    assert {"encode", "stitch", "package"} <= set(
        page.locator("table.timings tbody td:first-child").all_inner_texts()
    )
    expect(page.get_by_text("Quality check: passed").first).to_be_visible()

    # And the HLS output plays across the joins of its three 1 s chunks, to the end, with
    # one gapless buffered range
    job = api_get(mpr_server, f"/v1/jobs/{page.locator('h1 code').inner_text()}")
    assert job["chunks_total"] == 3
    video = page.get_by_test_id("hls-video")
    renditions = page.get_by_label("Rendition")
    expect(renditions.locator("option")).to_have_count(4)
    video.evaluate("v => v.play()")
    page.wait_for_function(
        "() => document.querySelector('[data-testid=hls-video]').currentTime > 0.5"
    )
    first = video.evaluate("v => v.currentTime")
    page.wait_for_function(
        "() => { const v = document.querySelector('[data-testid=hls-video]');"
        " return v.ended || v.currentTime > 2.8; }",
        timeout=30_000,
    )
    assert video.evaluate("v => v.currentTime") > first
    buffered = video.evaluate(
        "v => Array.from({length: v.buffered.length},"
        " (_, i) => [v.buffered.start(i), v.buffered.end(i)])"
    )
    assert len(buffered) == 1, buffered
    assert buffered[0][0] <= 0.05
    assert buffered[0][1] >= 2.95
    screenshot(page, "job-succeeded")

    # And switching to the 360p rendition plays 360 lines
    rung = renditions.locator("option", has_text="360p").get_attribute("value")
    assert rung is not None
    renditions.select_option(value=rung)
    video.evaluate("v => { v.currentTime = 0; return v.play(); }")
    page.wait_for_function(
        "() => document.querySelector('[data-testid=hls-video]').videoHeight === 360"
    )

    # And the thumbnails are shown
    thumbnails = page.locator(".thumbs img")
    expect(thumbnails.first).to_be_visible()
    page.wait_for_function(
        "() => [...document.querySelectorAll('.thumbs img')].every(i => i.naturalWidth > 0)"
    )
    # with every image of each: for 3 s, one thumbnail (every 10 s), one sprite sheet
    expect(page.get_by_test_id("thumbnails-gallery").locator("img")).to_have_count(1)
    expect(page.get_by_test_id("thumbnails-count")).to_have_text("1 thumbnail")
    expect(page.get_by_test_id("sprite-gallery").locator("img")).to_have_count(1)
    expect(page.get_by_test_id("sprite-count")).to_contain_text("1 sprite sheet")

    # And the trimmed MP4 downloads with exactly the chosen frames
    with page.expect_download() as download:
        page.get_by_test_id("mp4-download").first.click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    frames, duration = probe_video(ffprobe, saved)
    assert frames == OUT_FRAME - IN_FRAME
    assert abs(duration - 3.0) <= 1 / FPS

    # And the jobs page lists it as succeeded
    page.get_by_role("link", name="Jobs", exact=True).click()
    expect(page.locator(".job-row").first.locator(".badge")).to_have_text("SUCCEEDED")
    screenshot(page, "jobs")


def test_non_media_file_shows_a_clear_error(
    new_page: PageFactory, tmp_path: Path, screenshot: Callable[[Page, str], Path]
) -> None:
    # Given a text file named like a video
    fake = tmp_path / "holiday.mp4"
    fake.write_text("these are my notes, not a video\n" * 50)
    page = new_page()

    # When it is dropped on the page
    drop_file(page, fake, "video/mp4")

    # Then the page says in plain words that it cannot be processed, and offers another try
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("This file cannot be processed", timeout=30_000)
    expect(page.get_by_role("button", name="Choose another file")).to_be_visible()
    screenshot(page, "error-not-media")
    page.get_by_role("button", name="Choose another file").click()
    expect(page.get_by_test_id("dropzone")).to_be_visible()


def test_cancel_a_running_job(
    new_page: PageFactory, mpr_server: MprServer, bigbuckbunny: Path
) -> None:
    # Given a job on the whole clip with the presets and a custom rendition
    page = new_page()
    page.set_input_files("input[type=file]", bigbuckbunny)
    wait_until_ready(page)
    page.get_by_role("checkbox", name="Add a custom HLS rendition").check()
    page.get_by_label("Name", exact=True).fill("web 540")
    page.get_by_label("Height (px)").fill("540")
    page.get_by_role("button", name="Start job").click()
    expect(page.get_by_text("Use 1 to 63 lower-case letters")).to_be_visible()
    expect(page.get_by_role("alert")).to_have_text(
        "Fix the highlighted fields of the custom rendition."
    )
    page.get_by_label("Name", exact=True).fill("web-540")
    page.get_by_role("button", name="Start job").click()
    expect(page.locator(".badge").first).to_have_text("RUNNING", timeout=30_000)
    job_id = page.locator("h1 code").inner_text()
    job = api_get(mpr_server, f"/v1/jobs/{job_id}")
    assert job["presets"] == ["hls-ladder", "mp4-720p", "thumbnails", "custom"]

    # When it is cancelled while running
    page.get_by_role("button", name="Cancel job").click()

    # Then the page and the API both say CANCELLED, and there is nothing left to cancel
    expect(page.locator(".badge").first).to_have_text("CANCELLED")
    expect(page.get_by_role("button", name="Cancel job")).to_have_count(0)
    assert api_get(mpr_server, f"/v1/jobs/{job_id}")["status"] == "CANCELLED"


def test_failed_job_shows_its_error_and_retries(
    new_page: PageFactory,
    mpr_server: MprServer,
    bigbuckbunny: Path,
    screenshot: Callable[[Page, str], Path],
) -> None:
    # Given an uploaded clip whose stored source goes missing before the job runs
    page = new_page()
    with page.expect_response(re.compile(r"/v1/uploads$")) as created:
        page.set_input_files("input[type=file]", bigbuckbunny)
    upload_id = created.value.json()["upload_id"]
    wait_until_ready(page)
    source = mpr_server.data_dir / "input" / "uploads" / upload_id / "source"
    hidden = source.with_name("source.hidden")
    source.rename(hidden)

    # When the job runs, it fails and the page says why
    page.get_by_role("button", name="Start job").click()
    expect(page.locator(".badge").first).to_have_text("FAILED", timeout=60_000)
    expect(page.get_by_test_id("job-error")).to_contain_text("The job failed:")
    screenshot(page, "job-failed")

    # Then, with the source back, Retry runs it again to success
    hidden.rename(source)
    page.get_by_role("button", name="Retry job").click()
    expect(page.locator(".badge").first).to_have_text("SUCCEEDED", timeout=180_000)
    expect(page.get_by_test_id("job-error")).to_have_count(0)
    expect(page.get_by_role("progressbar", name="Job progress")).to_have_attribute(
        "aria-valuenow", "100"
    )
