"""Token authentication for the queue and worker APIs.

The secret comes in ``X-AUTHENTICATION`` (the original's header) or ``Authorization: Bearer``.
It is looked up by its SHA-256 (see :mod:`patchwork.archive.tokens`), never logged, stored or
echoed. No token or an unknown/revoked one: 401; a live token of another role: 403. An admin
token may do anything a queue or worker token may. A client address that failed too often in a
row gets 429 before its next token is looked up
(:class:`patchwork.ops.limits.AuthFailureBudget`).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, Protocol, TypeVar

from flask import current_app, g, request

from patchwork.archive.queue.records import Actor
from patchwork.archive.tokens import Principal, authenticate
from patchwork.http.errors import ApiError
from patchwork.state import app_state

P = ParamSpec("P")
R = TypeVar("R")
ADMIN = "admin"
# Where the rate limits (patchwork.ops.limits) leave the failed-authentication budget.
AUTH_FAILURES_EXTENSION = "patchwork.auth_failures"


class FailureBudget(Protocol):
    def wait(self) -> int | None: ...

    def spend(self) -> int | None: ...


def _failure_budget() -> FailureBudget | None:
    budget: FailureBudget | None = current_app.extensions.get(AUTH_FAILURES_EXTENSION)
    return budget


def presented_secret() -> str | None:
    secret = request.headers.get("X-AUTHENTICATION")
    if secret:
        return secret.strip()
    scheme, _, value = (request.headers.get("Authorization") or "").partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


def authorize(*roles: str) -> Principal:
    """The request's principal if it holds one of ``roles`` (or admin); else ApiError."""
    failures = _failure_budget()
    wait = failures.wait() if failures is not None else None
    if wait is not None:
        raise _too_many_failures(wait)
    secret = presented_secret()
    principal = authenticate(app_state().db, secret) if secret is not None else None
    if principal is None:
        wait = failures.spend() if failures is not None else None
        if wait is not None:
            raise _too_many_failures(wait)
        raise ApiError(
            401, "Authentication required" if secret is None else "Invalid or revoked token"
        )
    if principal.role != ADMIN and principal.role not in roles:
        raise ApiError(403, f"This needs a {' or '.join(roles)} token")
    g.principal = principal
    return principal


def _too_many_failures(wait: int) -> ApiError:
    message = f"Too many failed authentications from this address; retry in {wait} s"
    return ApiError(429, message, retry_after=wait)


def require_role(*roles: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorate a view so it runs only for a token of one of ``roles`` (or admin)."""

    def decorate(view: Callable[P, R]) -> Callable[P, R]:
        @wraps(view)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            authorize(*roles)
            return view(*args, **kwargs)

        return wrapper

    return decorate


def current_principal() -> Principal:
    principal = g.get("principal")
    if not isinstance(principal, Principal):
        raise ApiError(401, "Authentication required")
    return principal


def current_actor() -> Actor:
    return Actor.of(current_principal())
