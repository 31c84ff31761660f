"""Rate limits on /api: writes, search and other reads, each with its own budget.

Built on ``limits`` (the library under Flask-Limiter) with a moving window, counted in Redis
when ``PATCHWORK_REDIS_URL`` (or ``PATCHWORK_RATE_LIMIT_STORAGE``) is set, so every server
process and machine shares one budget, and in process memory otherwise: then each process
counts alone, and the defaults are sized for that (docs/decisions/0110). Requests are counted
per client address, never per presented token: a made-up token must not buy a fresh budget.
The address is ``REMOTE_ADDR``, which ``PATCHWORK_TRUSTED_PROXIES`` (werkzeug's ProxyFix,
wrapped in ``create_app``) replaces with the client behind that many proxies; without it an
``X-Forwarded-For`` header is ignored, so forging one buys nothing.

Workers' job endpoints (claim, heartbeat, progress, uploads, complete, fail) are exempt from the
read, search and write limits; they have their own optional limit
(``PATCHWORK_RATE_LIMIT_WORKER``). Failed authentications are counted apart, on every
token-guarded route, workers' included (``PATCHWORK_RATE_LIMIT_AUTH_FAILURES``): an address
that spent that budget gets 429 on those routes before its token is even looked up, so
guessing costs time and no database work; requests with a valid token never spend it.
Media, health, metrics and pages are not limited here. A refused request is 429 with
``Retry-After`` and the JSON error shape. If the counter store fails, the request is let
through (and logged): limits protect the server, they must not be the thing that takes it
down.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from flask import Flask, Response, request
from limits import RateLimitItem, parse_many
from limits.storage import Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from patchwork.config import ConfigError
from patchwork.http.auth import AUTH_FAILURES_EXTENSION
from patchwork.http.errors import error_response
from patchwork.ops.local_windows import LocalMovingWindows
from patchwork.ops.settings import OpsSettings

log = logging.getLogger(__name__)

NAMESPACE = "patchwork"
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
SEARCH_ROUTES = frozenset({"/api/search/results", "/api/search/channel"})
WORKER_ROUTES = frozenset(
    {
        "/api/worker/next",
        "/api/worker/heartbeat",
        "/api/worker/jobs/<int:job_id>",
        "/api/worker/jobs/<int:job_id>/progress",
        "/api/worker/jobs/<int:job_id>/files/<path:kind>",
        "/api/worker/jobs/<int:job_id>/complete",
        "/api/worker/jobs/<int:job_id>/fail",
        "/api/worker/jobs/<int:job_id>/entries",  # a scan's pages: one every 100 entries
    }
)
#: Lookups sent as POST (Patchwork-Radio posts a form per song, from every listener's
#: browser): they spend the read budget, not the queue's small write budget.
READ_POSTS = frozenset({"/api/exact_match"})
FAILURE_LOG_INTERVAL = 30.0
AUTH_FAILURES = "auth-failure"


@dataclass
class StoreFailureLog:
    """Logs that the counter store is down at most every FAILURE_LOG_INTERVAL seconds."""

    last: float = 0.0

    def report(self, exc: Exception) -> None:
        now = time.monotonic()
        if now - self.last > FAILURE_LOG_INTERVAL:
            self.last = now
            log.warning("rate limit store unavailable, not limiting: %s", type(exc).__name__)


@dataclass
class RateLimits:
    limiter: MovingWindowRateLimiter
    budgets: dict[str, list[RateLimitItem]]
    store_failures: StoreFailureLog = field(default_factory=StoreFailureLog)

    def category(self) -> str | None:
        """Which budget this request spends, or None when it is not limited."""
        if not request.path.startswith("/api/") or request.method == "OPTIONS":
            return None
        rule = request.url_rule.rule if request.url_rule is not None else None
        if rule in WORKER_ROUTES:
            return "worker"
        if rule in SEARCH_ROUTES:
            return "search"
        if request.method in WRITE_METHODS and rule not in READ_POSTS:
            return "write"
        return "read"

    def check(self) -> Response | None:
        category = self.category()
        budget = self.budgets.get(category or "")
        if not budget:
            return None
        client = request.remote_addr or "unknown"
        try:
            for item in budget:
                if not self.limiter.hit(item, NAMESPACE, category or "", client):
                    wait = _seconds_left(self.limiter, item, category or "", client)
                    return _refusal(category or "", wait)
        except Exception as exc:
            self.store_failures.report(exc)
        return None


@dataclass
class AuthFailureBudget:
    """How many failed authentications one client address may make before it must wait."""

    limiter: MovingWindowRateLimiter
    budget: list[RateLimitItem]
    store_failures: StoreFailureLog

    def wait(self) -> int | None:
        """Seconds this address must wait before it may present a token again, or None."""
        return self._refusal(self.limiter.test)

    def spend(self) -> int | None:
        """Count one failure; the wait in seconds when it was over the budget, else None."""
        return self._refusal(self.limiter.hit)

    def _refusal(self, allowed: Callable[..., bool]) -> int | None:
        client = request.remote_addr or "unknown"
        try:
            for item in self.budget:
                if not allowed(item, NAMESPACE, AUTH_FAILURES, client):
                    return _seconds_left(self.limiter, item, AUTH_FAILURES, client)
        except Exception as exc:
            self.store_failures.report(exc)
        return None


def _seconds_left(
    limiter: MovingWindowRateLimiter, item: RateLimitItem, category: str, client: str
) -> int:
    stats = limiter.get_window_stats(item, NAMESPACE, category, client)
    return max(1, math.ceil(stats.reset_time - time.time()))


def _refusal(category: str, retry_after: int) -> Response:
    response = error_response(429, f"Too many {category} requests; retry in {retry_after} s")
    response.headers["Retry-After"] = str(retry_after)
    return response


def _budget(setting: str, value: str | None) -> list[RateLimitItem]:
    if not value or value.strip().lower() in ("off", "none", "unlimited"):
        return []
    try:
        return list(parse_many(value))
    except ValueError:
        raise ConfigError(
            f"{setting} must be a limit such as '60/minute' or '10/second;500/hour', not {value!r}"
        ) from None


def _store(url: str) -> object:
    if url.partition("://")[0].lower() == "memory":
        # limits' memory store runs its expiry on a thread it restarts every 10 ms under load.
        return LocalMovingWindows()
    return storage_from_string(url)


def build(settings: OpsSettings) -> tuple[RateLimits, AuthFailureBudget]:
    budgets = {
        "read": _budget("PATCHWORK_RATE_LIMIT_READ", settings.read_limit),
        "search": _budget("PATCHWORK_RATE_LIMIT_SEARCH", settings.search_limit),
        "write": _budget("PATCHWORK_RATE_LIMIT_WRITE", settings.write_limit),
        "worker": _budget("PATCHWORK_RATE_LIMIT_WORKER", settings.worker_limit),
    }
    try:
        storage = _store(settings.limits_storage_url)
        if not isinstance(storage, Storage):
            raise ConfigError("PATCHWORK_RATE_LIMIT_STORAGE must name a synchronous store")
    except Exception as exc:
        raise ConfigError(f"PATCHWORK_RATE_LIMIT_STORAGE: cannot use it: {exc}") from None
    limiter = MovingWindowRateLimiter(storage)
    failures = _budget("PATCHWORK_RATE_LIMIT_AUTH_FAILURES", settings.auth_failure_limit)
    # One store, one log: an outage is reported once, not once per budget.
    store_failures = StoreFailureLog()
    return (
        RateLimits(limiter, budgets, store_failures),
        AuthFailureBudget(limiter, failures, store_failures),
    )


def register(app: Flask, settings: OpsSettings) -> None:
    if not settings.rate_limits:
        return
    limits, failures = build(settings)
    app.extensions["patchwork.rate_limits"] = limits
    app.extensions[AUTH_FAILURES_EXTENSION] = failures
    app.before_request(limits.check)
