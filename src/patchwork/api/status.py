"""Status and database endpoints of the original: workers, storage, database, video data."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request

from patchwork.api.catalog import VIDEO_NOT_FOUND
from patchwork.archive.availability.policy import CheckPolicy
from patchwork.archive.catalog import videos
from patchwork.archive.catalog.video_data import caption_offers, stored_info
from patchwork.archive.catalog.video_data import video_data as catalog_video_data
from patchwork.archive.queue import workers
from patchwork.cache import remember
from patchwork.http import answers, availability_shapes, shapes
from patchwork.http.errors import ApiError
from patchwork.http.params import is_probably_bot
from patchwork.state import app_state

bp = Blueprint("status", __name__, url_prefix="/api")

STATUS_TTL = 10
#: Where video_data puts the archive's availability object (/api/video/<id>: "availability").
VIDEO_DATA_AVAILABILITY = "archive_availability"


@bp.get("/status")
def status() -> dict[str, Any]:
    state = app_state()
    return remember(
        state.cache,
        "service_status",
        STATUS_TTL,
        lambda: {
            "workers": [
                shapes.worker_status(w)
                for w in workers.worker_statuses(
                    state.db, heartbeat_seconds=state.settings.heartbeat_seconds
                )
            ]
        },
    )


@bp.get("/storage/status")
def storage_status() -> dict[str, Any]:
    return answers.storage_status()  # StatsUnavailable: 503, said as such (http.errors)


@bp.get("/database/status")
def database_status() -> Response:
    app_state().db.ping()  # DatabaseUnavailable: 503 with Retry-After (http.errors)
    return Response("OK", mimetype="text/plain")


@bp.get("/database/file_data/<video_id>")
def file_data(video_id: str) -> dict[str, Any]:
    info = videos.video_file(app_state().db, video_id)
    if info is None:
        raise ApiError(404, "No file is recorded for this video")
    return {
        "file_size": info.size_mb,
        "file_size_units": "MB",
        "file_type": info.extension,
        "video_id": info.video_id,
    }


@bp.get("/database/video_data/<video_id>")
def video_data(video_id: str) -> dict[str, Any]:
    state = app_state()
    found = catalog_video_data(state.db, video_id, CheckPolicy.of(state.settings))
    if found is None:
        raise ApiError(404, VIDEO_NOT_FOUND)
    if request.method == "GET" and not is_probably_bot():
        state.views.add(video_id)
    info = found.file
    file_fields = {
        # A string always: the frontend's download link is `${id}.${file_ext}`. Without a
        # recorded extension, the original's default without its stray dot.
        "file_ext": info.extension if info and info.extension else "webm",
        "file_size": info.size_mb if info else 0,
        "file_size_units": "MB",
    }
    stored = stored_info(state.storage, found.metadata)
    subtitles = shapes.yt_dlp_subtitles(video_id, caption_offers(found.captions), request.url_root)
    answer = shapes.video_data(found.video, stored, file_fields, subtitles)
    # Not "availability": yt-dlp's info.json has its own (public, unlisted... at download
    # time), served verbatim here, and an existing field is never changed.
    answer[VIDEO_DATA_AVAILABILITY] = availability_shapes.availability(found.availability)
    return answer
