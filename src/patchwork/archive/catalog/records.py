"""Plain records the services hand to the web layers (no ORM objects leave a session)."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import Row

from patchwork.archive.search.indexing import channel_romaji
from patchwork.db.models import Channel, StoredFile, Video

T = TypeVar("T")

BYTES_PER_MB = 1024 * 1024  # the original called MiB "MB"; the API keeps its unit name


@dataclass(frozen=True)
class VideoSummary:
    video_id: str
    title: str
    channel_id: str
    channel_name: str
    upload_date: date | None
    description: str
    romanized_title: str | None = None

    @classmethod
    def of(cls, video: Video | Row[*tuple[Any, ...]]) -> VideoSummary:
        """From a Video or a row of :data:`SUMMARY_COLUMNS`."""
        return cls(**{name: getattr(video, name) for name in _SUMMARY_FIELDS})


_SUMMARY_FIELDS = tuple(f.name for f in fields(VideoSummary))
#: What a summary is made of, the Video columns of its fields: lists and point reads read
#: these, not whole rows (no ORM objects to build, and PyMySQL parses a descriptor per column).
SUMMARY_COLUMNS = tuple(getattr(Video, name) for name in _SUMMARY_FIELDS)


@dataclass(frozen=True)
class ChannelSummary:
    channel_id: str
    name: str
    #: Never empty: every channel has a romanized name, its name itself when it needs none.
    romanized_name: str
    description: str | None

    @classmethod
    def of(cls, channel: Channel) -> ChannelSummary:
        return cls(
            channel_id=channel.channel_id,
            name=channel.name,
            romanized_name=romanized_name_of(channel.name, channel.romanized_name),
            description=channel.description,
        )

    @property
    def distinct_romanization(self) -> str | None:
        return distinct_romanization(self.name, self.romanized_name)


def distinct_romanization(name: str, romanized: str) -> str | None:
    """The romanized name when it says something the name does not (worth showing)."""
    return romanized if romanized != name else None


def romanized_name_of(name: str, stored: str | None = None) -> str:
    """A channel's romanized name: the stored one, else romaji made now, else the name.

    New channels get theirs when written; this covers rows written before (imports of the
    original kept NULL where its worker wrote none).
    """
    if stored:
        return stored
    return (channel_romaji(name) or name) if name else ""


@dataclass(frozen=True)
class ChannelProfile:
    channel_id: str
    name: str
    description: str | None
    aliases: list[str]
    romanized_name: str | None
    video_count: int
    #: Whether the channel's avatar and banner are stored (/media/avatar, /media/banner).
    has_avatar: bool = False
    has_banner: bool = False


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    total: int
    page: int
    per_page: int
    capped: bool = False

    @property
    def pages(self) -> int:
        return -(-self.total // self.per_page)


@dataclass(frozen=True)
class FileInfo:
    video_id: str
    extension: str | None
    size_bytes: int
    content_type: str | None
    storage_key: str

    @classmethod
    def of(cls, row: StoredFile) -> FileInfo:
        return cls(
            video_id=row.video_id,
            extension=row.extension,
            size_bytes=row.size_bytes,
            content_type=row.content_type,
            storage_key=row.storage_key,
        )

    @property
    def size_mb(self) -> float:
        return round(self.size_bytes / BYTES_PER_MB, 2)


@dataclass(frozen=True)
class WorkerStatus:
    name: str
    status: str | None
    last_seen_at: datetime
    online: bool
    current_job_id: int | None
    progress_percent: float | None
    client: str | None = None  # X-Patchwork-Worker of its last heartbeat
    # False once it claimed without that header (the original worker): it gets no jobs.
    compatible: bool = True
    incompatible_reason: str | None = None


@dataclass(frozen=True)
class StorageStatus:
    number_of_files: int
    number_of_channels: int
    storage_size_mb: float
    most_recent_upload_date: date | None
    most_recent_archived_at: datetime | None
    units: str = "MB"
