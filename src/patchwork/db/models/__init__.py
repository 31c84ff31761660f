"""The data model (docs/design.md, "Data model"); each docstring names the original's table.

The core tables are here; subscriptions' (:mod:`.sources`) and lost media's
(:mod:`.availability`) have modules of their own, re-exported below so every model is
``patchwork.db.models.<Name>``.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from patchwork.db.models.base import (
    MYSQL_TABLE_ARGS,
    NAMING_CONVENTION,
    Base,
    SearchTerm,
    SearchText,
)
from patchwork.db.types import BigId, IdString, LongText, UtcDateTime, utcnow


class Video(Base):
    """An archived video [songs + romanized]. ``id`` is archive order."""

    __tablename__ = "videos"
    __table_args__ = (
        Index("ix_videos_channel_upload", "channel_id", "upload_date", "id"),
        Index("ix_videos_upload_date", "upload_date", "id"),
        Index("ix_videos_source_target", "source_target"),
        Index("ix_videos_title_key", "title_key"),
        MYSQL_TABLE_ARGS,
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    video_id: Mapped[str] = mapped_column(IdString(255), unique=True)
    title: Mapped[str] = mapped_column(LongText())
    romanized_title: Mapped[str | None] = mapped_column(LongText())
    channel_id: Mapped[str] = mapped_column(IdString(255))
    channel_name: Mapped[str] = mapped_column(LongText())
    upload_date: Mapped[date | None] = mapped_column(Date)
    description: Mapped[str] = mapped_column(LongText(), default="")
    duration: Mapped[int | None] = mapped_column(Integer)
    platform: Mapped[str] = mapped_column(String(64), default="")
    source_url: Mapped[str | None] = mapped_column(LongText())
    # The queue target (archive/ingest/targets.py) this video was archived from: its identity is
    # pinned to it, so a job for another target can never replace it (decision 0007).
    source_target: Mapped[str | None] = mapped_column(IdString(512))
    archived_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)
    # Search: marked, normalised text kept by patchwork.archive.search.indexing (docs/search.md).
    # Deferred: only SQL reads them (search conditions), so loading a video never sends them.
    search_title: Mapped[str | None] = mapped_column(SearchText(), deferred=True)
    search_channel: Mapped[str | None] = mapped_column(SearchText(), deferred=True)
    #: SHA-256 of title and channel name: exact-match lookups (archive.search.exact_match).
    title_key: Mapped[str | None] = mapped_column(String(64))


# PostgreSQL sorts NULL first in DESC, so "newest upload first, undated last" (channel pages,
# a channel's current name) cannot read ix_videos_channel_upload backwards there as MySQL and
# SQLite do: this index is that order. PostgreSQL only (MySQL has no NULLS LAST).
Index(
    "ix_videos_channel_newest",
    Video.channel_id,
    Video.upload_date.desc().nulls_last(),
    Video.id.desc(),
).ddl_if(dialect="postgresql")


class Channel(Base):
    """A channel [channels]."""

    __tablename__ = "channels"
    __table_args__ = (MYSQL_TABLE_ARGS,)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    channel_id: Mapped[str] = mapped_column(IdString(255), unique=True)
    name: Mapped[str] = mapped_column(LongText())
    romanized_name: Mapped[str | None] = mapped_column(LongText())
    description: Mapped[str | None] = mapped_column(LongText())
    has_avatar: Mapped[bool] = mapped_column(Boolean, default=False)
    has_banner: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)
    search_text: Mapped[str | None] = mapped_column(SearchText(), deferred=True)


class VideoTerm(Base):
    """Search postings of a video (patchwork.archive.search.indexing); deleted with the video."""

    __tablename__ = "video_terms"
    __table_args__ = (
        # One term's postings, title ones apart, newest first: a page is a range scan.
        Index("ix_video_terms_rank", "term", "in_title", "rank", "video_id"),
        {**MYSQL_TABLE_ARGS, "sqlite_with_rowid": False},
    )

    video_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("videos.id", ondelete="CASCADE"), primary_key=True
    )
    term: Mapped[str] = mapped_column(SearchTerm(), primary_key=True)
    in_title: Mapped[bool] = mapped_column(Boolean, default=False)
    #: The newest-first sort key (patchwork.archive.search.indexing.video_rank: upload date, id).
    rank: Mapped[int] = mapped_column(BigInteger)


class ChannelTerm(Base):
    """Search postings of a channel; deleted with the channel."""

    __tablename__ = "channel_terms"
    __table_args__ = (
        Index("ix_channel_terms_term", "term", "channel_id"),
        {**MYSQL_TABLE_ARGS, "sqlite_with_rowid": False},
    )

    channel_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("channels.id", ondelete="CASCADE"), primary_key=True
    )
    term: Mapped[str] = mapped_column(SearchTerm(), primary_key=True)


class StoredFile(Base):
    """A file of a video in storage [files]: ``kind`` is video, thumbnail or metadata."""

    __tablename__ = "files"
    __table_args__ = (UniqueConstraint("video_id", "kind"), MYSQL_TABLE_ARGS)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    video_id: Mapped[str] = mapped_column(
        IdString(255), ForeignKey("videos.video_id", ondelete="CASCADE")
    )
    kind: Mapped[str] = mapped_column(String(16))
    storage_key: Mapped[str] = mapped_column(String(1024))
    extension: Mapped[str | None] = mapped_column(String(32))
    size_bytes: Mapped[int] = mapped_column(BigId, default=0)
    # Sizes copied from the original's ``size_mb`` are rounded MiB until a storage scan.
    size_is_approximate: Mapped[bool] = mapped_column(Boolean, default=False)
    sha256: Mapped[str | None] = mapped_column(String(64))
    content_type: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class Caption(Base):
    """A caption track of a video (the original kept only files in the bucket)."""

    __tablename__ = "captions"
    __table_args__ = (UniqueConstraint("video_id", "language", "format"), MYSQL_TABLE_ARGS)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    video_id: Mapped[str] = mapped_column(
        IdString(255), ForeignKey("videos.video_id", ondelete="CASCADE")
    )
    language: Mapped[str] = mapped_column(IdString(64))
    format: Mapped[str] = mapped_column(String(16))
    storage_key: Mapped[str] = mapped_column(String(1024))
    size_bytes: Mapped[int] = mapped_column(BigId, default=0)
    sha256: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class ViewCount(Base):
    """How often a video was watched [views]."""

    __tablename__ = "views"
    # Most viewed first, ties to the most recently archived: one index read from the top.
    __table_args__ = (Index("ix_views_popular", "count", "video_row"), MYSQL_TABLE_ARGS)

    video_id: Mapped[str] = mapped_column(
        IdString(255), ForeignKey("videos.video_id", ondelete="CASCADE"), primary_key=True
    )
    count: Mapped[int] = mapped_column(BigId, default=0)
    #: The video's ``videos.id`` (its archive order), copied so popular needs no join to sort.
    video_row: Mapped[int] = mapped_column(BigId, default=0)


class Token(Base):
    """A credential [archive_queue_auth, archive_worker_auth]; only the secret's hash is kept."""

    __tablename__ = "tokens"
    __table_args__ = (MYSQL_TABLE_ARGS,)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(IdString(255), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    secret_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class Job(Base):
    """A request to archive, re-archive or delete a video [archive_queue].

    States: queued -> leased -> done | failed | cancelled; a lapsed lease goes back to queued.
    """

    __tablename__ = "jobs"
    __table_args__ = (
        Index("ix_jobs_claim", "state", "available_at", "id"),
        Index("ix_jobs_target_state", "target", "state"),
        Index("ix_jobs_lease", "state", "lease_expires_at"),
        Index("ix_jobs_source_state", "source_id", "state"),
        # The availability checks' hourly budget counts a mode's jobs by creation time.
        Index("ix_jobs_mode_created", "mode", "created_at"),
        MYSQL_TABLE_ARGS,
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    url: Mapped[str] = mapped_column(LongText())
    target: Mapped[str] = mapped_column(IdString(512))
    mode: Mapped[int] = mapped_column(SmallInteger, default=0)
    state: Mapped[str] = mapped_column(String(16), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=3)
    available_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    lease_token_id: Mapped[int | None] = mapped_column(ForeignKey("tokens.id", ondelete="SET NULL"))
    lease_owner: Mapped[str | None] = mapped_column(String(255))
    lease_expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    progress_percent: Mapped[float | None] = mapped_column(Float)
    progress_message: Mapped[str | None] = mapped_column(LongText())
    last_error: Mapped[str | None] = mapped_column(LongText())
    created_by_token_id: Mapped[int | None] = mapped_column(
        ForeignKey("tokens.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # The subscription whose scan queued this archive job (a scan job names its source in
    # its target, source:<id>, so that counting a source's archive jobs reads no scan).
    # No foreign key: removing a source clears it (patchwork.archive.sources.catalog), and
    # adding one to ``jobs`` would make SQLite's migration copy the whole queue.
    source_id: Mapped[int | None] = mapped_column(BigInteger)
    # What the worker is asked to do beyond the defaults, as JSON (a source's archive options).
    options: Mapped[str | None] = mapped_column(LongText())


class JobEvent(Base):
    """Append-only history of a job [archive_log]; the actor is a token id, never a secret."""

    __tablename__ = "job_events"
    __table_args__ = (Index("ix_job_events_job", "job_id", "id"), MYSQL_TABLE_ARGS)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"))
    event: Mapped[str] = mapped_column(String(32))
    actor_token_id: Mapped[int | None] = mapped_column(ForeignKey("tokens.id", ondelete="SET NULL"))
    actor_name: Mapped[str | None] = mapped_column(String(255))
    message: Mapped[str | None] = mapped_column(LongText())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class Worker(Base):
    """A worker machine as last reported by its heartbeat [worker_status]."""

    __tablename__ = "workers"
    __table_args__ = (UniqueConstraint("token_id", "name"), MYSQL_TABLE_ARGS)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(IdString(255))
    token_id: Mapped[int | None] = mapped_column(ForeignKey("tokens.id", ondelete="SET NULL"))
    status: Mapped[str | None] = mapped_column(LongText())
    current_job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"))
    progress_percent: Mapped[float | None] = mapped_column(Float)
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    # Who last claimed as this worker: X-Patchwork-Worker's value, or a marker for a claim
    # without it (patchwork.archive.queue.worker_clients); NULL until the first claim.
    client: Mapped[str | None] = mapped_column(String(64))


class KeyValue(Base):
    """Free-form settings [kv]; the legacy manual storage-statistics numbers live here."""

    __tablename__ = "kv"
    __table_args__ = (MYSQL_TABLE_ARGS,)

    key: Mapped[str] = mapped_column(IdString(255), primary_key=True)
    value: Mapped[str | None] = mapped_column(String(255))


# Imported last: they build on Base above.
from patchwork.db.models.availability import (  # noqa: E402
    AvailabilityCheck,
    AvailabilityCount,
    CheckCount,
    VideoAvailability,
    VideoVersion,
)
from patchwork.db.models.sources import Source, SourceEntry  # noqa: E402
from patchwork.db.models.summaries import AnswerSnapshot, ChannelName  # noqa: E402

__all__ = [
    "MYSQL_TABLE_ARGS",
    "NAMING_CONVENTION",
    "AnswerSnapshot",
    "AvailabilityCheck",
    "AvailabilityCount",
    "Base",
    "Caption",
    "Channel",
    "ChannelName",
    "ChannelTerm",
    "CheckCount",
    "Job",
    "JobEvent",
    "KeyValue",
    "SearchTerm",
    "SearchText",
    "Source",
    "SourceEntry",
    "StoredFile",
    "Token",
    "Video",
    "VideoAvailability",
    "VideoTerm",
    "VideoVersion",
    "ViewCount",
    "Worker",
]
