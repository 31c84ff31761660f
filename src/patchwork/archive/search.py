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

from sqlalchemy import ColumnElement, Select, and_, func, not_, or_, select, true, union_all
from sqlalchemy.orm import Session, aliased

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
    filters = filters or VideoFilters()
    if not any(word.requirements for word in words):
        return _scan_videos(db, words, page=page, per_page=per_page, sort=sort, filters=filters)
    offset = (page - 1) * per_page
    with db.reading() as session:
        plan = _Plan.make(session, words, filters)
        few = plan.matches(FEW + 1)
        if len(few) <= FEW:  # every match is known: sort them here
            total = len(few)
            ids = _order(plan, few, sort)[offset : offset + per_page]
        else:
            total = plan.count()
            reachable = offset < min(total, COUNT_CAP)
            ids = _page(plan, sort, offset, per_page) if reachable else []
        if offset >= min(total, COUNT_CAP):
            ids = []  # pages past the count cap are not reachable
        by_id = {v.id: v for v in session.scalars(select(Video).where(Video.id.in_(ids)))}
        items = [VideoSummary.of(by_id[i]) for i in ids if i in by_id]
        return Page(
            items=items,
            total=min(total, COUNT_CAP),
            page=page,
            per_page=per_page,
            capped=total > COUNT_CAP,
        )


def _order(plan: _Plan, matches: list[tuple[int, int]], sort: Sort) -> list[int]:
    if sort == "oldest":  # ranks descending, undated videos (the top ranks) last
        matches.sort(key=lambda m: (m[1] > _NULL_DAY, -m[1]))
        return [i for i, _ in matches]
    matches.sort(key=lambda m: m[1])
    ids = [i for i, _ in matches]
    if sort == "newest":
        return ids
    first = plan.in_title_among(ids)
    return [i for i in ids if i in first] + [i for i in ids if i not in first]


def _page(plan: _Plan, sort: Sort, offset: int, per_page: int) -> list[int]:
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


#: Queries with at most this many matches fetch them all and sort them in Python.
FEW = 2000
#: A driving prefix that spans more distinct terms than this is read as one range and sorted
#: by the database instead of merged from per-term scans.
MAX_DRIVER_TERMS = 32
_NULL_DAY = -(1 << search_index.RANK_SHIFT)  # ranks above: undated videos


@dataclass(frozen=True)
class _Tier:
    """Which postings of the driving requirement to scan, and what else each row needs."""

    in_title_only: bool
    conditions: list[ColumnElement[bool]]


@dataclass
class _Plan:
    """A query's execution: one *driving* requirement (the rarest) read from the postings
    index in rank order, every other word checked per row by index probes (``EXISTS`` on
    the postings' primary key) or ``LIKE`` on the joined video, so ``LIMIT`` stops early."""

    session: Session
    words: list[QueryWord]
    filters: VideoFilters
    driver: Requirement
    driver_word: QueryWord
    driver_terms: list[str] | None  # None: too many, read as one range
    driving: Any  # the aliased postings table read in rank order

    @classmethod
    def make(cls, session: Session, words: list[QueryWord], filters: VideoFilters) -> _Plan:
        candidates = [(w, r) for w in words for r in w.requirements]
        if len(candidates) == 1:
            word, req = candidates[0]
        else:  # the rarest requirement drives; an exact word's on a tie (it narrows tier one)
            estimates = [
                (_estimate(session, r), not w.exact, n) for n, (w, r) in enumerate(candidates)
            ]
            word, req = candidates[min(estimates)[2]]
        terms = _terms_of(session, req)
        driving = aliased(VideoTerm, name="d")
        return cls(session, words, filters, req, word, terms, driving)

    # ---- conditions on the driving row -------------------------------------------------

    @property
    def _needs_video(self) -> bool:
        return self.filters.channel_id is not None or any(not w.exact for w in self.words)

    def _probe(self, req: Requirement, in_title: bool, video_id: Any = None) -> ColumnElement[bool]:
        """Whether the video (by default the driving row's) has a posting ``req`` matches."""
        other = aliased(VideoTerm)
        video_id = self.driving.video_id if video_id is None else video_id
        condition = and_(other.video_id == video_id, _term_matches(other.term, req))
        if in_title:
            condition = and_(condition, other.in_title == true())
        return select(other.video_id).where(condition).exists()

    def _word_anywhere(self, word: QueryWord) -> list[ColumnElement[bool]]:
        found = [self._probe(r, False) for r in word.requirements if r is not self.driver]
        if word.exact:
            return found
        # A LIKE match implies the word's postings: they only narrow candidates, cheaply (no
        # video row read), worth it when other words make the matches rare, not for one word.
        if len(self.words) == 1:
            found = []
        return [
            *found,
            or_(
                _like(Video.search_title, word.pattern),
                _like(Video.search_channel, word.pattern),
            ),
        ]

    def _word_in_title(self, word: QueryWord, video_id: Any = None) -> ColumnElement[bool]:
        if word.exact:
            return self._probe(word.requirements[0], True, video_id)
        return _like(Video.search_title, word.pattern)

    def _filters(self) -> list[ColumnElement[bool]]:
        found: list[ColumnElement[bool]] = []
        if self.filters.channel_id is not None:
            found.append(Video.channel_id == self.filters.channel_id)
        if self.filters.date_from is not None or self.filters.date_to is not None:
            low, high = search_index.rank_bounds(self.filters.date_from, self.filters.date_to)
            found.append(self.driving.rank.between(low, high))
        return found

    def anywhere(self) -> _Tier:
        found = [c for w in self.words for c in self._word_anywhere(w)]
        return _Tier(False, found + self._filters())

    def in_title(self) -> _Tier:
        found: list[ColumnElement[bool]] = []
        only_title = self.driver_word.exact
        for word in self.words:
            if word is self.driver_word and only_title:
                continue  # the driving postings are title postings
            found.append(self._word_in_title(word))  # implies the word matches anywhere
        return _Tier(only_title, found + self._filters())

    def not_in_title(self) -> _Tier:
        every = and_(true(), *(self._word_in_title(w) for w in self.words))
        return _Tier(False, [*self.anywhere().conditions, not_(every)])

    # ---- reading -----------------------------------------------------------------------

    def _select(self, columns: list[Any], tier: _Tier) -> Select[Any]:
        query = select(*columns).where(*tier.conditions)
        if self._needs_video:
            query = query.join(Video, Video.id == self.driving.video_id)
        return query

    def matches(self, limit: int) -> list[tuple[int, int]]:
        """Up to ``limit`` matches of the whole query as ``(video id, rank)``, any order."""
        d = self.driving
        query = self._select([d.video_id, d.rank], self.anywhere())
        if self.driver_terms is not None and len(self.driver_terms) == 1:
            query = query.where(d.term == self.driver_terms[0])  # one posting per video
        else:
            query = query.where(_term_matches(d.term, self.driver)).distinct()
        return [(int(i), int(r)) for i, r in self.session.execute(query.limit(limit))]

    def in_title_among(self, ids: list[int]) -> set[int]:
        """Which of ``ids`` match every word in the title fields (tier one)."""
        found: set[int] = set()
        for start in range(0, len(ids), 1000):
            chunk = ids[start : start + 1000]
            conditions = [self._word_in_title(w, Video.id) for w in self.words]
            query = select(Video.id).where(Video.id.in_(chunk), *conditions)
            found.update(self.session.scalars(query))
        return found

    def count(self) -> int:
        """Matches of the whole query (both tiers), counted up to ``COUNT_CAP + 1``."""
        d = self.driving
        query = self._select([d.video_id], self.anywhere())
        if self.driver_terms is not None and len(self.driver_terms) == 1:
            query = query.where(d.term == self.driver_terms[0])  # one posting per video
        else:
            query = query.where(_term_matches(d.term, self.driver)).distinct()
        limited = query.limit(COUNT_CAP + 1).subquery()
        return int(self.session.scalar(select(func.count()).select_from(limited)) or 0)

    def newest_segments(self) -> list[tuple[int | None, int | None, bool]]:
        return [(None, None, True)]

    def oldest_segments(self) -> list[tuple[int | None, int | None, bool]]:
        # Ranks descending: oldest first, but undated videos (the top ranks) go last.
        return [(None, _NULL_DAY, False), (_NULL_DAY + 1, None, False)]

    def collect(
        self, tier: _Tier, segments: list[tuple[int | None, int | None, bool]], want: int
    ) -> list[int]:
        """The first ``want`` video ids of ``tier`` in the order of ``segments`` (rank ranges
        read one after the other, each ascending or not)."""
        d = self.driving
        flags = [True] if tier.in_title_only else [True, False]
        sources: list[tuple[ColumnElement[bool], bool]] = []
        if self.driver_terms is None:
            in_flags = d.in_title == true() if tier.in_title_only else true()
            sources.append((and_(_term_matches(d.term, self.driver), in_flags), True))
        else:
            sources.extend(
                (and_(d.term == t, d.in_title == flag), False)
                for t in self.driver_terms
                for flag in flags
            )
        found: list[int] = []
        seen: set[int] = set()
        for low, high, ascending in segments:
            need = want - len(found)
            if need <= 0:
                break
            parts: list[Select[Any]] = []
            for source, several in sources:
                query = self._select([d.video_id, d.rank], tier).where(source)
                if low is not None:
                    query = query.where(d.rank >= low)
                if high is not None:
                    query = query.where(d.rank <= high)
                if several:
                    query = query.distinct()
                order = d.rank.asc() if ascending else d.rank.desc()
                parts.append(query.order_by(order).limit(need))
            if len(parts) == 1:
                rows = list(self.session.execute(parts[0]).all())
            else:
                subqueries = [p.subquery() for p in parts]
                union = union_all(*(select(sq.c.video_id, sq.c.rank) for sq in subqueries))
                rows = list(self.session.execute(union).all())
            rows.sort(key=lambda row: row[1], reverse=not ascending)
            for video_id, _rank in rows:
                if video_id not in seen:
                    seen.add(video_id)
                    found.append(video_id)
                    if len(found) >= want:
                        break
        return found


def _estimate(session: Session, req: Requirement) -> int:
    """How many postings ``req`` has, counted up to ``COUNT_CAP + 1`` (index only)."""
    limited = (
        select(VideoTerm.video_id)
        .where(_term_matches(VideoTerm.term, req))
        .limit(COUNT_CAP + 1)
        .subquery()
    )
    return int(session.scalar(select(func.count()).select_from(limited)) or 0)


def _terms_of(session: Session, req: Requirement) -> list[str] | None:
    """The distinct terms ``req`` matches (one index seek each), or None when too many."""
    if not req.prefix:
        return [req.term]
    upper = _successor(req.term)
    terms: list[str] = []
    while len(terms) <= MAX_DRIVER_TERMS:
        query = select(VideoTerm.term)
        query = (
            query.where(VideoTerm.term > terms[-1])
            if terms
            else query.where(VideoTerm.term >= req.term)
        )
        if upper is not None:
            query = query.where(VideoTerm.term < upper)
        term = session.scalar(query.order_by(VideoTerm.term).limit(1))
        if term is None:
            return terms
        terms.append(term)
    return None


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
