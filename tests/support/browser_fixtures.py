"""Fixtures for the browser tests: Debian's Chromium through Playwright, and the real app
served on a loopback port with a small imported archive (SQLite).

Without ``/usr/bin/chromium`` or the ``playwright`` package the tests skip, saying how to enable
them; with ``PATCHWORK_TEST_BROWSER=1`` (set by ``.ci/run``) that is a failure instead.
"""

from __future__ import annotations

import dataclasses
import json
import os
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from patchwork.app import create_app
from patchwork.archive.tokens import create_token
from patchwork.config import Settings
from patchwork.db.migrate import upgrade
from patchwork.state import app_state
from support.web_samples import build_archive

CHROMIUM = "/usr/bin/chromium"
TIMEOUT_MS = 15_000
LAUNCH_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 375, "height": 812}}
WORKER_NAME = "box-in-the-attic"
HOW_TO_ENABLE = (
    "browser tests need Debian's Chromium at /usr/bin/chromium and the playwright package: "
    "`apt-get install chromium` and `pip install -e '.[dev]'` "
    "(PATCHWORK_TEST_BROWSER=1 makes a missing browser a failure, as in .ci/run)"
)


def _missing() -> str | None:
    if not Path(CHROMIUM).exists():
        return f"{CHROMIUM} is missing"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed"
    return None


def require_browser() -> None:
    problem = _missing()
    if problem is None:
        return
    if os.environ.get("PATCHWORK_TEST_BROWSER") == "1":
        pytest.fail(f"PATCHWORK_TEST_BROWSER=1 but {problem}: {HOW_TO_ENABLE}")
    pytest.skip(f"{problem}; {HOW_TO_ENABLE}")


@dataclasses.dataclass(frozen=True)
class LiveArchive:
    url: str
    queue_token: str
    settings: Settings


@pytest.fixture(scope="module")
def live_archive(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveArchive]:
    require_browser()
    from werkzeug.serving import make_server

    folder = tmp_path_factory.mktemp("viewer")
    settings = Settings(
        instance_path=folder / "instance",
        database_url=f"sqlite:///{folder / 'patchwork.db'}",
        storage_url=f"file://{folder / 'archive'}",
        results_per_page_channel=3,
    )
    app = create_app(settings)
    state = app_state(app)
    upgrade(state.db)
    build_archive(state.db, state.storage)
    queue_token = create_token(state.db, "queue", name="browser-queuer")[1]
    worker_token = create_token(state.db, "worker", name="browser-worker")[1]
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}"
    _heartbeat(url, worker_token)
    try:
        yield LiveArchive(url=url, queue_token=queue_token, settings=settings)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        state.db.dispose()


def _heartbeat(url: str, token: str) -> None:
    """What a worker sends (the original's form fields), through the real API."""
    body = f"name={WORKER_NAME}&status=Idle.+Waiting+for+work...".encode()
    request = urllib.request.Request(
        f"{url}/api/worker/heartbeat",
        data=body,
        headers={"X-AUTHENTICATION": token, "Content-Type": "application/x-www-form-urlencoded"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status < 300, json.loads(response.read() or b"{}")


@pytest.fixture(scope="module")
def browser(live_archive: LiveArchive) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_FLAGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(params=list(VIEWPORTS))
def viewport(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def page(browser: Any, live_archive: LiveArchive, viewport: str) -> Iterator[Any]:
    """A tab on the live archive at ``viewport`` size; the test fails if the page asked for
    anything outside Patchwork (``data:`` URLs aside) or a script raised."""
    context = browser.new_context(viewport=VIEWPORTS[viewport], base_url=live_archive.url)
    context.set_default_timeout(TIMEOUT_MS)
    outside: list[str] = []
    own_host = urlsplit(live_archive.url).netloc

    def guard(route: Any) -> None:
        if urlsplit(route.request.url).netloc == own_host or route.request.url.startswith("data:"):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        yield tab
    finally:
        context.close()
    assert outside == [], f"requests outside Patchwork: {outside}"
    assert errors == [], f"script errors: {errors}"


@pytest.fixture(scope="session")
def screenshots() -> Path:
    folder = Path(os.environ.get("PATCHWORK_SCREENSHOTS_DIR") or "test-artifacts/screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder
