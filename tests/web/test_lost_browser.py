"""The lost media page in a real browser (Chromium through Playwright, as test_web_browser's):
from the home page to /lost, filtered by reason, then to a lost video's watch page with its
badge and history. Skips without Chromium unless ``PATCHWORK_TEST_BROWSER=1``."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from patchwork.app import create_app
from patchwork.archive.tokens import create_token
from patchwork.state import app_state
from support.browser_fixtures import LiveArchive
from support.check_steps import archived, checked
from support.queue_fixtures import Tokens, info

LOST_ID = "pwlost00001"
PRIVATE_ID = "pwlost00002"


@pytest.fixture(scope="module")
def lost_media(live_archive: LiveArchive) -> Iterator[None]:
    """Two videos archived and lost through the worker API of an app on the live archive's
    database and storage; the first renamed by a check before it went."""
    # No scheduled checks: the claims below must hand out only the checks asked for.
    settings = dataclasses.replace(live_archive.settings, availability_checks_per_hour=0)
    app = create_app(settings)
    state = app_state(app)
    tokens = Tokens(
        queue=live_archive.queue_token,
        worker=create_token(state.db, "worker", name="attic-checker")[1],
        worker2="",
        admin="",
    )
    client = app.test_client()
    try:
        archived(client, tokens, LOST_ID, title="The first title", thumbnail="https://i.example/1")
        renamed = info(LOST_ID, title="The second title", thumbnail="https://i.example/2")
        checked(client, state.db, tokens, LOST_ID, "available", video=renamed)
        archived(client, tokens, PRIVATE_ID, title="Made private later")
        for video_id, reason in ((LOST_ID, "removed-by-uploader"), (PRIVATE_ID, "private")):
            for _ in range(2):
                checked(client, state.db, tokens, video_id, "unavailable", reason)
        yield
    finally:
        state.db.dispose()


def check_layout(page: Any, screenshots: Path, name: str, viewport: str) -> None:
    page.wait_for_load_state("load")
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1], f"{name} scrolls sideways at {viewport}: {widths}"
    page.screenshot(path=str(screenshots / f"{name}-{viewport}.png"), full_page=True)


def test_a_visitor_finds_a_lost_video_and_its_history(
    page: Any, lost_media: None, screenshots: Path, viewport: str
) -> None:
    page.goto("/")
    page.locator("#home-lost").click()
    page.wait_for_url("**/lost")
    titles = page.locator("ol.lost a.title")
    assert titles.all_inner_texts() == ["Made private later", "The second title"]  # newest first
    assert page.locator("ol.lost .why").all_inner_texts() == [
        "Made private",
        "Removed by the uploader",
    ]
    check_layout(page, screenshots, "lost", viewport)

    page.get_by_role("link", name="Removed by the uploader 1").click()
    page.wait_for_url("**reason=removed-by-uploader*")
    assert titles.all_inner_texts() == ["The second title"]
    titles.first.click()
    page.wait_for_url(f"**/watch?v={LOST_ID}")

    badge = page.locator("#availability")
    assert badge.inner_text().startswith("Lost: removed by the uploader, since 20")
    versions = page.locator("ol.versions > li")
    assert versions.count() == 2
    assert "changed: title, thumbnail" in versions.first.inner_text()
    assert page.locator("ol.versions del").inner_text() == "The first title"
    assert page.locator("ol.versions ins").inner_text() == "The second title"
    checks = page.locator("ol.checks > li")
    assert checks.count() == 3
    assert "gone" in checks.first.inner_text() and "attic-checker" in checks.first.inner_text()
    check_layout(page, screenshots, "watch-lost", viewport)

    page.get_by_role("link", name="all lost media").click()
    page.wait_for_url("**/lost")
    assert page.locator("nav[aria-label=Main] a[aria-current=page]").inner_text() == "Lost media"
