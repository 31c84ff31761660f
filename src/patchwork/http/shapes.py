"""JSON shapes of the original API (docs/api-contract.md), field names kept exactly.

Null rule: a field the original always filled with a string is a string here too, because
the reference frontend dereferences them without a check (``description.split``,
``.toLowerCase()``) and one TypeError unmounts the whole app. So VideoSummary fields,
``channel_name``'s ``description``, channel-search ``description`` and storage status's
``most_recent_archived_video_date`` fall back to ``""`` (or, for a romanized name, to the
name itself). Fields the contract lists as nullable stay nullable: ``file_type``,
workers' ``name``/``status``; Patchwork's own additions say null when there is nothing
(``most_recent_archived_at``, ``romanized_name`` when it equals the name).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import quote

from patchwork.archive.catalog.records import (
    ChannelProfile,
    ChannelSummary,
    Page,
    StorageStatus,
    VideoSummary,
    WorkerStatus,
)


def iso_date(value: date | None) -> str:
    return value.isoformat() if value else ""


def video_summary(video: VideoSummary) -> dict[str, Any]:
    # The columns are NOT NULL; "or" keeps the promise for rows an import wrote by hand.
    return {
        "channel_id": video.channel_id or "",
        "channel_name": video.channel_name or "",
        "description": video.description or "",
        "title": video.title or "",
        "upload_date": iso_date(video.upload_date),
        "video_id": video.video_id,
    }


def video_list(videos: list[VideoSummary]) -> list[dict[str, Any]]:
    return [video_summary(v) for v in videos]


def video_page(page: Page[VideoSummary]) -> dict[str, Any]:
    return {"pages": page.pages, "results": video_list(page.items)}


def video_search_page(page: Page[VideoSummary]) -> dict[str, Any]:
    # A search stops counting at a cap; "pages_capped" says when "pages" is a lower bound.
    return {**video_page(page), "pages_capped": page.capped}


def channel_search_page(page: Page[ChannelSummary]) -> dict[str, Any]:
    # The original put the romanized name under "description" (it read the wrong column);
    # the frontend filters on that field with .toLowerCase(), so it keeps its value, always
    # a string (the name itself when it needs no romaji), and the real fields are added.
    return {
        "pages": page.pages,
        "pages_capped": page.capped,
        "results": [
            {
                "channel_id": c.channel_id,
                "channel_name": c.name,
                "description": c.romanized_name,
                "romanized_name": c.distinct_romanization,
                "channel_description": c.description or "",
            }
            for c in page.items
        ],
    }


def discover_channel(channel: ChannelSummary) -> dict[str, Any]:
    # string|null in the contract; every channel has a romanized name now, so a string.
    return {
        "channel_id": channel.channel_id,
        "channel_name": channel.name,
        "romanized": channel.romanized_name,
    }


def channel_name(profile: ChannelProfile) -> dict[str, Any]:
    # Channels imported without a description hold NULL; the frontend splits this field.
    return {
        "aliases": profile.aliases,
        "channel_name": profile.name,
        "description": profile.description or "",
    }


def yt_dlp_subtitles(
    video_id: str, offers: Mapping[str, list[str]], base_url: str
) -> dict[str, list[dict[str, str]]]:
    """yt-dlp's ``subtitles`` mapping for the captions Patchwork serves, absolute URLs.

    srv3 and vtt use the frontend's own shape, ``/media/captions/<id>/<id>.<lang>.<ext>``;
    another stored format is fetched by ``/media/captions/<id>/<lang>?format=<ext>``.
    """
    root = base_url.rstrip("/")
    vid = quote(video_id, safe="")

    def url(language: str, ext: str) -> str:
        lang = quote(language, safe="")
        if ext in ("srv3", "vtt"):
            return f"{root}/media/captions/{vid}/{vid}.{lang}.{ext}"
        return f"{root}/media/captions/{vid}/{lang}?format={quote(ext, safe='')}"

    return {
        language: [{"ext": ext, "url": url(language, ext)} for ext in formats]
        for language, formats in offers.items()
    }


#: info.json fields the frontend reads as strings, and where the database row has them.
_INFO_STRINGS = ("title", "channel", "channel_id", "description", "upload_date")


def video_data(
    video: VideoSummary,
    stored: Mapping[str, Any] | None,
    file_fields: Mapping[str, Any],
    subtitles: dict[str, list[dict[str, str]]],
) -> dict[str, Any]:
    """``/api/database/video_data``: the stored info.json, else the database's fields.

    The original answered yt-dlp's info.json verbatim plus the file fields. Here, also:
    ``_type`` is added when missing (the frontend reads it to tell a real info.json), the
    string fields it dereferences are filled from the database when the file lacks them
    (``description.split`` on null blanks the page), and ``subtitles`` is always what
    Patchwork holds: the frontend builds each caption's URL from the language alone, so
    offering a language the archive cannot serve (or yt-dlp's expiring YouTube URLs) would
    only fail; the file as downloaded stays at ``/media/metadata/<id>``.
    """
    if stored is None:
        return {
            "_type": "video",
            "channel": video.channel_name or "",
            "channel_id": video.channel_id or "",
            "description": video.description or "",
            **file_fields,
            "subtitles": subtitles,
            "title": video.title or "",
            "upload_date": iso_date(video.upload_date),  # YYYY-MM-DD, as the original's row
            "video_id": video.video_id,
        }
    fallback = {
        "title": video.title,
        "channel": video.channel_name,
        "channel_id": video.channel_id,
        "description": video.description,
        # info.json's own format, YYYYMMDD.
        "upload_date": video.upload_date.strftime("%Y%m%d") if video.upload_date else "",
    }
    filled = {k: fallback[k] or "" for k in _INFO_STRINGS if not isinstance(stored.get(k), str)}
    answer: dict[str, Any] = {**stored, **filled, **file_fields, "subtitles": subtitles}
    if not isinstance(answer.get("_type"), str):
        answer["_type"] = "video"
    return answer


def legacy_timestamp(value: datetime) -> str:
    """The original's heartbeat text: ``YYYY-MM-DD HH:MM:SS[.ffffff]`` (here in UTC)."""
    return str(value.astimezone(UTC).replace(tzinfo=None))


def worker_status(worker: WorkerStatus) -> dict[str, Any]:
    return {
        "name": worker.name,
        "status": worker.status,
        "timestamp": legacy_timestamp(worker.last_seen_at),
        "last_seen": worker.last_seen_at.isoformat(),
        "online": worker.online,
        "current_job_id": worker.current_job_id,
        "progress": worker.progress_percent,
        "client": worker.client,
        "compatible": worker.compatible,
        "incompatible_reason": worker.incompatible_reason,
    }


def storage_status(status: StorageStatus) -> dict[str, Any]:
    return {
        # The original's field is a string (an empty archive made it crash instead).
        "most_recent_archived_video_date": iso_date(status.most_recent_upload_date),
        "most_recent_archived_at": (
            status.most_recent_archived_at.isoformat() if status.most_recent_archived_at else None
        ),
        "number_of_channels": status.number_of_channels,
        "number_of_files": status.number_of_files,
        "storage_size": status.storage_size_mb,
        "units": status.units,
    }
