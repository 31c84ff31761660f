"""Channel pages read by index: the order, and one page of ids off it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from patchwork.archive.catalog.records import SUMMARY_COLUMNS, VideoSummary
from patchwork.db.dialect import newest_first, reversed_newest_first
from patchwork.db.models import Video


def newest_first_in_channel(session: Session) -> list[Any]:
    """A channel's videos newest upload first, undated last, then newest archived: the order
    an index serves as it is (``ix_videos_channel_upload`` read backwards on MySQL and
    SQLite, ``ix_videos_channel_newest`` on PostgreSQL, which sorts NULL first otherwise)."""
    return [newest_first(session, Video.upload_date), Video.id.desc()]


def oldest_first_in_channel(session: Session) -> list[Any]:
    """The exact reverse of :func:`newest_first_in_channel` (the same index, read the other
    way): undated first, then oldest upload, oldest archived."""
    return [reversed_newest_first(session, Video.upload_date), Video.id.asc()]


def channel_page_rows(
    session: Session, channel_id: str, *, total: int, page: int, per_page: int
) -> list[VideoSummary]:
    """One page of a channel, by index: the page's ids come off the channel's index alone
    (a covering read, no video row), then only those rows are read. The index is walked from
    the nearer end, so page N costs at most N pages of index entries, and the last pages as
    little as the first. ``total`` is the channel's maintained count: nothing is counted."""
    offset = (page - 1) * per_page
    if offset >= total:
        return []
    from_end = total - offset - per_page
    if from_end < offset:
        order = oldest_first_in_channel(session)
        skip, take = max(0, from_end), per_page + min(0, from_end)
    else:
        order, skip, take = newest_first_in_channel(session), offset, per_page
    ids = list(
        session.scalars(
            select(Video.id)
            .where(Video.channel_id == channel_id)
            .order_by(*order)
            .limit(take)
            .offset(skip)
        )
    )
    if from_end < offset:
        ids.reverse()
    return summaries_in_order(session, ids)


def summaries_in_order(session: Session, ids: list[int]) -> list[VideoSummary]:
    """The summaries of the videos with these row ids, in that order (ids gone are skipped):
    one read of the summary columns, no ORM objects."""
    rows = session.execute(select(Video.id, *SUMMARY_COLUMNS).where(Video.id.in_(ids)))
    found = {row.id: VideoSummary.of(row) for row in rows}
    return [found[i] for i in ids if i in found]
