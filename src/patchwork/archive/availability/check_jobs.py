"""What a check job names: its target ``check:<video_id>`` and the page it checks."""

from __future__ import annotations

from patchwork.db.models import Video

PREFIX = "check:"


def check_target(video_id: str) -> str:
    return f"{PREFIX}{video_id}"


def video_of_target(target: str) -> str | None:
    return target[len(PREFIX) :] or None if target.startswith(PREFIX) else None


def check_url(video: Video) -> str | None:
    """Where the video's page is: the URL it was archived from, else its platform's."""
    if video.source_url:
        return video.source_url
    if video.platform == "youtube":
        return f"https://www.youtube.com/watch?v={video.video_id}"
    if video.platform == "bilibili":
        return f"https://www.bilibili.com/video/{video.video_id}"
    return None
