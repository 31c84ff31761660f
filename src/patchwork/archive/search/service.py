"""Search behind one interface: :func:`search_videos` and :func:`search_channels`.

Every query word must match (AND), in title, romanized title, channel name or its romaji
(videos) or in name and romanized name (channels); see :mod:`patchwork.archive.search.terms`
for what "match" means. Candidates come from the term postings kept by
:mod:`patchwork.archive.search.indexing`; words the postings cannot decide alone (CJK words of 3+
characters, words with punctuation) are checked with ``LIKE`` on the rows' marked text.

Videos whose every word matches in the title come first, then the rest, each newest first.
Counting stops after :data:`query_plan.COUNT_CAP` matches; a page then says ``capped``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from sqlalchemy import ColumnElement, and_, not_, or_, select, true

from patchwork.archive.catalog.records import ChannelSummary, Page, VideoSummary
from patchwork.archive.search import indexing, query_plan
from patchwork.archive.search.query_plan import (
    NULL_DAY,
    QueryPlan,
    availability_condition,
    capped_count,
    like_condition,
    term_matches,
)
from patchwork.archive.search.query_plan import (
    VideoFilters as VideoFilters,  # re-exported: callers build filters from here
)
from patchwork.archive.search.terms import QueryWord, plan_query
from patchwork.db import Database
from patchwork.db.dialect import newest_first, oldest_first
from patchwork.db.models import Channel, ChannelTerm, Video, VideoTerm
from patchwork.errors import InvalidInput

MAX_QUERY_LENGTH = 200
MAX_QUERY_WORDS = 12
Sort = Literal["relevance", "newest", "oldest"]
SORTS: tuple[Sort, ...] = ("relevance", "newest", "oldest")
#: Queries with at most this many matches fetch them all and sort them in Python.
FEW = 2000


class BadQuery(InvalidInput, ValueError):
    """The query cannot be searched; the message says why."""


def query_words(q: str) -> list[QueryWord]:
    if len(q) > MAX_QUERY_LENGTH:
        raise BadQuery(f"q is too long (at most {MAX_QUERY_LENGTH} characters)")
    if len(q.split()) > MAX_QUERY_WORDS:
        raise BadQuery(f"q has too many words (at most {MAX_QUERY_WORDS})")
    words = plan_query(q)
    if len(words) > MAX_QUERY_WORDS:  # normalisation can split a word (rare: e.g. "㍻")
        raise BadQuery(f"q has too many words (at most {MAX_QUERY_WORDS})")
    return words


def _video_conditions(words: list[QueryWord]) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    """(every word matches somewhere, every word matches in the title fields)."""
    anywhere: list[ColumnElement[bool]] = []
    in_title: list[ColumnElement[bool]] = []
    for word in words:
        for req in word.requirements:
            postings = select(VideoTerm.video_id).where(term_matches(VideoTerm.term, req))
            anywhere.append(Video.id.in_(postings))
            if word.exact:
                in_title.append(Video.id.in_(postings.where(VideoTerm.in_title.is_(True))))
        if not word.exact:
            anywhere.append(
                or_(
                    like_condition(Video.search_title, word.pattern),
                    like_condition(Video.search_channel, word.pattern),
                )
            )
            in_title.append(like_condition(Video.search_title, word.pattern))
    return and_(true(), *anywhere), and_(true(), *in_title)


def _channel_condition(words: list[QueryWord]) -> ColumnElement[bool]:
    conditions: list[ColumnElement[bool]] = []
    for word in words:
        for req in word.requirements:
            postings = select(ChannelTerm.channel_id).where(term_matches(ChannelTerm.term, req))
            conditions.append(Channel.id.in_(postings))
        if not word.exact:
            conditions.append(like_condition(Channel.search_text, word.pattern))
    return and_(true(), *conditions)


def _video_filters(filters: VideoFilters) -> ColumnElement[bool]:
    conditions: list[ColumnElement[bool]] = []
    if filters.channel_id is not None:
        conditions.append(Video.channel_id == filters.channel_id)
    if filters.date_from is not None:
        conditions.append(Video.upload_date >= filters.date_from)
    if filters.date_to is not None:
        conditions.append(Video.upload_date <= filters.date_to)
    if filters.availability is not None:
        conditions.append(availability_condition(filters.availability))
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
    filters = filters or VideoFilters()
    if not any(word.requirements for word in words):
        return _scan_videos(db, words, page=page, per_page=per_page, sort=sort, filters=filters)
    offset = (page - 1) * per_page
    with db.reading() as session:
        plan = QueryPlan.make(session, words, filters)
        total, few = _count_and_few(plan)
        if few is not None:  # every match is known: sort them here
            ids = _order(plan, few, sort)[offset : offset + per_page]
        else:
            reachable = offset < min(total, query_plan.COUNT_CAP)
            ids = _page(plan, sort, offset, per_page) if reachable else []
        if offset >= min(total, query_plan.COUNT_CAP):
            ids = []  # pages past the count cap are not reachable
        by_id = {v.id: v for v in session.scalars(select(Video).where(Video.id.in_(ids)))}
        items = [VideoSummary.of(by_id[i]) for i in ids if i in by_id]
        return Page(
            items=items,
            total=min(total, query_plan.COUNT_CAP),
            page=page,
            per_page=per_page,
            capped=total > query_plan.COUNT_CAP,
        )


def _count_and_few(plan: QueryPlan) -> tuple[int, list[tuple[int, int]] | None]:
    """The query's match count (capped), and every match when there are at most FEW."""
    if plan.counts_from_postings():  # an index range scan: cheaper than fetching 2,001 rows
        total = plan.count()
        return total, plan.matches(FEW) if total <= FEW else None
    few = plan.matches(FEW + 1)  # says at once whether they are few, and then is the answer
    return (len(few), few) if len(few) <= FEW else (plan.count(), None)


def _order(plan: QueryPlan, matches: list[tuple[int, int]], sort: Sort) -> list[int]:
    if sort == "oldest":  # ranks descending, undated videos (the top ranks) last
        matches.sort(key=lambda m: (m[1] > NULL_DAY, -m[1]))
        return [i for i, _ in matches]
    matches.sort(key=lambda m: m[1])
    ids = [i for i, _ in matches]
    if sort == "newest":
        return ids
    first = plan.in_title_among(ids)
    return [i for i in ids if i in first] + [i for i in ids if i not in first]


def _page(plan: QueryPlan, sort: Sort, offset: int, per_page: int) -> list[int]:
    """One page of a query with many matches, read in rank order with early termination."""
    want = offset + per_page
    if sort == "oldest":
        return plan.collect(plan.anywhere(), plan.oldest_segments(), want)[offset:]
    if sort == "newest":
        return plan.collect(plan.anywhere(), plan.newest_segments(), want)[offset:]
    # Two tiers, each newest first. Tier one is fetched up to the page's end: if it runs
    # out before, its length is its size and tier two fills the rest.
    first = plan.collect(plan.in_title(), plan.newest_segments(), want)
    ids = first[offset:]
    if len(first) < want:
        skip = max(0, offset - len(first))
        rest = plan.collect(plan.not_in_title(), plan.newest_segments(), skip + want)
        ids += rest[skip : skip + per_page - len(ids)]
    return ids


def _scan_videos(
    db: Database,
    words: list[QueryWord],
    *,
    page: int,
    per_page: int,
    sort: Sort,
    filters: VideoFilters,
) -> Page[VideoSummary]:
    """Queries no posting can drive (blank, or punctuation only): filter and sort the rows."""
    anywhere, in_title = _video_conditions(words)
    base = and_(anywhere, _video_filters(filters))
    offset = (page - 1) * per_page
    with db.reading() as session:
        if sort == "oldest":
            order = [*oldest_first(session, Video.upload_date), Video.id.asc()]
        else:
            order = [newest_first(session, Video.upload_date), Video.id.desc()]
        total = capped_count(session, select(Video.id).where(base))
        capped = total > query_plan.COUNT_CAP
        reachable = min(total, query_plan.COUNT_CAP)
        if offset >= reachable:
            return Page(items=[], total=reachable, page=page, per_page=per_page, capped=capped)

        def fetch(condition: ColumnElement[bool], skip: int, limit: int) -> list[Video]:
            query = select(Video).where(condition).order_by(*order)
            return list(session.scalars(query.offset(skip).limit(limit)))

        if sort != "relevance" or not words:
            rows = fetch(base, offset, per_page)
        else:
            first = and_(base, in_title)
            first_total = capped_count(session, select(Video.id).where(first))
            rows = fetch(first, offset, per_page) if offset < first_total else []
            if len(rows) < per_page and first_total <= query_plan.COUNT_CAP:
                rest = and_(base, not_(in_title))
                rows += fetch(rest, max(0, offset - first_total), per_page - len(rows))
        items = [VideoSummary.of(v) for v in rows]
        return Page(items=items, total=reachable, page=page, per_page=per_page, capped=capped)


def search_channels(db: Database, q: str, *, page: int, per_page: int) -> Page[ChannelSummary]:
    words = query_words(q)
    condition = _channel_condition(words)
    offset = (page - 1) * per_page
    with db.reading() as session:
        total = capped_count(session, select(Channel.id).where(condition))
        capped = total > query_plan.COUNT_CAP
        reachable = min(total, query_plan.COUNT_CAP)
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
        return indexing.reindex(connection, progress)


def indexed_video_count(db: Database) -> int:
    with db.engine.connect() as connection:
        return indexing.video_count(connection)
