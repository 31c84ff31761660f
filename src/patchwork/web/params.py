"""Query parameters of the viewer pages (forgiving, unlike the API's: a page is a link
someone followed, so junk in ``?page=`` shows the first page instead of an error)."""

from __future__ import annotations

from flask import request

MAX_PAGE = 100_000


def page_number() -> int:
    raw = request.args.get("page", "1")
    return min(int(raw), MAX_PAGE) if raw.isdigit() and int(raw) >= 1 else 1
