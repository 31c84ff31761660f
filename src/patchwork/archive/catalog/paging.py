"""Channel pages read by index: the order, and one page of ids off it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from patchwork.db.dialect import newest_first
from patchwork.db.models import Video


def newest_first_in_channel(session: Session) -> list[Any]:
    """A channel's videos newest upload first, undated last, then newest archived: the order
    an index serves as it is (``ix_videos_channel_upload`` read backwards on MySQL and
    SQLite, ``ix_videos_channel_newest`` on PostgreSQL, which sorts NULL first otherwise)."""
    return [newest_first(session, Video.upload_date), Video.id.desc()]


def channel_page_rows(
    session: Session, channel_id: str, *, total: int, page: int, per_page: int
) -> list[Video]:
    """One page of a channel, by index: the page's ids come off the channel's index alone
    (a covering read of ``offset + per_page`` entries, no video row), then only those rows
    are read. ``total`` is the channel's maintained count, so nothing is counted here."""
    offset = (page - 1) * per_page
    if offset >= total:
        return []
    ids = list(
        session.scalars(
            select(Video.id)
            .where(Video.channel_id == channel_id)
            .order_by(*newest_first_in_channel(session))
            .limit(per_page)
            .offset(offset)
        )
    )
    found = {v.id: v for v in session.scalars(select(Video).where(Video.id.in_(ids)))}
    return [found[i] for i in ids if i in found]
