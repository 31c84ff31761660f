"""CORS headers worked out once for requests without Origin are the ones flask_cors sets.

Each request goes to the app as built and to the same app without that shortcut (flask_cors
alone); the CORS headers must be equal, with and without Origin, preflights and errors too.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from patchwork.app import create_app
from patchwork.config import Settings
from patchwork.state import app_state

SHORTCUT = "cors_for_requests_without_origin"
REQUESTS: list[tuple[str, str, dict[str, str]]] = [
    ("GET", "/api/video/abc", {}),
    ("GET", "/api/recently_archived", {}),
    ("GET", "/api/video/abc", {"Origin": "https://ok.example"}),
    ("GET", "/api/video/abc", {"Origin": "https://evil.example"}),
    ("GET", "/api/video/abc", {"Origin": ""}),
    ("GET", "/api/video/abc", {"Access-Control-Request-Private-Network": "true"}),
    ("OPTIONS", "/api/worker/queue", {}),
    (
        "OPTIONS",
        "/api/worker/queue",
        {"Origin": "https://ok.example", "Access-Control-Request-Method": "POST"},
    ),
    ("GET", "/media/thumbnail/abc", {}),
    ("GET", "/apis-are-not-routes", {}),  # flask_cors's /api/* matches it: so must we
    ("GET", "/healthz", {}),
    ("GET", "/", {}),
]


def _cors_headers(app: Flask, method: str, path: str, headers: dict[str, str]) -> list[str]:
    response = app.test_client().open(path, method=method, headers=headers)
    return sorted(
        f"{name}: {value}"
        for name, value in response.headers.items()
        if name.startswith("Access-Control-") or name == "Vary"
    )


@pytest.fixture(params=["*", "https://ok.example", "https://ok.example,https://also.example"])
def apps(
    request: pytest.FixtureRequest, migrated_urls: dict[str, str], tmp_path: Path
) -> Iterator[tuple[Flask, Flask]]:
    # CORS does not depend on the database: SQLite only.
    instance = tmp_path / "instance"
    configured = Settings(
        instance_path=instance,
        database_url=migrated_urls["sqlite"],
        storage_url=f"file://{instance / 'archive'}",
    ).with_environment({"PATCHWORK_CORS_ORIGINS": request.param})
    with_shortcut, without = create_app(configured), create_app(configured)
    hooks = without.after_request_funcs[None]
    assert any(hook.__name__ == SHORTCUT for hook in hooks)
    without.after_request_funcs[None] = [hook for hook in hooks if hook.__name__ != SHORTCUT]
    yield with_shortcut, without
    for app in (with_shortcut, without):
        app_state(app).db.dispose()


@pytest.mark.parametrize(("method", "path", "headers"), REQUESTS)
def test_same_cors_headers_as_flask_cors(
    apps: tuple[Flask, Flask], method: str, path: str, headers: dict[str, str]
) -> None:
    with_shortcut, without = apps
    expected = _cors_headers(without, method, path, headers)
    assert _cors_headers(with_shortcut, method, path, headers) == expected


def test_requests_without_origin_get_the_headers(apps: tuple[Flask, Flask]) -> None:
    with_shortcut, _ = apps
    headers = _cors_headers(with_shortcut, "GET", "/api/recently_archived", {})
    assert any(h.startswith("Access-Control-Allow-Origin: ") for h in headers)
    assert "Access-Control-Expose-Headers: Accept-Ranges, Content-Length, Content-Range, ETag" in (
        headers
    )
