"""How a search query runs against the term postings: :class:`QueryPlan`.

One *driving* requirement (the rarest word) is read from the postings index in rank order and
every other word is checked per row, so ``LIMIT`` stops early;
:mod:`patchwork.archive.search.service` decides which pages to ask for. Split from it because
the plan is the part that knows how the postings index is laid out (decision 0303).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, not_, or_, select, true, union_all
from sqlalchemy.orm import Session, aliased

from patchwork.archive.availability.reasons import State
from patchwork.archive.search import indexing
from patchwork.archive.search.terms import QueryWord, Requirement
from patchwork.db.models import Video, VideoAvailability, VideoTerm

#: Counting stops after this many matches; a page then says ``capped``.
COUNT_CAP = 10_000


@dataclass(frozen=True)
class VideoFilters:
    """Optional narrowing of a video search."""

    channel_id: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    availability: State | None = None


def availability_condition(state: State) -> ColumnElement[bool]:
    """Whether the joined video is in ``state``: one primary-key probe of
    ``video_availability`` per candidate row, so the plan stays driven by the postings. A
    video without an availability row (none should lack one) counts as unknown, as the API
    answers it."""

    def in_states(*states: State) -> ColumnElement[bool]:
        return (
            select(VideoAvailability.video_id)
            .where(
                VideoAvailability.video_id == Video.video_id,
                VideoAvailability.state.in_([s.value for s in states]),
            )
            .exists()
        )

    if state == State.UNKNOWN:
        return not_(in_states(State.AVAILABLE, State.UNAVAILABLE))
    return in_states(state)


def successor(prefix: str) -> str | None:
    """The smallest string above every string that starts with ``prefix`` (code point order)."""
    while prefix:
        code = ord(prefix[-1]) + 1
        if 0xD800 <= code <= 0xDFFF:
            code = 0xE000
        if code <= 0x10FFFF:
            return prefix[:-1] + chr(code)
        prefix = prefix[:-1]
    return None


def term_matches(column: Any, req: Requirement) -> ColumnElement[bool]:
    if not req.prefix:
        return column == req.term  # type: ignore[no-any-return]
    upper = successor(req.term)
    lower = column >= req.term
    return and_(lower, column < upper) if upper is not None else lower


def like_condition(column: Any, pattern: str) -> ColumnElement[bool]:
    escaped = pattern.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return column.like(f"%{escaped}%", escape="\\")  # type: ignore[no-any-return]


#: A driving prefix that spans more distinct terms than this is read as one range and sorted
#: by the database instead of merged from per-term scans.
MAX_DRIVER_TERMS = 32
NULL_DAY = -(1 << indexing.RANK_SHIFT)  # ranks above: undated videos


@dataclass(frozen=True)
class Tier:
    """Which postings of the driving requirement to scan, and what else each row needs."""

    in_title_only: bool
    conditions: list[ColumnElement[bool]]


@dataclass
class QueryPlan:
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
    def make(cls, session: Session, words: list[QueryWord], filters: VideoFilters) -> QueryPlan:
        candidates = [(w, r) for w in words for r in w.requirements]
        if len(candidates) == 1:
            word, req = candidates[0]
        else:  # the rarest requirement drives; an exact word's on a tie (it narrows tier one)
            estimates = [
                (estimate_postings(session, r), not w.exact, n)
                for n, (w, r) in enumerate(candidates)
            ]
            word, req = candidates[min(estimates)[2]]
        terms = terms_of(session, req)
        driving = aliased(VideoTerm, name="d")
        return cls(session, words, filters, req, word, terms, driving)

    # ---- conditions on the driving row -------------------------------------------------

    @property
    def _needs_video(self) -> bool:
        return (
            self.filters.channel_id is not None
            or self.filters.availability is not None
            or any(not w.exact for w in self.words)
        )

    def _probe(self, req: Requirement, in_title: bool, video_id: Any = None) -> ColumnElement[bool]:
        """Whether the video (by default the driving row's) has a posting ``req`` matches."""
        other = aliased(VideoTerm)
        video_id = self.driving.video_id if video_id is None else video_id
        condition = and_(other.video_id == video_id, term_matches(other.term, req))
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
                like_condition(Video.search_title, word.pattern),
                like_condition(Video.search_channel, word.pattern),
            ),
        ]

    def _word_in_title(self, word: QueryWord, video_id: Any = None) -> ColumnElement[bool]:
        if word.exact:
            return self._probe(word.requirements[0], True, video_id)
        return like_condition(Video.search_title, word.pattern)

    def _filters(self) -> list[ColumnElement[bool]]:
        found: list[ColumnElement[bool]] = []
        if self.filters.channel_id is not None:
            found.append(Video.channel_id == self.filters.channel_id)
        if self.filters.date_from is not None or self.filters.date_to is not None:
            low, high = indexing.rank_bounds(self.filters.date_from, self.filters.date_to)
            found.append(self.driving.rank.between(low, high))
        if self.filters.availability is not None:
            found.append(availability_condition(self.filters.availability))
        return found

    def anywhere(self) -> Tier:
        found = [c for w in self.words for c in self._word_anywhere(w)]
        return Tier(False, found + self._filters())

    def in_title(self) -> Tier:
        found: list[ColumnElement[bool]] = []
        only_title = self.driver_word.exact
        for word in self.words:
            if word is self.driver_word and only_title:
                continue  # the driving postings are title postings
            found.append(self._word_in_title(word))  # implies the word matches anywhere
        return Tier(only_title, found + self._filters())

    def not_in_title(self) -> Tier:
        every = and_(true(), *(self._word_in_title(w) for w in self.words))
        return Tier(False, [*self.anywhere().conditions, not_(every)])

    # ---- reading -----------------------------------------------------------------------

    def _select(self, columns: list[Any], tier: Tier) -> Select[Any]:
        query = select(*columns).where(*tier.conditions)
        if self._needs_video:
            query = query.join(Video, Video.id == self.driving.video_id)
        return query

    def _driven(self, columns: list[Any]) -> Select[Any]:
        """``columns`` of the driving postings that match the whole query, once per video."""
        d = self.driving
        query = self._select(columns, self.anywhere())
        if self.driver_terms is not None and len(self.driver_terms) == 1:
            return query.where(d.term == self.driver_terms[0])  # one posting per video
        return query.where(term_matches(d.term, self.driver)).distinct()

    def matches(self, limit: int) -> list[tuple[int, int]]:
        """Up to ``limit`` matches of the whole query as ``(video id, rank)``, any order."""
        query = self._driven([self.driving.video_id, self.driving.rank]).limit(limit)
        return [(int(i), int(r)) for i, r in self.session.execute(query)]

    def in_title_among(self, ids: list[int]) -> set[int]:
        """Which of ``ids`` match every word in the title fields (tier one)."""
        found: set[int] = set()
        for start in range(0, len(ids), 1000):
            chunk = ids[start : start + 1000]
            conditions = [self._word_in_title(w, Video.id) for w in self.words]
            query = select(Video.id).where(Video.id.in_(chunk), *conditions)
            found.update(self.session.scalars(query))
        return found

    def counts_from_postings(self) -> bool:
        """Whether :meth:`count` reads the driving postings alone: no other word to probe,
        no filter, no row to join (a ``LIKE`` word or a channel filter would be conditions)."""
        return not self.anywhere().conditions

    def count(self) -> int:
        """Matches of the whole query (both tiers), counted up to ``COUNT_CAP + 1``."""
        return capped_count(self.session, self._driven([self.driving.video_id]))

    def newest_segments(self) -> list[tuple[int | None, int | None, bool]]:
        return [(None, None, True)]

    def oldest_segments(self) -> list[tuple[int | None, int | None, bool]]:
        # Ranks descending: oldest first, but undated videos (the top ranks) go last.
        return [(None, NULL_DAY, False), (NULL_DAY + 1, None, False)]

    def collect(
        self, tier: Tier, segments: list[tuple[int | None, int | None, bool]], want: int
    ) -> list[int]:
        """The first ``want`` video ids of ``tier`` in the order of ``segments`` (rank ranges
        read one after the other, each ascending or not)."""
        d = self.driving
        flags = [True] if tier.in_title_only else [True, False]
        sources: list[tuple[ColumnElement[bool], bool]] = []
        if self.driver_terms is None:
            in_flags = d.in_title == true() if tier.in_title_only else true()
            sources.append((and_(term_matches(d.term, self.driver), in_flags), True))
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


def capped_count(session: Session, query: Select[Any]) -> int:
    """Rows of ``query``, counted up to ``COUNT_CAP + 1`` (the database stops there)."""
    limited = query.order_by(None).limit(COUNT_CAP + 1).subquery()
    return int(session.scalar(select(func.count()).select_from(limited)) or 0)


def estimate_postings(session: Session, req: Requirement) -> int:
    """How many postings ``req`` has, counted up to ``COUNT_CAP + 1`` (index only)."""
    return capped_count(
        session, select(VideoTerm.video_id).where(term_matches(VideoTerm.term, req))
    )


def terms_of(session: Session, req: Requirement) -> list[str] | None:
    """The distinct terms ``req`` matches (one index seek each), or None when too many."""
    if not req.prefix:
        return [req.term]
    upper = successor(req.term)
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
