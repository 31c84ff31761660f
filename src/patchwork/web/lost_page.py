"""The ``/lost`` page (the archived videos gone from their site, newest loss first) and what
the watch page shows of a video's availability: its badge, metadata versions and checks.

Both read :mod:`patchwork.archive.availability.lost` directly. Registered on the viewer's
blueprint in :mod:`patchwork.web.pages`, which calls :func:`watch_availability`.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from flask import render_template, request

from patchwork.archive.availability.lost import (
    AvailabilityInfo,
    VideoHistory,
    history_of,
    lost_videos,
)
from patchwork.archive.availability.policy import CheckPolicy
from patchwork.archive.availability.reasons import UNAVAILABLE_REASONS, reason_label
from patchwork.archive.catalog.watch import WatchDetails
from patchwork.db import Database
from patchwork.state import app_state
from patchwork.web.params import page_number

#: The watch page lists this many of a video's newest checks.
SHOWN_CHECKS = 10
#: How the watch page names the fields a version changed (lost.VersionInfo.changed).
FIELD_WORDS = {
    "title": "title",
    "description": "description",
    "channel_name": "channel name",
    "tags": "tags",
    "thumbnail_url": "thumbnail",
}
OUTCOME_WORDS = {
    "available": "still online",
    "unavailable": "gone",
    "inconclusive": "could not tell",
}


@dataclass(frozen=True)
class ReasonLink:
    reason: str
    label: str
    count: int


def reason_links(counts: dict[str, int]) -> list[ReasonLink]:
    """One filter link per reason some lost video has, in the order reasons.py lists them."""
    known = [r for r in UNAVAILABLE_REASONS if counts.get(r)]
    others = sorted(r for r in counts if r not in UNAVAILABLE_REASONS and counts[r])
    return [ReasonLink(r, reason_label(r) or r, counts[r]) for r in known + others]


def lost_page() -> str | tuple[str, int]:
    state = app_state()
    policy = CheckPolicy.of(state.settings)
    reason = request.args.get("reason", "").strip() or None
    if reason is not None and reason not in UNAVAILABLE_REASONS:
        # Like search's bad query: the page itself, saying what is accepted, with a 400.
        html = render_template(
            "lost.html", found=None, reason=None, error=unknown_reason(reason), policy=policy
        )
        return html, 400
    page = page_number()
    found = lost_videos(
        state.db, reason=reason, page=page, per_page=state.settings.results_per_page
    )
    if page > found.pages:
        # Not an empty list: that would read as "nothing is lost".
        message = f"There is no page {page} of lost media (the last is {found.pages})."
        return render_template("404.html", message=message), 404
    return render_template(
        "lost.html",
        found=found,
        links=reason_links(found.reasons),
        reason=reason,
        error=None,
        policy=policy,
    )


def unknown_reason(reason: str) -> str:
    shown = reason if len(reason) <= 40 else reason[:39] + "…"
    return f"“{shown}” is not a reason; the reasons are {', '.join(UNAVAILABLE_REASONS)}."


@dataclass(frozen=True)
class WatchAvailability:
    """What the watch page shows of a video's checks (both None: nothing to show)."""

    availability: AvailabilityInfo | None
    history: VideoHistory | None  # only read once the video has been checked


def watch_availability(db: Database, details: WatchDetails) -> WatchAvailability:
    """The availability came with the watch page's own read; the history's reads only for a
    video checked at least once (versions after the first, and observations, come only
    from checks)."""
    found = details.availability
    if found is None or found.checks == 0:
        return WatchAvailability(found, None)
    history = history_of(db, details.video.video_id, observations=SHOWN_CHECKS)
    return WatchAvailability(found, history)


def changed_words(fields: list[str]) -> str:
    return ", ".join(FIELD_WORDS.get(name, name.replace("_", " ")) for name in fields)


def history_file_url(video_id: str, number: int, kind: str) -> str:
    """``/media/history/<id>/<n>/<kind>``, served by the media API (written out, not
    url_for: the page must not depend on that blueprint's endpoint names)."""
    return f"{request.script_root}/media/history/{quote(video_id, safe='')}/{number}/{kind}"


def watch_context(db: Database, details: WatchDetails) -> dict[str, object]:
    """The watch template's availability variables and helpers."""
    return {
        "seen": watch_availability(db, details),
        "changed_words": changed_words,
        "history_file_url": history_file_url,
        "outcome_words": OUTCOME_WORDS,
        "reason_label": reason_label,
    }
