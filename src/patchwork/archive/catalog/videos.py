"""Reading videos: single lookups, listings, random and featured picks, files, views."""

from __future__ import annotations

import random
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from patchwork.archive.catalog.channel_names import channel_counts
from patchwork.archive.catalog.paging import channel_page_rows, summaries_in_order
from patchwork.archive.catalog.random_picks import pick_random
from patchwork.archive.catalog.records import SUMMARY_COLUMNS, FileInfo, Page, VideoSummary
from patchwork.db import Database
from patchwork.db.models import Channel, StoredFile, Video, ViewCount

DAILY_FEATURED_COUNT = 2


def recently_archived(db: Database, limit: int) -> list[VideoSummary]:
    with db.reading() as session:
        rows = session.execute(select(*SUMMARY_COLUMNS).order_by(Video.id.desc()).limit(limit))
        return [VideoSummary.of(row) for row in rows]


def popular(db: Database, limit: int) -> list[VideoSummary]:
    """Most viewed first; equal counts go to the most recently archived. ``ix_views_popular``
    is that order, so this reads ``limit`` index entries, whatever the number of views."""
    with db.reading() as session:
        top = list(
            session.scalars(
                select(ViewCount.video_row)
                .order_by(ViewCount.count.desc(), ViewCount.video_row.desc())
                .limit(limit)
            )
        )
        return summaries_in_order(session, top)


def random_videos(db: Database, count: int) -> list[VideoSummary]:
    with db.reading() as session:
        return [VideoSummary.of(v) for v in pick_random(session, Video, count)]


def daily_featured(db: Database, day: date) -> list[VideoSummary]:
    """The same picks all day (seeded by the date), different ones tomorrow, never a crash."""
    rng = random.Random(int(day.strftime("%Y%m%d")))
    with db.reading() as session:
        picks = pick_random(session, Video, DAILY_FEATURED_COUNT, rng=rng)
        return [VideoSummary.of(v) for v in sorted(picks, key=lambda v: v.id)]


def channel_videos(
    db: Database, channel_id: str, *, page: int, per_page: int
) -> Page[VideoSummary] | None:
    """A channel's videos, newest upload first; ``None`` for a channel the archive lacks.
    Constant in the channel's size: the total is its maintained count (channel_names)."""
    with db.reading() as session:
        total = channel_counts(session, channel_id).video_count
        if total == 0 and not _channel_exists(session, channel_id):
            return None
        rows = channel_page_rows(session, channel_id, total=total, page=page, per_page=per_page)
        return Page(items=rows, total=total, page=page, per_page=per_page)


def _channel_exists(session: Session, channel_id: str) -> bool:
    found = session.scalar(select(Channel.id).where(Channel.channel_id == channel_id).limit(1))
    return found is not None


def files_of(session: Session, video_id: str, kinds: tuple[str, ...]) -> dict[str, FileInfo]:
    """The video's stored files of ``kinds``, by kind, in the caller's transaction."""
    rows = session.scalars(
        select(StoredFile).where(StoredFile.video_id == video_id, StoredFile.kind.in_(kinds))
    )
    return {row.kind: FileInfo.of(row) for row in rows}


def video_file(db: Database, video_id: str, kind: str = "video") -> FileInfo | None:
    with db.reading() as session:
        return files_of(session, video_id, (kind,)).get(kind)


def view_count(db: Database, video_id: str) -> int:
    with db.reading() as session:
        return session.scalar(select(ViewCount.count).where(ViewCount.video_id == video_id)) or 0
