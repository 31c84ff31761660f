"""Search behind one interface.

This first version matches every query word (AND) as a case-insensitive substring with
``LIKE``; counting uses ``COUNT(*)``. The fast per-database index comes later behind the same
functions.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, func, or_, select, true

from patchwork.archive.paging import paginate
from patchwork.archive.records import ChannelSummary, Page, VideoSummary
from patchwork.db import Database
from patchwork.db.dialect import newest_first
from patchwork.db.models import Channel, Video

MAX_QUERY_LENGTH = 200
MAX_QUERY_WORDS = 12


class BadQuery(ValueError):
    """The query cannot be searched; the message says why."""


def query_words(q: str) -> list[str]:
    if len(q) > MAX_QUERY_LENGTH:
        raise BadQuery(f"q is too long (at most {MAX_QUERY_LENGTH} characters)")
    # Control characters (NUL above all: PostgreSQL refuses it in text) are never in titles.
    printable = "".join(c if c.isprintable() else " " for c in q)
    words = [w.lower() for w in printable.split()]
    if len(words) > MAX_QUERY_WORDS:
        raise BadQuery(f"q has too many words (at most {MAX_QUERY_WORDS})")
    return words


def _contains(column: Any, word: str) -> Any:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return func.lower(column).like(f"%{escaped}%", escape="\\")


def search_videos(db: Database, q: str, *, page: int, per_page: int) -> Page[VideoSummary]:
    words = query_words(q)
    columns = (Video.title, Video.romanized_title, Video.channel_name)
    condition = and_(true(), *(or_(*(_contains(c, w) for c in columns)) for w in words))
    with db.reading() as session:
        query = (
            select(Video)
            .where(condition)
            .order_by(newest_first(session, Video.upload_date), Video.id.desc())
        )
        return paginate(session, query, page=page, per_page=per_page, convert=VideoSummary.of)


def search_channels(db: Database, q: str, *, page: int, per_page: int) -> Page[ChannelSummary]:
    words = query_words(q)
    columns = (Channel.name, Channel.romanized_name)
    condition = and_(true(), *(or_(*(_contains(c, w) for c in columns)) for w in words))
    with db.reading() as session:
        query = select(Channel).where(condition).order_by(Channel.name, Channel.id)
        return paginate(
            session,
            query,
            page=page,
            per_page=per_page,
            convert=ChannelSummary.of,
        )
