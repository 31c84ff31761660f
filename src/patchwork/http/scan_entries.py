"""An entry of a scan's page, read from the worker's JSON (the API's field names)."""

from __future__ import annotations

import math
from typing import Any

from patchwork.archive.sources.rules import KNOWN_LIVE_STATUSES, Entry
from patchwork.http.body_fields import day_field, text_field
from patchwork.http.errors import ApiError


def scan_entry(item: Any, index: int) -> Entry:
    """``{"url", "id", "title", "duration", "upload_date", "live_status"}``: only ``url``
    is required; an upload date is ``YYYY-MM-DD`` or yt-dlp's ``YYYYMMDD``."""
    where = f"entries[{index}]"
    if not isinstance(item, dict):
        raise ApiError(400, f"{where} must be an object")
    url = text_field(item, "url", max_length=2048)
    if not url:
        raise ApiError(400, f"{where}.url is required")
    duration = item.get("duration")
    if duration is not None:
        if isinstance(duration, bool) or not isinstance(duration, int | float):
            raise ApiError(400, f"{where}.duration must be a number of seconds")
        if not math.isfinite(duration) or duration < 0:
            raise ApiError(400, f"{where}.duration must be a number of seconds")
        duration = int(duration)
    live = text_field(item, "live_status", max_length=32)
    if live is not None and live not in KNOWN_LIVE_STATUSES:
        live = None  # a status of a newer yt-dlp: treated as unknown
    return Entry(
        url=url,
        video_id=text_field(item, "id", max_length=255) or None,
        title=text_field(item, "title", max_length=1000, drop_nul=True),
        duration=duration,
        upload_date=day_field(item, "upload_date", label=f"{where}.upload_date"),
        live_status=live,
    )
