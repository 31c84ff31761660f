"""The data model (docs/design.md, "Data model"); each docstring names the original's table."""

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
    MetaData,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeEngine

from patchwork.db.types import BigId, IdString, LongText, UtcDateTime, utcnow

# Deterministic constraint names keep migrations identical on every database.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def SearchText() -> TypeEngine[str]:
    """Normalised search text compared byte for byte (``LIKE`` must not fold anything more)."""
    return Text().with_variant(
        mysql.MEDIUMTEXT(charset="utf8mb4", collation="utf8mb4_bin"), "mysql", "mariadb"
    )


def SearchTerm() -> TypeEngine[str]:
    """An index term, ordered by code point so a word prefix is one range on every database."""
    return (
        String(64)
        .with_variant(
            mysql.VARCHAR(64, charset="utf8mb4", collation="utf8mb4_bin"), "mysql", "mariadb"
        )
        .with_variant(String(64, collation="C"), "postgresql")
    )


MYSQL_TABLE_ARGS = {"mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_unicode_ci"}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Video(Base):
    """An archived video [songs + romanized]. ``id`` is archive order."""

    __tablename__ = "videos"
    __table_args__ = (
        Index("ix_videos_channel_upload", "channel_id", "upload_date", "id"),
        Index("ix_videos_upload_date", "upload_date", "id"),
        Index("ix_videos_source_target", "source_target"),
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
    search_title: Mapped[str | None] = mapped_column(SearchText())
    search_channel: Mapped[str | None] = mapped_column(SearchText())


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
    search_text: Mapped[str | None] = mapped_column(SearchText())


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
    __table_args__ = (Index("ix_views_count", "count"), MYSQL_TABLE_ARGS)

    video_id: Mapped[str] = mapped_column(
        IdString(255), ForeignKey("videos.video_id", ondelete="CASCADE"), primary_key=True
    )
    count: Mapped[int] = mapped_column(BigId, default=0)


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


class Source(Base):
    """A subscription: a channel, playlist or feed that scan jobs enumerate (docs/sources.md).

    ``url_key`` is the normalised URL (patchwork.archive.sources.urls), unique. The ``scan_*``
    columns are the checkpoint of the scan in progress: a scan job that is claimed again
    after its lease lapsed resumes from ``scan_position``.
    """

    __tablename__ = "sources"
    __table_args__ = (
        Index("ix_sources_due", "enabled", "next_scan_at", "id"),
        MYSQL_TABLE_ARGS,
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    url: Mapped[str] = mapped_column(LongText())
    url_key: Mapped[str] = mapped_column(IdString(512), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    scan_every_seconds: Mapped[int] = mapped_column(Integer, default=21600)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    first_scan_limit: Mapped[int | None] = mapped_column(Integer)
    title_include: Mapped[str | None] = mapped_column(Text)
    title_exclude: Mapped[str | None] = mapped_column(Text)
    min_duration: Mapped[int | None] = mapped_column(Integer)
    max_duration: Mapped[int | None] = mapped_column(Integer)
    uploaded_after: Mapped[date | None] = mapped_column(Date)
    skip_shorts: Mapped[bool] = mapped_column(Boolean, default=False)
    skip_live: Mapped[bool] = mapped_column(Boolean, default=False)
    skip_upcoming: Mapped[bool] = mapped_column(Boolean, default=True)
    archive_options: Mapped[str | None] = mapped_column(Text)  # JSON
    next_scan_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    last_scan_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_scan_entries: Mapped[int | None] = mapped_column(Integer)
    scan_job_id: Mapped[int | None] = mapped_column(BigInteger)  # the newest scan job
    scan_full: Mapped[bool] = mapped_column(Boolean, default=False)
    scan_retry_failed: Mapped[bool] = mapped_column(Boolean, default=False)
    scan_position: Mapped[int] = mapped_column(Integer, default=0)
    scan_known_run: Mapped[int] = mapped_column(Integer, default=0)
    entries_found: Mapped[int] = mapped_column(Integer, default=0)
    entries_filtered: Mapped[int] = mapped_column(Integer, default=0)
    entries_known: Mapped[int] = mapped_column(Integer, default=0)
    created_by_token_id: Mapped[int | None] = mapped_column(
        ForeignKey("tokens.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)


class SourceEntry(Base):
    """An entry a scan of a source reported, once per source; deleted with the source.

    ``status`` says what became of it: ``queued`` (``job_id`` is its archive job), ``known``
    (archived, queued or failed already when found) or ``filtered`` (``reason`` says which
    filter dropped it).
    """

    __tablename__ = "source_entries"
    __table_args__ = (
        UniqueConstraint("source_id", "entry_key"),
        Index("ix_source_entries_listing", "source_id", "id"),
        MYSQL_TABLE_ARGS,
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    source_id: Mapped[int] = mapped_column(BigId, ForeignKey("sources.id", ondelete="CASCADE"))
    entry_key: Mapped[str] = mapped_column(IdString(512))
    url: Mapped[str] = mapped_column(LongText())
    title: Mapped[str | None] = mapped_column(LongText())
    duration: Mapped[int | None] = mapped_column(Integer)
    upload_date: Mapped[date | None] = mapped_column(Date)
    live_status: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(255))
    job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"))
    found_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
