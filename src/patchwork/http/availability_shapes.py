"""JSON shapes of lost media (Patchwork's own, no original to keep to): a video's
``availability`` object, its metadata history, the lost videos.

Times are ISO 8601 in UTC, null when there is none; reasons are the stable words of
:mod:`patchwork.archive.availability.reasons`, each beside the label pages show.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from patchwork.archive.availability.lost import (
    AvailabilityInfo,
    LostPage,
    LostVideo,
    ObservationInfo,
    VersionInfo,
    VideoHistory,
)
from patchwork.archive.availability.reasons import State
from patchwork.http.shapes import iso_date

#: Builds the URL of a version's stored object: (version number, "metadata"|"thumbnail").
ObjectUrl = Callable[[int, str], str]


def iso_time(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def availability(info: AvailabilityInfo | None) -> dict[str, Any]:
    """A video's ``availability`` object; a video without a row is ``unknown``, never checked."""
    if info is None:
        return {
            "state": State.UNKNOWN.value,
            "reason": None,
            "reason_label": None,
            "since": None,
            "last_checked": None,
            "next_check": None,
            "checks": 0,
            "pending": None,
        }
    pending = info.pending
    return {
        "state": info.state,
        "reason": info.reason,
        "reason_label": info.reason_label,
        "since": iso_time(info.since),
        "last_checked": iso_time(info.last_checked),
        "next_check": iso_time(info.next_check),
        "checks": info.checks,
        "pending": (
            {
                "outcome": pending.outcome,
                "reason": pending.reason,
                "answers": pending.answers,
                "needed": pending.needed,
            }
            if pending is not None
            else None
        ),
    }


def version(found: VersionInfo, object_url: ObjectUrl) -> dict[str, Any]:
    # thumbnail_url is the site's, as the version saw it; archived_thumbnail_url the copy kept.
    return {
        "number": found.number,
        "seen_at": iso_time(found.seen_at),
        "title": found.title,
        "description": found.description,
        "channel_name": found.channel_name,
        "tags": found.tags,
        "thumbnail_url": found.thumbnail_url,
        "changed": found.changed,
        "metadata_url": object_url(found.number, "metadata") if found.has_info else None,
        "archived_thumbnail_url": (
            object_url(found.number, "thumbnail") if found.has_thumbnail else None
        ),
    }


def observation(seen: ObservationInfo) -> dict[str, Any]:
    return {
        "checked_at": iso_time(seen.checked_at),
        "outcome": seen.outcome,
        "reason": seen.reason,
        "reason_label": seen.reason_label,
        "message": seen.message,
        "worker": seen.worker,
    }


def history(found: VideoHistory, object_url: ObjectUrl) -> dict[str, Any]:
    """``/api/video/<id>/history``: versions oldest first, observations newest first."""
    return {
        "video_id": found.video_id,
        "versions": [version(v, object_url) for v in found.versions],
        "observations": [observation(o) for o in found.observations],
        "observations_total": found.observations_total,
    }


def lost_video(video: LostVideo) -> dict[str, Any]:
    return {
        "video_id": video.video_id,
        "title": video.title or "",
        "channel_id": video.channel_id or "",
        "channel_name": video.channel_name or "",
        "upload_date": iso_date(video.upload_date),
        "reason": video.reason,
        "reason_label": video.reason_label,
        "since": iso_time(video.since),
        "last_checked": iso_time(video.last_checked),
    }


def lost_page(page: LostPage) -> dict[str, Any]:
    """``/api/lost``: one page of lost videos, newest loss first, and every loss by reason."""
    return {
        "videos": [lost_video(v) for v in page.videos],
        "page": page.page,
        "pages": page.pages,
        "total": page.total,
        "reasons": dict(sorted(page.reasons.items())),
    }
