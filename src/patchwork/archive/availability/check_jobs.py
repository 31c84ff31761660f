"""What a check job names: its target ``check:<video_id>`` and the page it checks."""

from __future__ import annotations

PREFIX = "check:"


def check_target(video_id: str) -> str:
    return f"{PREFIX}{video_id}"


def video_of_target(target: str) -> str | None:
    return target[len(PREFIX) :] or None if target.startswith(PREFIX) else None


def check_url(video_id: str, source_url: str | None, platform: str | None) -> str | None:
    """Where the video's page is: the URL it was archived from, else its platform's."""
    if source_url:
        return source_url
    if platform == "youtube":
        return f"https://www.youtube.com/watch?v={video_id}"
    if platform == "bilibili":
        return f"https://www.bilibili.com/video/{video_id}"
    return None
