"""The viewer pages: home, watch, channel, search, radio, status, sources, lost media
(autoescaped).

Handlers read their arguments, call services in :mod:`patchwork.archive` (never the JSON API
over HTTP) and render a template. Listings reuse the API's cache keys and shapes, so a page
and the API share one cached answer.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from patchwork.archive.availability.policy import CheckPolicy
from patchwork.archive.catalog import channels, videos, watch
from patchwork.archive.maintenance.stats import StatsUnavailable
from patchwork.archive.media import objects
from patchwork.archive.queue import workers
from patchwork.archive.queue.counts import jobs_per_state
from patchwork.archive.search import service as search_service
from patchwork.archive.search.service import BadQuery
from patchwork.archive.snapshots import AnswerPending
from patchwork.db import DatabaseUnavailable
from patchwork.db.types import utcnow
from patchwork.http import answers, shapes
from patchwork.http.answers import RECENT_COUNT
from patchwork.http.params import is_probably_bot
from patchwork.state import app_state
from patchwork.web import lost_page, sources_page
from patchwork.web.params import page_number

bp = Blueprint("pages", __name__, template_folder="templates")
# Their own modules (each page and its helpers); registered here, on the viewer's blueprint.
bp.add_url_rule("/sources", "sources_page", sources_page.sources_page, methods=["GET"])
bp.add_url_rule("/lost", "lost_page", lost_page.lost_page, methods=["GET"])

DISCOVER_COUNT = 6
WATCH_DISCOVER_COUNT = 5
CHANNEL_DISCOVER_COUNT = 6


def storage_numbers() -> dict[str, Any] | None:
    """The storage statistics /api/storage/status serves (same cache entry), if available."""
    try:
        return answers.storage_status()
    except (StatsUnavailable, AnswerPending):  # the page shows no numbers rather than fail
        return None


@bp.get("/")
def home() -> str:
    state = app_state()
    return render_template(
        "home.html",
        stats=storage_numbers(),
        featured=answers.daily_featured(utcnow().date()),
        recent=shapes.video_list(videos.recently_archived(state.db, RECENT_COUNT)),
        popular=answers.popular(),
        discover=answers.discover_videos(DISCOVER_COUNT),
        discover_channels=answers.discover_channels(CHANNEL_DISCOVER_COUNT),
    )


def not_found(message: str) -> tuple[str, int]:
    return render_template("404.html", message=message), 404


@bp.get("/watch")
def watch_page() -> str | tuple[str, int]:
    state = app_state()
    video_id = request.args.get("v", "").strip()
    policy = CheckPolicy.of(state.settings)
    details = watch.watch_details(state.db, video_id, policy) if video_id else None
    if details is None:
        return not_found("This video is not in the archive (yet).")
    # The page shows the count it read plus this process's views not written yet, this one
    # included (not read again: one read transaction for the whole page).
    if not is_probably_bot():
        details = replace(details, views=details.views + state.views.add(video_id))
    others = [
        v for v in answers.discover_videos(WATCH_DISCOVER_COUNT + 1) if v["video_id"] != video_id
    ]
    return render_template(
        "watch.html",
        d=details,
        v=details.video,
        discover=others[:WATCH_DISCOVER_COUNT],
        **lost_page.watch_context(state.db, details),
    )


@bp.get("/video/<video_id>")
def old_video_url(video_id: str) -> BaseResponse:
    """The original's first watch URL (2023-06)."""
    return redirect(url_for("pages.watch_page", v=video_id), 301)


@bp.get("/watch/captions/<video_id>/<lang>.vtt")
def captions_vtt(video_id: str, lang: str) -> Response:
    state = app_state()
    text = watch.caption_as_webvtt(state.db, state.storage, video_id, lang)
    if text is None:
        abort(404)
    response = Response(text, mimetype="text/vtt")
    response.headers["Cache-Control"] = "public, max-age=86400"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.get("/channel/<channel_id>")
def channel_page(channel_id: str) -> str | tuple[str, int]:
    state = app_state()
    if not objects.plausible_id(channel_id):
        return not_found("This channel is not in the archive.")
    shown = channels.channel_page(
        state.db,
        channel_id,
        page=page_number(),
        per_page=state.settings.results_per_page_channel,
    )
    if shown is None:
        return not_found("This channel is not in the archive.")
    profile, found = shown
    return render_template(
        "channel.html",
        channel=profile,
        page=found,
        results=shapes.video_list(found.items),
    )


@bp.get("/search")
def search_page() -> str | tuple[str, int]:
    state = app_state()
    q = request.args.get("q", "").strip()
    kind = "channels" if request.args.get("type") == "channels" else "videos"
    page = page_number()
    error = None
    found: Any = None
    results: list[dict[str, Any]] = []
    if q:
        try:
            if kind == "channels":
                found = search_service.search_channels(
                    state.db, q, page=page, per_page=state.settings.results_per_page_channel
                )
                results = shapes.channel_search_page(found)["results"]
            else:
                found = search_service.search_videos(
                    state.db, q, page=page, per_page=state.settings.results_per_page
                )
                results = shapes.video_list(found.items)
        except BadQuery as exc:
            error = str(exc)
    html = render_template("search.html", q=q, kind=kind, page=found, results=results, error=error)
    return (html, 400) if error else html


@bp.get("/results")
def old_search_url() -> BaseResponse:
    """The original's search URL (``/results?search_query=&page=``)."""
    q = request.args.get("search_query", "")
    return redirect(url_for("pages.search_page", q=q, page=page_number()), 301)


@bp.get("/radio")
def radio_page() -> str:
    picked = videos.random_videos(app_state().db, 1)
    first = shapes.video_summary(picked[0]) if picked else None
    return render_template("radio.html", first=first)


@bp.get("/status")
def status_page() -> str:
    state = app_state()
    try:
        state.db.ping()
    except DatabaseUnavailable:  # the page still answers, saying so (as the original did)
        return render_template("status.html", db_online=False, workers=[], counts=None, stats=None)
    rows = workers.worker_statuses(state.db, heartbeat_seconds=state.settings.heartbeat_seconds)
    return render_template(
        "status.html",
        db_online=True,
        workers=rows,
        job_urls=watch.job_urls(state.db, [w.current_job_id for w in rows if w.current_job_id]),
        counts=jobs_per_state(state.db),
        stats=storage_numbers(),
    )
