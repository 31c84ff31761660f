"""Subscriptions' tables (docs/sources.md)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from patchwork.db.models.base import MYSQL_TABLE_ARGS, Base
from patchwork.db.types import BigId, IdString, LongText, UtcDateTime, utcnow


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
