"""The /sources page in a real browser (Chromium through Playwright, as test_web_browser's):
an admin token is entered and kept, a source is added through the form and listed, paused,
scanned and removed through the page's buttons. Skips without Chromium unless
``PATCHWORK_TEST_BROWSER=1``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from patchwork.app import create_app
from patchwork.archive.tokens import create_token
from patchwork.state import app_state
from support.browser_fixtures import LiveArchive


@pytest.fixture(scope="module")
def admin_token(live_archive: LiveArchive) -> str:
    # The shared live archive makes queue and worker tokens only; this one is for the page.
    state = app_state(create_app(live_archive.settings))
    try:
        return create_token(state.db, "admin", name="browser-admin")[1]
    finally:
        state.db.dispose()


def message_after(page: Any, click: Any) -> str:
    """The page's status line once ``click`` has made it say something new."""
    page.evaluate("document.getElementById('message').textContent = ''")
    click()
    page.wait_for_function("document.getElementById('message').textContent.length > 0")
    return str(page.locator("#message").inner_text())


def test_an_admin_adds_pauses_scans_and_removes_a_source(
    page: Any, admin_token: str, screenshots: Path, viewport: str
) -> None:
    url = f"https://www.youtube.com/@patchwork-{viewport}"
    page.goto("/")
    page.get_by_role("link", name="Sources", exact=True).first.click()
    page.wait_for_url("**/sources")

    # Without a token nothing is sent; the page says what is missing.
    page.get_by_label("URL", exact=True).fill(url)
    said = message_after(page, page.get_by_role("button", name="Add source").click)
    assert "admin token" in said

    page.get_by_label("Admin token", exact=True).fill(admin_token)
    page.get_by_role("button", name="Save in this browser").click()
    assert "saved" in page.locator("#token-state").inner_text()
    assert page.evaluate("localStorage.getItem('adminAuthKey')") == admin_token
    page.get_by_label("Name", exact=True).fill(f"Demo <{viewport}>")
    page.get_by_label("Scan every").fill("12h")
    page.locator("#src-first-newest").check()
    page.get_by_label("How many of the newest").fill("5")
    page.get_by_label("Title excludes (pattern)").fill("(?i)trailer")
    page.get_by_label("Maximum duration (seconds)").fill("3600")
    page.get_by_label("Maximum height (lines)").fill("720")
    page.locator("#src-skip-shorts").check()
    said = message_after(page, page.get_by_role("button", name="Add source").click)
    assert said.startswith("Following source #"), said
    row = page.locator("#sources tr.source", has_text=url)  # listed after the page reloads
    row.wait_for()
    assert f"Demo <{viewport}>" in row.locator(".name").inner_text()  # shown as text
    assert row.locator(".every").inner_text() == "12h"
    assert row.locator(".state").inner_text() == "enabled"
    page.wait_for_load_state("load")
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1], f"/sources scrolls sideways at {viewport}: {widths}"
    page.screenshot(path=str(screenshots / f"sources-{viewport}.png"), full_page=True)

    # The same URL again: the API's 409 is shown, naming the source that follows it.
    page.get_by_label("URL", exact=True).fill(url)
    said = message_after(page, page.get_by_role("button", name="Add source").click)
    assert said.startswith("Error:") and "source #" in said

    said = message_after(page, row.get_by_role("button", name="Pause").click)
    assert said.startswith("Paused source #"), said
    page.locator("#sources tr.source.paused", has_text=url).wait_for()
    row = page.locator("#sources tr.source", has_text=url)
    assert row.locator(".next-scan").inner_text() == "paused"

    said = message_after(page, row.get_by_role("button", name="Scan now").click)
    assert said.startswith("Scan of source #"), said
    row.locator(".next-scan", has_text="waiting for a worker").wait_for()

    page.once("dialog", lambda dialog: dialog.accept())
    said = message_after(page, row.get_by_role("button", name="Remove").click)
    assert said.startswith("Removed source #"), said
    page.wait_for_function(
        f"![...document.querySelectorAll('#sources .url')].some(e => e.textContent === {url!r})"
    )

    page.get_by_role("button", name="Forget").click()
    assert page.evaluate("localStorage.getItem('adminAuthKey')") is None
