"""Every page is usable on a 390x844 phone screen, and the timeline works by keyboard alone."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from .ui_helpers import (
    PHONE,
    MprServer,
    PageFactory,
    no_horizontal_overflow,
    slider_value,
    wait_until_ready,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

FRAMES = 132  # bigbuckbunny.mp4, 25 fps


def _check_fits(page: Page, screenshot: Callable[[Page, str], Path], name: str) -> None:
    page.wait_for_load_state("networkidle")
    width, viewport = no_horizontal_overflow(page)
    screenshot(page, name)
    assert width <= viewport, f"{name}: the page is {width} px wide on a {viewport} px screen"


def test_phone_layout_and_keyboard_timeline(
    new_page: PageFactory,
    mpr_server: MprServer,
    bigbuckbunny: Path,
    screenshot: Callable[[Page, str], Path],
) -> None:
    # Given a phone-sized screen
    page = new_page(PHONE, with_key=False)
    page.goto(mpr_server.ui("#/key"))
    _check_fits(page, screenshot, "phone-api-key")
    page.get_by_role("textbox", name="API key").fill(mpr_server.api_key)
    page.get_by_role("button", name="Save key").click()
    _check_fits(page, screenshot, "phone-upload")

    # When a clip is uploaded, the editor fits the screen
    page.set_input_files("input[type=file]", bigbuckbunny)
    wait_until_ready(page)

    # And the timeline is operated by keyboard only: Tab reaches the in handle
    in_point = page.get_by_role("slider", name="In point")
    for _ in range(30):
        page.keyboard.press("Tab")
        if in_point.evaluate("el => el === document.activeElement"):
            break
    else:
        pytest.fail("Tab never reached the in point slider")
    page.keyboard.press("PageUp")  # one second
    page.keyboard.press("ArrowRight")
    assert slider_value(page, "In point") == 26
    page.keyboard.press("Tab")  # out point
    page.keyboard.press("Shift+ArrowLeft")
    page.keyboard.press("ArrowDown")
    assert slider_value(page, "Out point") == FRAMES - 26
    page.keyboard.press("Tab")  # playhead
    page.keyboard.press("End")
    assert slider_value(page, "Playhead") == FRAMES - 1
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("o")
    assert slider_value(page, "Out point") == FRAMES - 1
    page.keyboard.press("Home")
    page.keyboard.press("i")
    assert slider_value(page, "In point") == 0
    expect(page.get_by_test_id("trim-summary")).to_contain_text("(131 frames)")
    for label in ("In point", "Out point", "Playhead"):
        text = page.get_by_role("slider", name=label).get_attribute("aria-valuetext")
        assert text is not None
        assert re.fullmatch(r"[\d.]+ seconds, frame \d+", text), text
    _check_fits(page, screenshot, "phone-trim")

    # And the job page, the jobs list and the preset pages fit too
    page.get_by_role("button", name="Start job").click()
    expect(page.locator(".badge").first).to_have_text("SUCCEEDED", timeout=180_000)
    expect(page.get_by_test_id("hls-video")).to_be_visible()
    _check_fits(page, screenshot, "phone-job")
    page.get_by_role("link", name="Jobs", exact=True).click()
    expect(page.locator(".job-row").first).to_be_visible()
    _check_fits(page, screenshot, "phone-jobs")
    page.get_by_role("link", name="Presets", exact=True).click()
    expect(page.get_by_role("link", name="hls-ladder")).to_be_visible()
    _check_fits(page, screenshot, "phone-presets")
    page.get_by_role("link", name="hls-ladder").click()
    expect(page.get_by_role("cell", name="1080p")).to_be_visible()
    _check_fits(page, screenshot, "phone-preset")
    page.goto(mpr_server.ui("#/presets/new"))
    page.get_by_role("button", name="Create preset").click()
    expect(page.get_by_text("A name is required.").first).to_be_visible()
    _check_fits(page, screenshot, "phone-new-preset")
