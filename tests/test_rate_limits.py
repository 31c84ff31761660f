"""Rate limits: 429 with Retry-After and the JSON error shape; workers' job endpoints exempt."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from patchwork.app import create_app
from patchwork.archive.tokens import create_token
from patchwork.config import ConfigError, Settings
from patchwork.state import app_state

LIMITS = {
    "PATCHWORK_RATE_LIMIT_READ": "5/minute",
    "PATCHWORK_RATE_LIMIT_SEARCH": "3/minute",
    "PATCHWORK_RATE_LIMIT_WRITE": "2/minute",
}


@pytest.fixture
def limited(settings: Settings) -> Iterator[Flask]:
    app = create_app(settings.with_overrides(extra=LIMITS))
    yield app
    app_state(app).db.dispose()


def _statuses(client: FlaskClient, n: int, path: str, **kwargs: object) -> list[int]:
    out = []
    for _ in range(n):
        with client.open(path, **kwargs) as response:  # type: ignore[arg-type]
            out.append(response.status_code)
    return out


def test_search_is_limited_with_retry_after_and_json(limited: Flask) -> None:
    client = limited.test_client()
    assert _statuses(client, 3, "/api/search/results?q=a") == [200] * 3
    refused = client.get("/api/search/results?q=a")
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert refused.get_json()["error"].startswith("Too many search requests")
    # Search has its own budget: plain reads still pass.
    assert client.get("/api/recently_archived").status_code == 200


def test_writes_are_limited_per_client_not_per_token(limited: Flask) -> None:
    db = app_state(limited).db
    client = limited.test_client()
    statuses = []
    for i in range(3):
        _, secret = create_token(db, "queue", name=f"q{i}")  # a fresh token buys nothing
        with client.post(
            "/api/worker/queue",
            data={"url": f"https://youtu.be/abcdefghij{i}"},
            headers={"X-AUTHENTICATION": secret},
        ) as response:
            statuses.append(response.status_code)
    assert statuses == [200, 200, 429]
    other = limited.test_client()
    other_address = {"REMOTE_ADDR": "10.0.0.9"}
    with other.get("/api/recently_archived", environ_base=other_address) as response:
        assert response.status_code == 200


def test_reads_are_limited(limited: Flask) -> None:
    client = limited.test_client()
    assert _statuses(client, 6, "/api/recently_archived") == [200] * 5 + [429]
    # Not limited here: health, metrics, media, the OpenAPI document is /api (read budget).
    assert client.get("/healthz").status_code == 200
    assert client.get("/metrics").status_code == 200
    assert client.get("/media/video/none").status_code == 404


def test_worker_job_endpoints_are_exempt(limited: Flask) -> None:
    _, secret = create_token(app_state(limited).db, "worker", name="w")
    client = limited.test_client()
    auth = {"X-AUTHENTICATION": secret}
    assert _statuses(client, 8, "/api/worker/next", headers=auth) == [204] * 8
    beats = _statuses(
        client, 8, "/api/worker/heartbeat", method="POST", data={"status": "idle"}, headers=auth
    )
    assert beats == [200] * 8


def test_limits_can_be_turned_off(settings: Settings) -> None:
    app = create_app(settings.with_overrides(extra={**LIMITS, "PATCHWORK_RATE_LIMITS": "off"}))
    assert _statuses(app.test_client(), 8, "/api/search/results?q=a") == [200] * 8


def test_a_bad_limit_names_its_setting(settings: Settings) -> None:
    with pytest.raises(ConfigError, match="PATCHWORK_RATE_LIMIT_WRITE"):
        create_app(settings.with_overrides(extra={"PATCHWORK_RATE_LIMIT_WRITE": "lots"}))


def test_redis_counts_across_apps(settings: Settings) -> None:
    url = os.environ.get("PATCHWORK_TEST_REDIS_URL")
    if not url:
        pytest.skip("PATCHWORK_TEST_REDIS_URL is not set")
    # Two apps stand for two server processes: one budget in Redis. A unique client address
    # keeps parallel test runs apart.
    address = {"REMOTE_ADDR": f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.7"}
    extra = {**LIMITS, "PATCHWORK_RATE_LIMIT_STORAGE": url}
    first = create_app(settings.with_overrides(extra=extra)).test_client()
    second = create_app(settings.with_overrides(extra=extra)).test_client()
    statuses = []
    for client in (first, second, first, second):
        with client.get("/api/search/results?q=a", environ_base=address) as response:
            statuses.append(response.status_code)
    assert statuses == [200, 200, 200, 429]


FAILURE_LIMITS = {"PATCHWORK_RATE_LIMIT_AUTH_FAILURES": "5/minute"}


@pytest.fixture
def guarded(settings: Settings) -> Iterator[Flask]:
    app = create_app(settings.with_overrides(extra=FAILURE_LIMITS))
    yield app
    app_state(app).db.dispose()


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/worker/next"),
        ("POST", "/api/worker/heartbeat"),
        ("POST", "/api/worker/jobs/1/complete"),
        ("PUT", "/api/worker/jobs/1/files/video?ext=webm"),
        ("GET", "/api/worker/queue"),
        ("DELETE", "/api/storage/delete"),
    ],
)
def test_token_guessing_is_limited_per_address(guarded: Flask, method: str, path: str) -> None:
    client = guarded.test_client()
    guesses = [{"X-AUTHENTICATION": f"guess-{i}"} for i in range(7)]
    statuses = [client.open(path, method=method, headers=h).status_code for h in guesses]
    assert statuses == [401] * 5 + [429] * 2
    refused = client.open(path, method=method, headers={"X-AUTHENTICATION": "guess-8"})
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert refused.get_json()["error"].startswith("Too many failed authentications")
    # A request without any token is a failure too; another address has its own budget.
    assert client.open(path, method=method).status_code == 429
    other = {"REMOTE_ADDR": "10.0.0.9"}
    assert client.open(path, method=method, environ_base=other).status_code == 401


def test_valid_tokens_never_spend_the_failure_budget(guarded: Flask) -> None:
    _, secret = create_token(app_state(guarded).db, "worker", name="w")
    _, queue_secret = create_token(app_state(guarded).db, "queue", name="q")
    client = guarded.test_client()
    auth = {"X-AUTHENTICATION": secret}
    assert _statuses(client, 12, "/api/worker/next", headers=auth) == [204] * 12
    # A live token of the wrong role is a 403, not a failed authentication.
    wrong_role = {"X-AUTHENTICATION": queue_secret}
    assert _statuses(client, 7, "/api/worker/next", headers=wrong_role) == [403] * 7
    assert client.get("/api/worker/next", headers={"X-AUTHENTICATION": "x"}).status_code == 401
