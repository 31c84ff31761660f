"""The data model (DESIGN.md "Data model"); the original's tables are named in each docstring."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from patchwork.db.types import BigId, IdString, LongText, UtcDateTime, utcnow

# Deterministic constraint names keep migrations identical on every database.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

MYSQL_TABLE_ARGS = {"mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_unicode_ci"}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Video(Base):
    """An archived video [songs + romanized]. ``id`` is archive order."""

    __tablename__ = "videos"
    __table_args__ = (
        Index("ix_videos_channel_upload", "channel_id", "upload_date", "id"),
        Index("ix_videos_upload_date", "upload_date", "id"),
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
    archived_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)


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


class KeyValue(Base):
    """Free-form settings [kv]; the legacy manual storage-statistics numbers live here."""

    __tablename__ = "kv"
    __table_args__ = (MYSQL_TABLE_ARGS,)

    key: Mapped[str] = mapped_column(IdString(255), primary_key=True)
    value: Mapped[str | None] = mapped_column(String(255))
