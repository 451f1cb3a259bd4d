"""Presets: list, inspect and create, with messages that say what to fix."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from .ui_helpers import MprServer, PageFactory, api_get

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_list_inspect_and_create_presets(
    new_page: PageFactory, mpr_server: MprServer, screenshot: Callable[[Page, str], Path]
) -> None:
    # Given the presets page lists the built-in presets
    page = new_page()
    page.get_by_role("link", name="Presets", exact=True).click()
    for name in ("hls-ladder", "mp4-1080p", "mp4-720p", "thumbnails"):
        expect(page.get_by_role("link", name=name, exact=True)).to_be_visible()
    screenshot(page, "presets")

    # When one is inspected, its renditions are shown
    page.get_by_role("link", name="hls-ladder", exact=True).click()
    expect(page.get_by_role("heading", name="hls-ladder")).to_be_visible()
    expect(page.locator("tbody tr")).to_have_count(4)
    expect(page.get_by_role("row", name="720p 720 21 3500 high")).to_be_visible()
    screenshot(page, "preset-detail")

    # And a new preset with mistakes is submitted, each field says what is wrong
    page.get_by_role("link", name="← All presets").click()
    page.get_by_role("link", name="New preset").click()
    page.get_by_label("Name", exact=True).first.fill("Web 540")
    page.get_by_label("Height (px)").fill("5")
    page.get_by_label("Max bit rate (kb/s)").fill("")
    page.get_by_label("Segment length (s)").fill("45")
    page.get_by_role("button", name="Create preset").click()
    expect(page.get_by_text("Use 1 to 63 lower-case letters").first).to_be_visible()
    expect(page.get_by_text("Height must be between 16 and 4320.")).to_be_visible()
    expect(page.get_by_text("Maximum bit rate is required.")).to_be_visible()
    expect(page.get_by_text("Segment length must be between 1 and 30.")).to_be_visible()
    expect(page.get_by_role("alert").last).to_contain_text("The preset is not valid yet")
    screenshot(page, "new-preset-errors")
    assert "web-540" not in {p["name"] for p in _presets(mpr_server)}

    # Then fixing them creates the preset, and the server has it
    page.locator("#preset-name").fill("web-540")
    page.get_by_label("Height (px)").fill("540")
    page.get_by_label("Max bit rate (kb/s)").fill("1800")
    page.get_by_label("Segment length (s)").fill("6")
    page.get_by_role("button", name="Create preset").click()
    expect(page.get_by_role("heading", name="web-540")).to_be_visible()
    expect(page.get_by_role("row", name="540p 540 22 1800 high")).to_be_visible()
    stored = api_get(mpr_server, "/v1/presets/web-540")
    assert stored["kind"] == "hls"
    assert stored["segment_seconds"] == 6

    # And creating it again is refused by the server in plain words
    page.goto(mpr_server.ui("#/presets/new"))
    page.locator("#preset-name").fill("web-540")
    page.get_by_role("button", name="Create preset").click()
    expect(page.get_by_role("alert")).to_have_text(
        "That conflicts with the current state of the item. "
        "A preset named 'web-540' already exists."
    )


def _presets(server: MprServer) -> list[dict[str, object]]:
    body: object = api_get(server, "/v1/presets")
    assert isinstance(body, list)
    return body
