"""A multipart upload survives dropped connections and resumes with only the missing part."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, Request, Route, expect

from .ui_helpers import PageFactory, wait_until_ready

pytestmark = [pytest.mark.browser, pytest.mark.slow]

AUTOMATIC_RETRIES = 3  # web/src/lib/upload.ts: sendFile's default


def test_multipart_upload_resumes_after_network_errors(
    new_page: PageFactory, large_clip: Path, screenshot: Callable[[Page, str], Path]
) -> None:
    # Given a connection that drops every time part 2 is sent, until it is repaired
    page = new_page()
    drops = {"left": 1 + AUTOMATIC_RETRIES}
    parts_sent: list[str] = []

    def flaky_part_2(route: Route) -> None:
        if drops["left"]:
            drops["left"] -= 1
            route.abort("connectionreset")
        else:
            route.continue_()

    def record_put(request: Request) -> None:
        if request.method == "PUT":
            parts_sent.append(request.url.rsplit("/", 1)[-1])

    page.on("request", record_put)
    page.route(re.compile(r"/v1/uploads/[^/]+/parts/2$"), flaky_part_2)

    # When the file is chosen, part 1 arrives and part 2 fails, also on the automatic retries
    page.set_input_files("input[type=file]", large_clip)
    resume = page.get_by_role("button", name="Resume upload")
    expect(resume).to_be_visible(timeout=60_000)
    expect(page.get_by_role("alert")).to_have_text("The connection dropped while sending the file.")
    progress = page.get_by_role("progressbar", name="Upload progress")
    part_1_share = 100 * 5 * 1024 * 1024 / large_clip.stat().st_size
    assert int(progress.get_attribute("aria-valuenow") or "0") >= int(part_1_share)
    screenshot(page, "upload-paused")

    # Then resuming sends only part 2, and the upload is probed as the real clip
    resume.click()
    wait_until_ready(page)
    assert parts_sent.count("1") == 1
    assert parts_sent.count("2") == 1 + AUTOMATIC_RETRIES + 1
    expect(page.locator(".source-facts")).to_contain_text("h264, 1280\N{MULTIPLICATION SIGN}720")
    expect(page.locator(".source-facts")).to_contain_text("132 frames")
