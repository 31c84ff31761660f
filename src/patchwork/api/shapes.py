"""JSON shapes of the original API (API-CONTRACT.md), field names kept exactly."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from patchwork.archive.records import (
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
    return {
        "channel_id": video.channel_id,
        "channel_name": video.channel_name,
        "description": video.description,
        "title": video.title,
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
    # the frontend shows that field, so it keeps its value and the real fields are added.
    return {
        "pages": page.pages,
        "pages_capped": page.capped,
        "results": [
            {
                "channel_id": c.channel_id,
                "channel_name": c.name,
                "description": c.romanized_name,
                "romanized_name": c.romanized_name,
                "channel_description": c.description,
            }
            for c in page.items
        ],
    }


def discover_channel(channel: ChannelSummary) -> dict[str, Any]:
    return {
        "channel_id": channel.channel_id,
        "channel_name": channel.name,
        "romanized": channel.romanized_name,
    }


def channel_name(profile: ChannelProfile) -> dict[str, Any]:
    return {
        "aliases": profile.aliases,
        "channel_name": profile.name,
        "description": profile.description,
    }


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
    }


def storage_status(status: StorageStatus) -> dict[str, Any]:
    return {
        "most_recent_archived_video_date": (
            status.most_recent_upload_date.isoformat() if status.most_recent_upload_date else None
        ),
        "most_recent_archived_at": (
            status.most_recent_archived_at.isoformat() if status.most_recent_archived_at else None
        ),
        "number_of_channels": status.number_of_channels,
        "number_of_files": status.number_of_files,
        "storage_size": status.storage_size_mb,
        "units": status.units,
    }
