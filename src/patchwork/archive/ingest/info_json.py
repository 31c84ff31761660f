"""Ingest: turn yt-dlp ``.info.json`` metadata into video and channel rows.

Used by ``patchwork import`` (see :mod:`patchwork.archive.ingest.folders`) and by the worker API
(metadata sent when a job completes). Re-ingesting a video updates it and never duplicates.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from patchwork.archive.availability.rows import unknown_availability
from patchwork.archive.catalog.records import romanized_name_of
from patchwork.archive.ingest.regular_files import FileTooLarge, NotRegularFile, read_capped
from patchwork.archive.ingest.source_urls import http_url
from patchwork.archive.search.romanize import romanize
from patchwork.db import Database
from patchwork.db.models import Channel, Video
from patchwork.db.retry import retrying
from patchwork.db.types import LONE_SURROGATE, storable_text
from patchwork.errors import InvalidInput

INFO_SUFFIX = ".info.json"
UNKNOWN_CHANNEL = "unknown"
MAX_INFO_BYTES = 64 * 1024 * 1024


class IngestError(InvalidInput, ValueError):
    """Metadata that cannot become a video; the message says what is wrong."""


@dataclass(frozen=True)
class VideoMetadata:
    video_id: str
    title: str
    channel_id: str
    channel_name: str
    upload_date: date | None
    description: str
    duration: int | None
    platform: str
    source_url: str | None
    channel_description: str | None = None
    # Kept only in a check's version history (patchwork.archive.availability.history).
    tags: tuple[str, ...] | None = None
    thumbnail_url: str | None = None


def parse_info(info: Mapping[str, Any]) -> VideoMetadata:
    """Read the fields the archive keeps from a yt-dlp info dict."""
    if not isinstance(info, Mapping):
        raise IngestError("not a JSON object")
    if info.get("_type") not in (None, "video"):
        raise IngestError(f"describes a {info.get('_type')}, not a video")
    # The id is read as sent: a NUL in it is refused below, never dropped into another id.
    raw_id = info.get("id")
    video_id = raw_id.strip() if isinstance(raw_id, str) else ""
    if not video_id:
        raise IngestError("has no 'id'")
    if len(video_id) > 255:
        raise IngestError("'id' is longer than 255 characters")
    if not usable_id(video_id):
        raise IngestError(f"'id' {video_id!r} cannot name a video (/, \\, control characters)")
    title = _text(info.get("title")) or _text(info.get("fulltitle"))
    if not title:
        raise IngestError("has no 'title'")
    # YouTube names channels in channel/channel_id; Bilibili and most others use uploader*.
    channel_id = (
        _text(info.get("channel_id")) or _text(info.get("uploader_id")) or UNKNOWN_CHANNEL
    )[:255]
    channel_name = _text(info.get("channel")) or _text(info.get("uploader")) or channel_id
    platform = (_text(info.get("extractor_key")) or _text(info.get("extractor")) or "").lower()
    return VideoMetadata(
        video_id=video_id,
        title=title,
        channel_id=channel_id,
        channel_name=channel_name,
        upload_date=_upload_date(info),
        description=_text(info.get("description")),
        duration=_duration(info.get("duration")),
        platform=platform[:64],
        source_url=http_url(_text(info.get("webpage_url")) or _text(info.get("original_url"))),
        tags=_tags(info.get("tags")),
        thumbnail_url=http_url(_text(info.get("thumbnail"))),
    )


def _tags(value: Any) -> tuple[str, ...] | None:
    if not isinstance(value, list):
        return None
    return tuple(tag for tag in (_text(item)[:255] for item in value[:500]) if tag)


def usable_id(value: str) -> bool:
    """Whether ``value`` can name a video or channel: one storage path segment, printable.

    A ``/`` would make it a folder (``X`` would then own the captions of ``X/child``).
    """
    return (
        value not in (".", "..")
        and "/" not in value
        and "\\" not in value
        and not any(ord(c) < 0x20 or ord(c) == 0x7F for c in value)
        and not LONE_SURROGATE.search(value)
    )


def _text(value: Any) -> str:
    # A site's title or description may carry a NUL or a lone surrogate, which not every
    # database stores; refusing the metadata would lose the video, so they are cleaned.
    return storable_text(value).strip() if isinstance(value, str) else ""


def _upload_date(info: Mapping[str, Any]) -> date | None:
    for key in ("upload_date", "release_date"):
        raw = info.get(key)
        if isinstance(raw, str | int):
            parsed = parse_compact_date(str(raw))
            if parsed:
                return parsed
    stamp = info.get("timestamp") or info.get("release_timestamp")
    if isinstance(stamp, int | float) and 0 < stamp < 32503680000:
        return datetime.fromtimestamp(stamp, UTC).date()
    return None


def parse_compact_date(raw: str) -> date | None:
    """``YYYYMMDD`` (yt-dlp) or ``YYYY-MM-DD`` (the original's column) to a date."""
    text = raw.strip().replace("-", "")
    if len(text) != 8 or not text.isdigit():
        return None
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        return None


def _duration(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return round(value) if 0 <= value < 2**31 else None


def upsert_video(
    session: Session, meta: VideoMetadata, *, source_target: str | None = None
) -> tuple[Video, bool]:
    """Create or update the video and its channel; returns the row and whether it is new.

    The video's row is locked for the rest of the transaction, so two writers of one video
    take turns. Two transactions creating the same new video or channel at once: the
    second fails on the unique index, and callers run it again (``retrying(...,
    duplicates=True)``), when it finds and updates the row the first one committed.
    ``source_target`` pins the video to the queue target it came from, if it has none.
    """
    video = session.scalars(
        select(Video).where(Video.video_id == meta.video_id).with_for_update()
    ).first()
    created = video is None
    if video is None:
        video = Video(video_id=meta.video_id)
        session.add(video)
    video.title = meta.title
    video.romanized_title = romanize(meta.title)
    video.channel_id = meta.channel_id
    video.channel_name = meta.channel_name
    video.upload_date = meta.upload_date
    video.description = meta.description
    video.duration = meta.duration
    video.platform = meta.platform
    video.source_url = meta.source_url
    if source_target is not None and video.source_target is None:
        video.source_target = source_target
    session.flush()
    if created:
        # In the video's own transaction: no video is ever without its availability row.
        session.add(unknown_availability(video.video_id, video.archived_at))
    _upsert_channel(session, meta)
    return video, created


def _upsert_channel(session: Session, meta: VideoMetadata) -> None:
    channel = session.scalars(select(Channel).where(Channel.channel_id == meta.channel_id)).first()
    if channel is None:
        channel = Channel(
            channel_id=meta.channel_id,
            name=meta.channel_name,
            romanized_name=romanized_name_of(meta.channel_name),
            description=meta.channel_description,
        )
        session.add(channel)
        return
    if meta.channel_description is not None:
        channel.description = meta.channel_description
    # The channel's current name is the one on its newest upload, whatever order they arrive.
    newest = session.scalar(
        select(func.max(Video.upload_date)).where(Video.channel_id == meta.channel_id)
    )
    is_newest = meta.upload_date is None or newest is None or meta.upload_date >= newest
    if is_newest and channel.name != meta.channel_name:
        channel.name = meta.channel_name
        channel.romanized_name = romanized_name_of(meta.channel_name)


def ingest_metadata(db: Database, meta: VideoMetadata) -> bool:
    """Store one video's metadata in its own transaction; ``True`` when it was new."""

    def run() -> bool:
        with db.transaction() as session:
            _, created = upsert_video(session, meta)
            return created

    return retrying(run, duplicates=True)


def read_info_file(path: Path) -> VideoMetadata:
    """A regular file's metadata, read with a cap; any problem is an IngestError naming it."""
    try:
        data = read_capped(path, MAX_INFO_BYTES)
    except FileTooLarge as exc:
        raise IngestError(str(exc)) from None
    except NotRegularFile as exc:
        raise IngestError(exc.strerror or "is not a regular file") from None
    except OSError as exc:
        raise IngestError(f"cannot be read: {exc.strerror or exc}") from None
    try:
        info = json.loads(data)
    except UnicodeDecodeError as exc:
        raise IngestError(f"cannot be read: {exc}") from None
    except json.JSONDecodeError as exc:
        raise IngestError(f"is not valid JSON ({exc.msg} at line {exc.lineno})") from None
    except RecursionError:
        raise IngestError("is nested too deeply to be metadata") from None
    return parse_info(info)
