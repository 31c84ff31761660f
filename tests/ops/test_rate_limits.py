"""Rate limits: 429 with Retry-After and the JSON error shape; workers' job endpoints exempt."""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from flask import request as current_request
from flask.testing import FlaskClient
from limits import parse

from patchwork.app import create_app
from patchwork.archive.tokens import create_token
from patchwork.config import ConfigError, Settings, declared
from patchwork.state import app_state

LIMITS = {
    "PATCHWORK_RATE_LIMIT_READ": "5/minute",
    "PATCHWORK_RATE_LIMIT_SEARCH": "3/minute",
    "PATCHWORK_RATE_LIMIT_WRITE": "2/minute",
}


@pytest.fixture
def limited(settings: Settings) -> Iterator[Flask]:
    app = create_app(settings.with_environment(LIMITS))
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


def test_exact_match_spends_the_read_budget_not_the_write_one(limited: Flask) -> None:
    client = limited.test_client()
    lookup = {"method": "POST", "data": {"title": "t", "channel_name": "c"}}
    # Radio asks once per song from every listener: more than the write budget of 2.
    assert _statuses(client, 5, "/api/exact_match", **lookup) == [404] * 5
    assert _statuses(client, 1, "/api/exact_match", **lookup) == [429]


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
    auth = {"X-AUTHENTICATION": secret, "X-Patchwork-Worker": "tests"}
    assert _statuses(client, 8, "/api/worker/next", headers=auth) == [204] * 8
    beats = _statuses(
        client, 8, "/api/worker/heartbeat", method="POST", data={"status": "idle"}, headers=auth
    )
    assert beats == [200] * 8


def test_limits_can_be_turned_off(settings: Settings) -> None:
    app = create_app(settings.with_environment({**LIMITS, "PATCHWORK_RATE_LIMITS": "off"}))
    assert _statuses(app.test_client(), 8, "/api/search/results?q=a") == [200] * 8


def test_a_bad_limit_names_its_setting(settings: Settings) -> None:
    with pytest.raises(ConfigError, match="PATCHWORK_RATE_LIMIT_WRITE"):
        create_app(settings.with_environment({"PATCHWORK_RATE_LIMIT_WRITE": "lots"}))


def test_redis_counts_across_apps(settings: Settings) -> None:
    url = os.environ.get("PATCHWORK_TEST_REDIS_URL")
    if not url:
        pytest.skip("PATCHWORK_TEST_REDIS_URL is not set")
    # Two apps stand for two server processes: one budget in Redis. A unique client address
    # keeps parallel test runs apart.
    address = {"REMOTE_ADDR": f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.7"}
    extra = {**LIMITS, "PATCHWORK_RATE_LIMIT_STORAGE": url}
    first = create_app(settings.with_environment(extra)).test_client()
    second = create_app(settings.with_environment(extra)).test_client()
    statuses = []
    for client in (first, second, first, second):
        with client.get("/api/search/results?q=a", environ_base=address) as response:
            statuses.append(response.status_code)
    assert statuses == [200, 200, 200, 429]


FAILURE_LIMITS = {"PATCHWORK_RATE_LIMIT_AUTH_FAILURES": "5/minute"}


@pytest.fixture
def guarded(settings: Settings) -> Iterator[Flask]:
    app = create_app(settings.with_environment(FAILURE_LIMITS))
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
    auth = {"X-AUTHENTICATION": secret, "X-Patchwork-Worker": "tests"}
    assert _statuses(client, 12, "/api/worker/next", headers=auth) == [204] * 12
    # A live token of the wrong role is a 403, not a failed authentication.
    wrong_role = {"X-AUTHENTICATION": queue_secret}
    assert _statuses(client, 7, "/api/worker/next", headers=wrong_role) == [403] * 7
    assert client.get("/api/worker/next", headers={"X-AUTHENTICATION": "x"}).status_code == 401


# -- real clients behind proxies, and defaults that fit the frontend --------------------------


@pytest.fixture(params=["memory", "redis"])
def store(request: pytest.FixtureRequest) -> str:
    if request.param == "memory":
        return "memory://"
    url = os.environ.get("PATCHWORK_TEST_REDIS_URL")
    if not url:
        pytest.skip("PATCHWORK_TEST_REDIS_URL is not set")
    return url


@pytest.fixture
def make_app(settings: Settings) -> Iterator[Callable[..., Flask]]:
    made: list[Flask] = []

    def make(**extra: str) -> Flask:
        made.append(create_app(settings.with_environment(extra)))
        return made[-1]

    yield make
    for app in made:
        app_state(app).db.dispose()


def _address() -> str:
    # Fresh for every call: Redis keeps counters across tests, backends and parallel runs.
    n = uuid.uuid4().int
    return f"10.{n % 250}.{(n >> 8) % 250}.{(n >> 16) % 250 + 1}"


def _via(app: Flask, proxy: str) -> Callable[..., int]:
    """A GET that arrives from ``proxy`` carrying ``X-Forwarded-For: forwarded``."""
    client = app.test_client()

    def get(path: str, forwarded: str, **headers: str) -> int:
        headers["X-Forwarded-For"] = forwarded
        with client.get(path, environ_base={"REMOTE_ADDR": proxy}, headers=headers) as response:
            return response.status_code

    return get


def test_clients_behind_a_trusted_proxy_have_their_own_budgets(
    make_app: Callable[..., Flask], store: str
) -> None:
    app = make_app(**LIMITS, PATCHWORK_RATE_LIMIT_STORAGE=store, PATCHWORK_TRUSTED_PROXIES="1")
    get = _via(app, proxy=_address())
    alice, bob = _address(), _address()
    search = "/api/search/results?q=a"
    assert [get(search, alice) for _ in range(4)] == [200, 200, 200, 429]
    assert get(search, bob) == 200
    # What the client sent comes first and the proxy appends the address it saw: only the
    # proxy's part is trusted, so a forged first value does not free Alice.
    assert [get(search, f"{_address()}, {alice}") for _ in range(2)] == [429, 429]


def test_failed_authentications_count_per_client_behind_a_trusted_proxy(
    make_app: Callable[..., Flask], store: str
) -> None:
    extra = {**FAILURE_LIMITS, "PATCHWORK_RATE_LIMIT_STORAGE": store}
    app = make_app(**extra, PATCHWORK_TRUSTED_PROXIES="1")
    get = _via(app, proxy=_address())
    alice, bob = _address(), _address()
    guesses = [get("/api/worker/queue", alice, **{"X-Authentication": "guess"}) for _ in range(6)]
    assert guesses == [401] * 5 + [429]
    assert get("/api/worker/queue", bob, **{"X-Authentication": "guess"}) == 401


def test_a_forged_forwarded_for_buys_nothing_when_no_proxy_is_trusted(
    make_app: Callable[..., Flask], store: str
) -> None:
    get = _via(make_app(**LIMITS, PATCHWORK_RATE_LIMIT_STORAGE=store), proxy=_address())
    statuses = [get("/api/search/results?q=a", _address()) for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


# The reference frontend's reads per page view (Patchwork-Browser): home, a video, a channel.
HOME = [
    "/api/storage/status",
    "/api/daily_featured_videos",
    "/api/discover_videos",
    "/api/discover_channels",
    "/api/recently_archived",
]
VIDEO = [
    "/api/database/video_data/abcdefghijk",
    "/api/channel_name?channel_id=UC1",
    "/api/discover_videos",
]
CHANNEL = ["/api/channel_name?channel_id=UC1", "/api/channel/UC1?page=1"]


def test_fast_frontend_browsing_is_never_refused_by_default(
    make_app: Callable[..., Flask], store: str
) -> None:
    client = make_app(PATCHWORK_RATE_LIMIT_STORAGE=store).test_client()
    person = {"REMOTE_ADDR": _address()}

    def view(paths: list[str]) -> list[int]:
        statuses = []
        for path in paths:
            with client.get(path, environ_base=person) as response:
                statuses.append(response.status_code)
        return statuses

    seen: list[int] = []
    # One results page a second for a minute, each firing both searches as the frontend does,
    # with the video and the channel of every result page opened and the home page reloaded.
    for page in range(1, 61):
        seen += view([f"/api/search/results?q=miku&page={page}", "/api/search/channel?q=miku"])
        seen += view(VIDEO + CHANNEL + (HOME if page % 6 == 0 else []))
    assert len(seen) == 60 * 2 + 60 * 5 + 10 * 5
    assert 429 not in seen
    # The budget still ends: a script asking flat out is refused within one more budget.
    budget = parse(declared("PATCHWORK_RATE_LIMIT_SEARCH").default_value).amount
    assert 429 in view(["/api/search/results?q=miku"] * budget)


@pytest.mark.parametrize(
    ("trusted", "shown", "scheme"), [("1", "203.0.113.9", "https"), ("0", "192.0.2.1", "http")]
)
def test_request_logs_show_the_client_behind_trusted_proxies(
    make_app: Callable[..., Flask],
    caplog: pytest.LogCaptureFixture,
    trusted: str,
    shown: str,
    scheme: str,
) -> None:
    app = make_app(PATCHWORK_TRUSTED_PROXIES=trusted)
    app.add_url_rule("/probe", "probe", lambda: f"{current_request.scheme} {current_request.host}")
    caplog.set_level(logging.INFO, logger="patchwork.request")
    forwarded = {
        "X-Forwarded-For": "203.0.113.9",
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "forged.example",  # never trusted: the proxy passes Host itself
    }
    client = app.test_client()
    with client.get("/probe", environ_base={"REMOTE_ADDR": "192.0.2.1"}, headers=forwarded) as r:
        assert r.get_data(as_text=True) == f"{scheme} localhost"
    line = [r for r in caplog.records if r.name == "patchwork.request"][-1]
    assert line.fields["client"] == shown  # type: ignore[attr-defined]
    assert line.getMessage().endswith(f"client={shown}")


@pytest.mark.parametrize("value", ["-1", "two", "1.5", "١"])
def test_trusted_proxies_must_be_a_count(settings: Settings, value: str) -> None:
    with pytest.raises(ConfigError, match="PATCHWORK_TRUSTED_PROXIES"):
        create_app(settings.with_environment({"PATCHWORK_TRUSTED_PROXIES": value}))
