"""Search behind one interface: :func:`search_videos` and :func:`search_channels`.

Every query word must match (AND), in title, romanized title, channel name or its romaji
(videos) or in name and romanized name (channels); see :mod:`patchwork.archive.search_terms`
for what "match" means. Candidates come from the term postings kept by
:mod:`patchwork.db.search_index`; words the postings cannot decide alone (CJK words of 3+
characters, words with punctuation) are checked with ``LIKE`` on the rows' marked text.

Videos whose every word matches in the title come first, then the rest, each newest first.
Counting stops after :data:`COUNT_CAP` matches; a page then says ``capped``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from sqlalchemy import ColumnElement, Select, and_, func, not_, or_, select, true
from sqlalchemy.orm import Session

from patchwork.archive.records import ChannelSummary, Page, VideoSummary
from patchwork.archive.search_terms import QueryWord, Requirement, plan_query
from patchwork.db import Database, search_index
from patchwork.db.dialect import newest_first, oldest_first
from patchwork.db.models import Channel, ChannelTerm, Video, VideoTerm

MAX_QUERY_LENGTH = 200
MAX_QUERY_WORDS = 12
COUNT_CAP = 10_000
Sort = Literal["relevance", "newest", "oldest"]
SORTS: tuple[Sort, ...] = ("relevance", "newest", "oldest")


class BadQuery(ValueError):
    """The query cannot be searched; the message says why."""


@dataclass(frozen=True)
class VideoFilters:
    channel_id: str | None = None
    date_from: date | None = None
    date_to: date | None = None


def query_words(q: str) -> list[QueryWord]:
    if len(q) > MAX_QUERY_LENGTH:
        raise BadQuery(f"q is too long (at most {MAX_QUERY_LENGTH} characters)")
    if len(q.split()) > MAX_QUERY_WORDS:
        raise BadQuery(f"q has too many words (at most {MAX_QUERY_WORDS})")
    words = plan_query(q)
    if len(words) > MAX_QUERY_WORDS:  # normalisation can split a word (rare: e.g. "㍻")
        raise BadQuery(f"q has too many words (at most {MAX_QUERY_WORDS})")
    return words


def _successor(prefix: str) -> str | None:
    """The smallest string above every string that starts with ``prefix`` (code point order)."""
    while prefix:
        code = ord(prefix[-1]) + 1
        if 0xD800 <= code <= 0xDFFF:
            code = 0xE000
        if code <= 0x10FFFF:
            return prefix[:-1] + chr(code)
        prefix = prefix[:-1]
    return None


def _term_matches(column: Any, req: Requirement) -> ColumnElement[bool]:
    if not req.prefix:
        return column == req.term  # type: ignore[no-any-return]
    upper = _successor(req.term)
    lower = column >= req.term
    return and_(lower, column < upper) if upper is not None else lower


def _like(column: Any, pattern: str) -> ColumnElement[bool]:
    escaped = pattern.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return column.like(f"%{escaped}%", escape="\\")  # type: ignore[no-any-return]


def _video_conditions(words: list[QueryWord]) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    """(every word matches somewhere, every word matches in the title fields)."""
    anywhere: list[ColumnElement[bool]] = []
    in_title: list[ColumnElement[bool]] = []
    for word in words:
        for req in word.requirements:
            postings = select(VideoTerm.video_id).where(_term_matches(VideoTerm.term, req))
            anywhere.append(Video.id.in_(postings))
            if word.exact:
                in_title.append(Video.id.in_(postings.where(VideoTerm.in_title.is_(True))))
        if not word.exact:
            anywhere.append(
                or_(
                    _like(Video.search_title, word.pattern),
                    _like(Video.search_channel, word.pattern),
                )
            )
            in_title.append(_like(Video.search_title, word.pattern))
    return and_(true(), *anywhere), and_(true(), *in_title)


def _channel_condition(words: list[QueryWord]) -> ColumnElement[bool]:
    conditions: list[ColumnElement[bool]] = []
    for word in words:
        for req in word.requirements:
            postings = select(ChannelTerm.channel_id).where(_term_matches(ChannelTerm.term, req))
            conditions.append(Channel.id.in_(postings))
        if not word.exact:
            conditions.append(_like(Channel.search_text, word.pattern))
    return and_(true(), *conditions)


def _capped_count(session: Session, query: Select[Any]) -> int:
    limited = query.order_by(None).limit(COUNT_CAP + 1).subquery()
    return int(session.scalar(select(func.count()).select_from(limited)) or 0)


def _video_filters(filters: VideoFilters) -> ColumnElement[bool]:
    conditions: list[ColumnElement[bool]] = []
    if filters.channel_id is not None:
        conditions.append(Video.channel_id == filters.channel_id)
    if filters.date_from is not None:
        conditions.append(Video.upload_date >= filters.date_from)
    if filters.date_to is not None:
        conditions.append(Video.upload_date <= filters.date_to)
    return and_(true(), *conditions)


def search_videos(
    db: Database,
    q: str,
    *,
    page: int,
    per_page: int,
    sort: Sort = "relevance",
    filters: VideoFilters | None = None,
) -> Page[VideoSummary]:
    words = query_words(q)
    anywhere, in_title = _video_conditions(words)
    base = and_(anywhere, _video_filters(filters or VideoFilters()))
    offset = (page - 1) * per_page
    with db.reading() as session:
        if sort == "oldest":
            order = [*oldest_first(session, Video.upload_date), Video.id.asc()]
        else:
            order = [newest_first(session, Video.upload_date), Video.id.desc()]
        total = _capped_count(session, select(Video.id).where(base))
        capped = total > COUNT_CAP
        reachable = min(total, COUNT_CAP)
        if offset >= reachable:
            return Page(items=[], total=reachable, page=page, per_page=per_page, capped=capped)

        def fetch(condition: ColumnElement[bool], skip: int, limit: int) -> list[Video]:
            query = select(Video).where(condition).order_by(*order)
            return list(session.scalars(query.offset(skip).limit(limit)))

        if sort != "relevance" or not words:
            rows = fetch(base, offset, per_page)
        else:
            # Two tiers, each newest first: counting tier one tells where tier two begins.
            first = and_(base, in_title)
            first_total = _capped_count(session, select(Video.id).where(first))
            rows = fetch(first, offset, per_page) if offset < first_total else []
            if len(rows) < per_page and first_total <= COUNT_CAP:
                rest = and_(base, not_(in_title))
                rows += fetch(rest, max(0, offset - first_total), per_page - len(rows))
        items = [VideoSummary.of(v) for v in rows]
        return Page(items=items, total=reachable, page=page, per_page=per_page, capped=capped)


def search_channels(db: Database, q: str, *, page: int, per_page: int) -> Page[ChannelSummary]:
    words = query_words(q)
    condition = _channel_condition(words)
    offset = (page - 1) * per_page
    with db.reading() as session:
        total = _capped_count(session, select(Channel.id).where(condition))
        capped = total > COUNT_CAP
        reachable = min(total, COUNT_CAP)
        items: list[ChannelSummary] = []
        if offset < reachable:
            query = select(Channel).where(condition).order_by(Channel.name, Channel.id)
            items = [
                ChannelSummary.of(c) for c in session.scalars(query.offset(offset).limit(per_page))
            ]
        return Page(items=items, total=reachable, page=page, per_page=per_page, capped=capped)


def rebuild_index(db: Database, progress: Callable[[int], None] | None = None) -> int:
    """Rebuild the whole search index (``patchwork search reindex``); returns videos indexed."""
    with db.engine.begin() as connection:
        return search_index.reindex(connection, progress)


def indexed_video_count(db: Database) -> int:
    with db.engine.connect() as connection:
        return search_index.video_count(connection)
