"""Lost media's public read API: a video's metadata history and its checks, the lost videos.

A video's current availability is in ``/api/video/<id>`` (``availability``); the stored
objects of each metadata version are served by ``/media/history/...`` (:mod:`.media`).
docs/availability.md says what the states and reasons mean.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, url_for

from patchwork.api.catalog import VIDEO_NOT_FOUND
from patchwork.archive.availability import lost
from patchwork.archive.availability.reasons import UNAVAILABLE_REASONS
from patchwork.http import availability_shapes
from patchwork.http.errors import ApiError
from patchwork.http.params import choice_arg, page_arg
from patchwork.state import app_state

bp = Blueprint("availability", __name__, url_prefix="/api")


@bp.get("/video/<video_id>/history")
def video_history(video_id: str) -> dict[str, Any]:
    found = lost.history_of(app_state().db, video_id)
    if found is None:
        raise ApiError(404, VIDEO_NOT_FOUND)

    def object_url(number: int, kind: str) -> str:
        return url_for(f"media.history_{kind}", video_id=video_id, version=number)

    return availability_shapes.history(found, object_url)


@bp.get("/lost")
def lost_videos() -> dict[str, Any]:
    reason = choice_arg("reason", UNAVAILABLE_REASONS)
    page = page_arg()
    state = app_state()
    found = lost.lost_videos(
        state.db, reason=reason, page=page, per_page=state.settings.results_per_page
    )
    return availability_shapes.lost_page(found)
