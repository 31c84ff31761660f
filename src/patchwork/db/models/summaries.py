"""Tables the read path answers from instead of scanning (docs/decisions/0121-*.md)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from patchwork.db.models.base import MYSQL_TABLE_ARGS, Base
from patchwork.db.types import BigId, IdString, LongText, UtcDateTime


class ChannelName(Base):
    """One name a channel's videos were archived under, and how many videos carry it.

    Kept in the transaction of every video insert, rename and delete
    (patchwork.archive.catalog.channel_names), so a channel's aliases and video count are a
    few rows read, never a ``GROUP BY`` over its videos. ``name_sha256`` keys the name because
    names are long text, which MySQL cannot index whole.
    """

    __tablename__ = "channel_names"
    __table_args__ = (
        Index("ix_channel_names_newest", "channel_id", "newest_video_row"),
        MYSQL_TABLE_ARGS,
    )

    channel_id: Mapped[str] = mapped_column(IdString(255), primary_key=True)
    name_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(LongText())
    video_count: Mapped[int] = mapped_column(BigInteger, default=0)
    #: The highest ``videos.id`` archived under this name: aliases are listed newest first.
    newest_video_row: Mapped[int] = mapped_column(BigId, default=0)


class AnswerSnapshot(Base):
    """The last computed value of a summarising answer (popular, storage numbers, ...).

    Served while a newer one is computed off the request path; ``refreshing_until`` is the
    lease of the one process computing it (patchwork.answers), so a refresh is one flight
    across every server process, and a restarted server answers from here at once.
    """

    __tablename__ = "answer_snapshots"
    __table_args__ = (MYSQL_TABLE_ARGS,)

    key: Mapped[str] = mapped_column(IdString(255), primary_key=True)
    #: What the value was computed for (e.g. the day of daily picks); another is no answer.
    version: Mapped[str] = mapped_column(String(64), default="")
    value: Mapped[str] = mapped_column(LongText())
    computed_at: Mapped[datetime] = mapped_column(UtcDateTime())
    refreshing_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
