"""The viewer in a real browser (Debian's Chromium, headless, through Playwright), at desktop
size and on a 375 px phone screen. Screenshots of every page go to
``$PATCHWORK_SCREENSHOTS_DIR`` (default ``test-artifacts/screenshots``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from support import browser_fixtures
from support.browser_fixtures import WORKER_NAME, LiveArchive
from support.web_samples import DEMO_CHANNEL, EVIL_ID, SUBRIP_ID


def check_layout(page: Any, screenshots: Path, name: str, viewport: str) -> None:
    """No horizontal scrolling, then a full-page screenshot for the CI's artifacts."""
    # An element can show before the page's stylesheets apply (the queue portal reloads
    # itself, and under load its CSS comes late): measure the styled page, after "load".
    page.wait_for_load_state("load")
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1], f"{name} scrolls sideways at {viewport}: {widths}"
    page.screenshot(path=str(screenshots / f"{name}-{viewport}.png"), full_page=True)


def test_home_lists_videos(page: Any, screenshots: Path, viewport: str) -> None:
    page.goto("/")
    cards = page.locator("#h-recent + ul.grid > li.card")
    assert cards.count() == 6
    assert page.get_by_role("link", name="Queue", exact=True).first.is_visible()
    page.locator(".grid img").first.evaluate(
        "img => img.complete || new Promise(ok => img.addEventListener('load', ok))"
    )
    assert page.locator(".grid img").first.evaluate("img => img.naturalWidth") > 0
    check_layout(page, screenshots, "home", viewport)
    page.emulate_media(color_scheme="dark")
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(18, 18, 18)"  # the dark theme follows the system setting
    check_layout(page, screenshots, "home-dark", viewport)


def test_search_finds_a_video(page: Any, screenshots: Path, viewport: str) -> None:
    page.goto("/")
    page.get_by_label("Search titles and channels").fill("mandelbrot")
    page.get_by_label("Search titles and channels").press("Enter")
    page.wait_for_url("**/search?q=mandelbrot*")
    result = page.locator("ul.grid a.title")
    assert result.count() == 1 and "Mandelbrot zoom" in result.inner_text()
    check_layout(page, screenshots, "search", viewport)
    page.get_by_role("link", name="Channels", exact=True).click()
    page.wait_for_url("**type=channels*")
    page.goto("/search?q=nothingmatchesthis")
    assert page.locator("#no-results").is_visible()
    check_layout(page, screenshots, "search-empty", viewport)
    result_page = page.goto(f"/watch?v={EVIL_ID}")
    assert result_page.status == 200
    assert "<script>" in page.locator("h1.video-title").inner_text()  # shown, never run
    page.goto("/watch?v=not-archived")
    assert page.locator("h1").inner_text() == "Not found"
    check_layout(page, screenshots, "not-found", viewport)


def test_watch_plays_seeks_and_loads_captions(page: Any, screenshots: Path, viewport: str) -> None:
    response = page.goto("/watch?v=pwdemo00001")
    assert response.status == 200
    video = page.locator("video#player")
    page.wait_for_function("document.querySelector('video').readyState >= 2")
    video.evaluate("v => { v.currentTime = 1.5; }")
    page.wait_for_function(
        "(() => { const v = document.querySelector('video');"
        " return !v.seeking && Math.abs(v.currentTime - 1.5) < 0.1 && v.readyState >= 2; })()"
    )
    video.evaluate("v => { v.muted = true; return v.play(); }")
    page.wait_for_function(
        "(() => { const v = document.querySelector('video');"
        " return !v.paused && v.currentTime > 1.7; })()"
    )
    # The default track (English WebVTT) loads and has cues.
    page.wait_for_function(
        "(() => { const t = document.querySelector('track');"
        " return t.readyState === 2 && t.track.cues && t.track.cues.length > 0; })()"
    )
    assert "440 Hz" in video.evaluate("v => v.textTracks[0].cues[0].text")
    video.evaluate("v => v.pause()")
    assert page.locator('meta[property="og:video"]').count() == 1
    check_layout(page, screenshots, "watch", viewport)


def test_converted_captions_load(page: Any, viewport: str) -> None:
    page.goto(f"/watch?v={SUBRIP_ID}")
    page.wait_for_function(
        "(() => { const t = document.querySelector('track');"
        " return t.readyState === 2 && t.track.cues.length === 2; })()"
    )
    first = page.locator("video").evaluate("v => v.textTracks[0].cues[0].text")
    assert first.startswith("<i>Hello</i> from SubRip &")


def test_channel_paginates(page: Any, screenshots: Path, viewport: str) -> None:
    page.goto(f"/channel/{DEMO_CHANNEL}")
    titles = page.locator("ul.grid a.title")
    assert titles.count() == 3
    first_page = titles.all_inner_texts()
    assert "Also known as" in page.locator(".aliases").inner_text()
    check_layout(page, screenshots, "channel", viewport)
    page.get_by_role("link", name="Next →").click()
    page.wait_for_url("**page=2*")
    assert page.locator(".pager span").inner_text() == "Page 2 of 3"
    assert set(titles.all_inner_texts()).isdisjoint(first_page)


def test_status_shows_the_worker(page: Any, screenshots: Path, viewport: str) -> None:
    page.goto("/status")
    card = page.locator("li.worker", has_text=WORKER_NAME)
    assert card.count() == 1
    assert "online" in card.get_attribute("class").split()
    assert "Idle. Waiting for work..." in card.inner_text()
    check_layout(page, screenshots, "status", viewport)


def test_radio_page(page: Any, screenshots: Path, viewport: str) -> None:
    page.goto("/radio")
    page.wait_for_function("document.querySelector('video').readyState >= 1")
    before = page.locator("#radio-title").get_attribute("href")
    page.locator("#radio-skip").click()  # the script asks /api/random_video for another
    page.wait_for_function(
        f"document.querySelector('#radio-title').getAttribute('href') !== {before!r}"
    )
    check_layout(page, screenshots, "radio", viewport)


def test_queue_portal_adds_a_url(
    page: Any, live_archive: LiveArchive, screenshots: Path, viewport: str
) -> None:
    url = f"https://www.youtube.com/watch?v=browser{viewport[:4]}"
    page.on("dialog", lambda dialog: dialog.accept(live_archive.queue_token))
    page.goto("/")
    page.get_by_role("link", name="Queue", exact=True).first.click()
    page.wait_for_url("**/queue")
    page.get_by_label("Video URL").fill(url)
    page.get_by_role("button", name="Queue", exact=True).click()
    page.wait_for_function("document.getElementById('message').textContent.length > 0")
    assert "Error" not in page.locator("#message").inner_text()
    row = page.locator("tr.state-queued", has_text=url)  # shown after the portal reloads
    row.wait_for()
    assert "queued" in row.inner_text()
    check_layout(page, screenshots, "queue", viewport)


def test_a_missing_browser_skips_or_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(browser_fixtures, "CHROMIUM", "/nonexistent/chromium")
    monkeypatch.delenv("PATCHWORK_TEST_BROWSER", raising=False)
    with pytest.raises(pytest.skip.Exception, match="apt-get install chromium"):
        browser_fixtures.require_browser()
    monkeypatch.setenv("PATCHWORK_TEST_BROWSER", "1")
    with pytest.raises(pytest.fail.Exception, match="PATCHWORK_TEST_BROWSER=1 but"):
        browser_fixtures.require_browser()
