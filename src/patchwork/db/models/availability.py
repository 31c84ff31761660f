"""Lost media's tables: availability, checks, metadata versions (docs/availability.md)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from patchwork.db.models.base import MYSQL_TABLE_ARGS, Base
from patchwork.db.types import BigId, IdString, LongText, UtcDateTime, utcnow


class VideoAvailability(Base):
    """Whether a video is still on its site (docs/availability.md); one row per video.

    ``state`` changes only after ``confirmations`` consecutive definitive answers agree
    (``streak_*`` counts them); ``check_from`` is the schedule: a video is due when
    ``check_from`` plus the check interval has passed (least recently checked first).
    """

    __tablename__ = "video_availability"
    __table_args__ = (
        Index("ix_video_availability_due", "check_from", "video_id"),
        Index("ix_video_availability_lost", "state", "since", "video_id"),
        Index("ix_video_availability_reason", "state", "reason", "since", "video_id"),
        MYSQL_TABLE_ARGS,
    )

    video_id: Mapped[str] = mapped_column(
        IdString(255), ForeignKey("videos.video_id", ondelete="CASCADE"), primary_key=True
    )
    state: Mapped[str] = mapped_column(String(16), default="unknown")
    reason: Mapped[str | None] = mapped_column(String(32))
    since: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_checked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    check_from: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    streak_outcome: Mapped[str | None] = mapped_column(String(16))
    streak_reason: Mapped[str | None] = mapped_column(String(32))
    streak_count: Mapped[int] = mapped_column(Integer, default=0)
    streak_since: Mapped[datetime | None] = mapped_column(UtcDateTime())
    checks: Mapped[int] = mapped_column(Integer, default=0)
    # The newest tags and thumbnail URL seen (the video's row keeps neither); NULL until a
    # check read them from the archived info.json.
    tags: Mapped[str | None] = mapped_column(LongText())  # JSON list
    thumbnail_url: Mapped[str | None] = mapped_column(LongText())


class AvailabilityCheck(Base):
    """One observation of a video on its site: when, what was seen, by which worker."""

    __tablename__ = "availability_checks"
    __table_args__ = (Index("ix_availability_checks_video", "video_id", "id"), MYSQL_TABLE_ARGS)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    video_id: Mapped[str] = mapped_column(
        IdString(255), ForeignKey("videos.video_id", ondelete="CASCADE")
    )
    checked_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    outcome: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(32))
    message: Mapped[str | None] = mapped_column(LongText())
    job_id: Mapped[int | None] = mapped_column(BigInteger)
    token_id: Mapped[int | None] = mapped_column(ForeignKey("tokens.id", ondelete="SET NULL"))
    worker_name: Mapped[str | None] = mapped_column(String(255))


class CheckCount(Base):
    """Counters, ever: checks ended per outcome, and ``queued`` checks (the checks table
    grows, so metrics read these). Schedulers lock the ``queued`` row (budget accounting)."""

    __tablename__ = "check_counts"
    __table_args__ = (MYSQL_TABLE_ARGS,)

    outcome: Mapped[str] = mapped_column(String(16), primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger, default=0)


class AvailabilityCount(Base):
    """Videos per availability state and reason ('' for none), kept in the transaction of
    every change (patchwork.archive.availability.totals): the lost page's totals and the
    metrics' gauge read these few rows instead of counting a million."""

    __tablename__ = "availability_counts"
    __table_args__ = (MYSQL_TABLE_ARGS,)

    state: Mapped[str] = mapped_column(String(16), primary_key=True)
    reason: Mapped[str] = mapped_column(String(32), primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger, default=0)


class VideoVersion(Base):
    """One version of a video's metadata as its site showed it (docs/availability.md).

    Written when a check finds the metadata changed: version 1 is the one archived, kept
    with copies of its info.json and thumbnail under ``history/``, never overwritten.
    """

    __tablename__ = "video_versions"
    __table_args__ = (UniqueConstraint("video_id", "version"), MYSQL_TABLE_ARGS)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    video_id: Mapped[str] = mapped_column(
        IdString(255), ForeignKey("videos.video_id", ondelete="CASCADE")
    )
    version: Mapped[int] = mapped_column(Integer)
    seen_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    title: Mapped[str] = mapped_column(LongText())
    description: Mapped[str] = mapped_column(LongText(), default="")
    channel_name: Mapped[str] = mapped_column(LongText())
    tags: Mapped[str | None] = mapped_column(LongText())  # JSON list; NULL: not known
    thumbnail_url: Mapped[str | None] = mapped_column(LongText())
    changed: Mapped[str | None] = mapped_column(String(255))  # fields changed, comma-separated
    info_key: Mapped[str | None] = mapped_column(String(1024))
    thumbnail_key: Mapped[str | None] = mapped_column(String(1024))
    job_id: Mapped[int | None] = mapped_column(BigInteger)
