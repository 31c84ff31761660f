"""The ``/sources`` page: every followed source with its scans and counts, and the forms that
add, scan, pause, resume and remove sources through ``/api/sources`` (static/sources.js).

The listing is public, like the other viewer pages: it shows which channels and playlists are
followed, which the archive's own pages already make public through what they archive. Only
the changes need a token; the page's script sends the admin token the browser keeps (the same
localStorage mechanism as the queue portal's key), so the server never renders a secret.
"""

from __future__ import annotations

from datetime import datetime

from flask import render_template, request

from patchwork.archive.queue.states import JobState
from patchwork.archive.sources import catalog
from patchwork.archive.sources.listing import SourceInfo
from patchwork.archive.sources.rules import format_interval
from patchwork.db.types import MAX_ID, utcnow
from patchwork.state import app_state

PER_PAGE = 100
#: Longer errors are cut in the table; the whole text is in the cell's title and details.
ERROR_PREVIEW = 120


def next_scan(info: SourceInfo, now: datetime) -> str:
    """What the "next scan" column says: a time, or why there is none to wait for."""
    # A scan asked for by hand runs even while the source is paused: say so first.
    if info.scan_state == JobState.LEASED:
        return "scanning now"
    if info.scan_state == JobState.QUEUED:
        return "waiting for a worker"
    if not info.enabled:
        return "paused"
    if info.next_scan_at <= now:
        return "due"
    return ""  # the template shows the time


def shortened(text: str | None) -> str | None:
    """``text`` cut to :data:`ERROR_PREVIEW` characters (``None`` when it fits)."""
    if text is None or len(text) <= ERROR_PREVIEW:
        return None
    return text[: ERROR_PREVIEW - 1].rstrip() + "…"


def after_id() -> int:
    raw = request.args.get("after", "")
    # Capped at the largest id: a larger one would overflow the bind instead of listing nothing.
    return min(int(raw), MAX_ID) if raw.isdigit() else 0


def sources_page() -> str:
    db = app_state().db
    after = after_id()
    now = utcnow()
    page = catalog.page_of_sources(db, after_id=after, limit=PER_PAGE)
    return render_template(
        "sources.html",
        sources=page.sources,
        after=after,
        next_after=page.next_after,
        totals=catalog.source_totals(db, now=now),
        now=now,
        format_interval=format_interval,
        next_scan=next_scan,
        shortened=shortened,
    )
