"""The original's public read API: videos, channels, discovery and search."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, request

from patchwork.archive.availability.policy import CheckPolicy
from patchwork.archive.availability.reasons import State
from patchwork.archive.catalog import channels, videos
from patchwork.archive.catalog.availability import video_with_availability
from patchwork.archive.search import service as search_service
from patchwork.archive.search.exact_match import find_exact
from patchwork.db.types import utcnow
from patchwork.http import answers, availability_shapes, shapes
from patchwork.http.body_fields import body_fields, text_field
from patchwork.http.errors import ApiError
from patchwork.http.params import choice_arg, count_arg, page_arg, text_arg
from patchwork.state import app_state

bp = Blueprint("catalog", __name__, url_prefix="/api")

VIDEO_NOT_FOUND = "Video ID does not exist"
CHANNEL_NOT_FOUND = "Channel ID does not exist"
NO_EXACT_MATCH = "No exact match found"
MAX_MATCH_TEXT = 4000


@bp.get("/video/<video_id>")
def video(video_id: str) -> dict[str, Any]:
    state = app_state()
    found = video_with_availability(state.db, video_id, CheckPolicy.of(state.settings))
    if found is None:
        raise ApiError(404, VIDEO_NOT_FOUND)
    # The original's fields, plus Patchwork's availability object (clients ignore extra keys).
    return {
        **shapes.video_summary(found.video),
        "availability": availability_shapes.availability(found.availability),
    }


@bp.get("/random_video")
def random_video() -> dict[str, Any]:
    picked = videos.random_videos(app_state().db, 1)
    if not picked:
        raise ApiError(404, "The archive has no videos yet")
    return shapes.video_summary(picked[0])


@bp.get("/discover_videos")
def discover_videos() -> list[dict[str, Any]]:
    return answers.discover_videos(count_arg())


@bp.get("/discover_channels")
def discover_channels() -> list[dict[str, Any]]:
    return answers.discover_channels(count_arg())


@bp.get("/daily_featured_videos")
def daily_featured_videos() -> list[dict[str, Any]]:
    return answers.daily_featured(utcnow().date())


@bp.get("/recently_archived")
def recently_archived() -> list[dict[str, Any]]:
    return shapes.video_list(videos.recently_archived(app_state().db, answers.RECENT_COUNT))


@bp.get("/popular")
def popular() -> list[dict[str, Any]]:
    return answers.popular()


@bp.get("/channel/<channel_id>")
def channel(channel_id: str) -> dict[str, Any]:
    page = page_arg()
    state = app_state()
    found = videos.channel_videos(
        state.db, channel_id, page=page, per_page=state.settings.results_per_page
    )
    if found is None:
        # The frontend maps "results" whatever the status: the empty page's shape, plus why.
        raise ApiError(404, CHANNEL_NOT_FOUND, extra={"pages": 0, "results": []})
    return shapes.video_page(found)


@bp.get("/channel_name")
def channel_name() -> dict[str, Any]:
    channel_id = text_arg("channel_id", max_length=255)
    assert channel_id is not None
    profile = channels.channel_profile(app_state().db, channel_id)
    if profile is None:
        # The channel header splits "description" before it looks at "error".
        raise ApiError(404, CHANNEL_NOT_FOUND, extra={"description": ""})
    return shapes.channel_name(profile)


@bp.post("/exact_match")
def exact_match() -> dict[str, Any]:
    """Patchwork-Radio's lookup (the successor backend's route): the video archived with
    exactly this title and channel name."""
    fields = body_fields()
    title = text_field(fields, "title", max_length=MAX_MATCH_TEXT)
    channel = text_field(fields, "channel_name", max_length=MAX_MATCH_TEXT)
    if not title or not channel:
        # Empty counts as missing: Radio sends "" between songs, which names no video.
        raise ApiError(400, "title and channel_name are required")
    video_id = find_exact(app_state().db, title, channel)
    if video_id is None:
        raise ApiError(404, NO_EXACT_MATCH)
    return {"video_id": video_id}


@bp.get("/search/results")
def search_results() -> dict[str, Any]:
    q, page = _search_args()
    sort = request.args.get("sort") or "relevance"
    if sort not in search_service.SORTS:
        raise ApiError(400, f"sort must be one of {', '.join(search_service.SORTS)}")
    filters = search_service.VideoFilters(
        channel_id=text_arg("channel_id", required=False, max_length=255),
        date_from=_date_arg("from"),
        date_to=_date_arg("to"),
        availability=_availability_arg(),
    )
    state = app_state()
    found = search_service.search_videos(
        state.db,
        q,
        page=page,
        per_page=state.settings.results_per_page,
        sort=sort,  # checked against SORTS above
        filters=filters,
    )
    return shapes.video_search_page(found)


@bp.get("/search/channel")
def search_channel() -> dict[str, Any]:
    q, page = _search_args()
    state = app_state()
    found = search_service.search_channels(
        state.db, q, page=page, per_page=state.settings.results_per_page_channel
    )
    return shapes.channel_search_page(found)


def _date_arg(name: str) -> date | None:
    raw = request.args.get(name)
    if not raw:
        return None
    try:
        if len(raw) != 10:
            raise ValueError
        return date.fromisoformat(raw)
    except ValueError:
        raise ApiError(400, f"{name} must be a date as YYYY-MM-DD") from None


def _availability_arg() -> State | None:
    wanted = choice_arg("availability", [s.value for s in State])
    return State(wanted) if wanted is not None else None


def _search_args() -> tuple[str, int]:
    q = text_arg("q", max_length=search_service.MAX_QUERY_LENGTH)
    assert q is not None
    return q, page_arg()
