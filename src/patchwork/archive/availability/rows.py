"""A new video's availability row: ``unknown``, its first check an interval after archiving.

Written in the transaction that creates the video (:func:`patchwork.archive.ingest.info_json.
upsert_video`, the legacy copy), so that no video is ever left out of the schedule.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from patchwork.archive.availability.reasons import State
from patchwork.db.models import VideoAvailability


def availability_row(video_id: str, archived_at: datetime) -> dict[str, Any]:
    """The row's values, for a bulk INSERT."""
    return {
        "video_id": video_id,
        "state": State.UNKNOWN.value,
        "check_from": archived_at,
        "streak_count": 0,
        "checks": 0,
    }


def unknown_availability(video_id: str, archived_at: datetime) -> VideoAvailability:
    return VideoAvailability(**availability_row(video_id, archived_at))
