"""Search behind one interface: :func:`search_videos` and :func:`search_channels`.

Every query word must match (AND), in title, romanized title, channel name or its romaji
(videos) or in name and romanized name (channels); see :mod:`patchwork.archive.search.terms`
for what "match" means. Candidates come from the term postings kept by
:mod:`patchwork.archive.search.indexing`; words the postings cannot decide alone (CJK words of 3+
characters, words with punctuation) are checked with ``LIKE`` on the rows' marked text.

Videos whose every word matches in the title come first, then the rest, each newest first.
Counting stops after :data:`postings.COUNT_CAP` matches; a page then says ``capped``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from sqlalchemy import ColumnElement, and_, not_, or_, select, true

from patchwork.archive.catalog.paging import summaries_in_order
from patchwork.archive.catalog.records import ChannelSummary, Page, VideoSummary
from patchwork.archive.search import indexing, postings
from patchwork.archive.search.conditions import (
    availability_condition,
    like_condition,
    term_matches,
)
from patchwork.archive.search.postings import capped_count
from patchwork.archive.search.query_plan import NULL_DAY, Match, QueryPlan
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
#: A count that must check each driving posting (a probe for another word, a ``LIKE``, a
#: channel or availability filter: each costs what reading 10–20 postings does) checks at
#: most this many of them; with more, it is a lower bound and says so (decision 0305).
PROBE_BUDGET = 300


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
        # A word checked with LIKE needs one posting to narrow the channels, not all: the LIKE
        # implies the rest (at 10,000 channels, four bigram semi-joins of 星街すいせい were
        # most of the search).
        requirements = word.requirements if word.exact else word.requirements[:1]
        for req in requirements:
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
        total, capped, few = (0, False, []) if plan.empty else _count_and_few(plan, sort)
        # A capped count is a lower bound: pages past it are read, up to the count cap.
        reachable = postings.COUNT_CAP if capped else min(total, postings.COUNT_CAP)
        ids: list[int] = []
        if offset >= reachable:
            pass  # pages past the count cap are not reachable
        elif few is not None:  # every match is known: sort them here
            ids = _order(few, sort)[offset : offset + per_page]
        else:
            ids, known = _page(plan, sort, offset, per_page)
            if known is not None:  # the page ran out of matches: all of them were seen
                total, capped = known, False
            elif capped:
                total = max(total, offset + len(ids))
        items = summaries_in_order(session, ids)
        return Page(
            items=items,
            total=min(total, postings.COUNT_CAP),
            page=page,
            per_page=per_page,
            capped=capped or total > postings.COUNT_CAP,
        )


def _count_and_few(plan: QueryPlan, sort: Sort) -> tuple[int, bool, list[Match] | None]:
    """The query's match count, whether it is capped (a lower bound), and every match when
    they are few (at most FEW, or all among at most PROBE_BUDGET driving postings)."""
    flags = sort == "relevance"
    if plan.counts_from_postings():  # an index range scan: cheaper than fetching 2,001 rows
        total = plan.count()
        few = plan.matches(None, flags) if total <= FEW else None
        return total, total > postings.COUNT_CAP, few
    if plan.driver_size(PROBE_BUDGET + 1) <= PROBE_BUDGET:  # all checked: exact
        few = plan.matches(PROBE_BUDGET, flags)
        return len(few), False, few
    return plan.count_examined(PROBE_BUDGET), True, None


def _order(matches: list[Match], sort: Sort) -> list[int]:
    if sort == "oldest":  # ranks descending, undated videos (the top ranks) last
        matches.sort(key=lambda m: (m[1] > NULL_DAY, -m[1]))
        return [i for i, _, _ in matches]
    matches.sort(key=lambda m: m[1])
    if sort == "newest":
        return [i for i, _, _ in matches]
    return [i for i, _, title in matches if title] + [i for i, _, title in matches if not title]


def _page(plan: QueryPlan, sort: Sort, offset: int, per_page: int) -> tuple[list[int], int | None]:
    """One page of a query with many matches, read in rank order with early termination, and
    the number of matches when the reads ran out before the page's end (else None)."""
    want = offset + per_page
    if sort in ("newest", "oldest"):
        segments = plan.oldest_segments() if sort == "oldest" else plan.newest_segments()
        found = plan.collect(plan.anywhere(), segments, want)
        return found[offset:], len(found) if len(found) < want else None
    # Two tiers, each newest first. Tier one is fetched up to the page's end: if it runs
    # out before, its length is its size and tier two fills the rest.
    first = plan.collect(plan.in_title(), plan.newest_segments(), want)
    ids = first[offset:]
    if len(first) >= want:
        return ids, None
    skip = max(0, offset - len(first))
    rest = plan.collect(plan.not_in_title(), plan.newest_segments(), skip + want)
    ids += rest[skip : skip + per_page - len(ids)]
    return ids, len(first) + len(rest) if len(rest) < skip + want else None


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
        capped = total > postings.COUNT_CAP
        reachable = min(total, postings.COUNT_CAP)
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
            if len(rows) < per_page and first_total <= postings.COUNT_CAP:
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
        capped = total > postings.COUNT_CAP
        reachable = min(total, postings.COUNT_CAP)
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
