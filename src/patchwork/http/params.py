"""Parsing query parameters: bad input is a 400 with a message, never a 500."""

from __future__ import annotations

from collections.abc import Iterable

from flask import request

from patchwork.http.errors import ApiError

MAX_PAGE = 1_000_000
MAX_DISCOVER_COUNT = 50


def int_arg(name: str, default: int, *, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    text = raw.strip()
    if not text.lstrip("-").isdigit() or len(text) > 12:
        raise ApiError(400, f"{name} must be a whole number")
    value = int(text)
    if not low <= value <= high:
        raise ApiError(400, f"{name} must be between {low} and {high}")
    return value


def page_arg() -> int:
    return int_arg("page", 1, low=1, high=MAX_PAGE)


def count_arg(default: int = 6) -> int:
    return int_arg("count", default, low=1, high=MAX_DISCOVER_COUNT)


def text_arg(name: str, *, required: bool = True, max_length: int = 1000) -> str | None:
    value = request.args.get(name)
    if value is None:
        if required:
            raise ApiError(400, f"{name} is required")
        return None
    if len(value) > max_length:
        raise ApiError(400, f"{name} is too long (at most {max_length} characters)")
    return value


def choice_arg(name: str, choices: Iterable[str]) -> str | None:
    """One of ``choices``, or ``None`` when the parameter is absent or empty; anything else
    is a 400 that names the valid values."""
    value = request.args.get(name)
    if not value:
        return None
    allowed = list(choices)
    if value not in allowed:
        raise ApiError(400, f"{name} must be one of {', '.join(allowed)}")
    return value


def is_probably_bot() -> bool:
    """Crawlers and link previews should not inflate view counts."""
    agent = (request.user_agent.string or "").lower()
    return not agent or any(m in agent for m in ("bot", "crawl", "spider", "preview"))
