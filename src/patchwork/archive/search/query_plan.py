"""How a search query runs against the term postings: :class:`QueryPlan`.

One *driving* requirement (the rarest word) is read from the postings index in rank order and
every other word is checked per row, so ``LIMIT`` stops early;
:mod:`patchwork.archive.search.service` decides which pages to ask for. Split from it because
the plan is the part that knows how the postings index is laid out (decisions 0303, 0305).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    case,
    false,
    func,
    literal,
    not_,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.orm import Session

from patchwork.archive.availability.reasons import State
from patchwork.archive.search import indexing, postings
from patchwork.archive.search.conditions import (
    availability_condition,
    like_condition,
    term_matches,
)
from patchwork.archive.search.postings import POSTINGS
from patchwork.archive.search.terms import QueryWord, Requirement
from patchwork.db.models import Video

#: ``(video id, rank, every word in the title)`` of one match.
Match = tuple[int, int, bool]


@dataclass(frozen=True)
class VideoFilters:
    """Optional narrowing of a video search."""

    channel_id: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    availability: State | None = None


NULL_DAY = -(1 << indexing.RANK_SHIFT)  # ranks above: undated videos
# Built once: every plan reads the same two names (a probe is its own subquery's scope).
_DRIVING = POSTINGS.alias("d")
_PROBED = POSTINGS.alias("p")


@dataclass(frozen=True)
class Tier:
    """Which postings of the driving requirement to scan, and what else each row needs."""

    in_title_only: bool
    conditions: list[ColumnElement[bool]]


@dataclass
class QueryPlan:
    """A query's execution: one *driving* requirement (the rarest) read from the postings
    index in rank order, every other word checked per row by a primary-key probe of the
    postings or ``LIKE`` on the joined video, so ``LIMIT`` stops early."""

    session: Session
    words: list[QueryWord]
    filters: VideoFilters
    driver: Requirement
    driver_word: QueryWord
    driver_terms: list[str] | None  # None: too many, read as one range
    driving: Any  # an alias of the postings (or of their first few) read in rank order
    #: The terms of each prefix requirement (None: more than MAX_DRIVER_TERMS).
    expansions: dict[Requirement, list[str] | None] = field(default_factory=dict)
    driver_postings: int | None = None  # counted up to postings.ESTIMATE_CAP, if estimated
    empty: bool = False  # a requirement no posting has: nothing matches

    @classmethod
    def make(cls, session: Session, words: list[QueryWord], filters: VideoFilters) -> QueryPlan:
        candidates = [(w, r) for w in words for r in w.requirements]
        expansions = {r: postings.terms_of(session, r) for _, r in candidates if r.prefix}
        empty = any(terms == [] for terms in expansions.values())
        size: int | None = None
        if len(candidates) == 1 or empty:
            word, req = candidates[0]
        else:
            size, n = postings.rarest(session, candidates)
            word, req = candidates[n]
            empty = size == 0
        terms = expansions[req] if req.prefix else [req.term]
        driving = _DRIVING
        return cls(
            session, words, filters, req, word, terms, driving, expansions, size, empty=empty
        )

    # ---- conditions on the driving row -------------------------------------------------

    @property
    def _needs_video(self) -> bool:
        return (
            self.filters.channel_id is not None
            or self.filters.availability is not None
            or any(not w.exact for w in self.words)
        )

    def _probe(
        self, req: Requirement, in_title: bool | None = None, video_id: Any = None
    ) -> ColumnElement[bool]:
        """Whether the video (by default the driving row's) has a posting ``req`` matches (a
        title posting, or another, when ``in_title`` says). A scalar subquery tested for
        NULL, not ``EXISTS``: MariaDB turns ``EXISTS`` into a semi-join that may copy the
        probed word's every posting into a temporary table, and PostgreSQL guesses a
        comparison with a subquery rare enough to read every driving posting and sort;
        this stays one primary-key probe per driving row everywhere, read in rank order."""
        other = _PROBED.c
        video_id = self.driving.c.video_id if video_id is None else video_id
        term = self._one_term(req)
        probe = select(literal(1)).where(
            other.video_id == video_id,
            other.term == term if term is not None else term_matches(other.term, req),
        )
        if in_title is not None:
            probe = probe.where(other.in_title == (true() if in_title else false()))
        if term is None:
            probe = probe.limit(1)  # several of a prefix's terms
        return probe.scalar_subquery().is_not(None)

    def _word_anywhere(self, word: QueryWord) -> list[ColumnElement[bool]]:
        found = [self._probe(r) for r in word.requirements if r is not self.driver]
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

    def _word_not_in_title(self, word: QueryWord) -> ColumnElement[bool]:
        """For a video that matches ``word`` somewhere: it is not in the title fields. Said
        positively where one posting decides (see :meth:`_probe`)."""
        if not word.exact:
            return not_(like_condition(Video.search_title, word.pattern))
        req = word.requirements[0]
        if self._one_term(req) is None:
            return not_(self._probe(req, True))
        if word is self.driver_word:
            own: ColumnElement[bool] = self.driving.c.in_title == false()
            return own  # the row is the word's one posting
        return self._probe(req, False)

    def _one_term(self, req: Requirement) -> str | None:
        """The one term ``req`` stands for, if it is one."""
        if not req.prefix:
            return req.term
        terms = self.expansions.get(req)
        return terms[0] if terms is not None and len(terms) == 1 else None

    def _filters(self) -> list[ColumnElement[bool]]:
        found: list[ColumnElement[bool]] = []
        if self.filters.channel_id is not None:
            found.append(Video.channel_id == self.filters.channel_id)
        found.extend(self._rank_range(self.driving.c))
        if self.filters.availability is not None:
            found.append(availability_condition(self.filters.availability))
        return found

    def _rank_range(self, table: Any) -> list[ColumnElement[bool]]:
        if self.filters.date_from is None and self.filters.date_to is None:
            return []
        low, high = indexing.rank_bounds(self.filters.date_from, self.filters.date_to)
        return [table.rank.between(low, high)]

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
        some = or_(*(self._word_not_in_title(w) for w in self.words))
        return Tier(False, [*self.anywhere().conditions, some])

    def _title_flag(self) -> ColumnElement[Any]:
        """1 when this driving row's video has every word in the title fields (tier one;
        for a prefix of several terms, this row's term: the caller merges a video's rows)."""
        parts = [
            self.driving.c.in_title == true()
            if word is self.driver_word and word.exact
            else self._word_in_title(word)
            for word in self.words
        ]
        return case((and_(true(), *parts), 1), else_=0)

    # ---- reading -----------------------------------------------------------------------

    def _select(self, columns: list[Any], tier: Tier) -> Select[Any]:
        query = select(*columns).where(*tier.conditions)
        if self._needs_video:
            query = query.join(Video, Video.id == self.driving.c.video_id)
        return query

    def _driven(self, columns: list[Any]) -> Select[Any]:
        """``columns`` of the driving postings that match the whole query, once per video."""
        d = self.driving.c
        query = self._select(columns, self.anywhere())
        if self.driver_terms is not None and len(self.driver_terms) == 1:
            return query.where(d.term == self.driver_terms[0])  # one posting per video
        return query.where(term_matches(d.term, self.driver)).distinct()

    def _first_postings(self, examined: int) -> QueryPlan:
        """This plan over only the first ``examined`` driving postings, in index order (any
        order bounds the work; naming the index's keeps every database on it)."""
        term = POSTINGS.c.term
        one = self._one_term(self.driver)
        first = (
            select(POSTINGS)
            .where(
                term == one if one is not None else term_matches(term, self.driver),
                *self._rank_range(POSTINGS.c),
            )
            # MariaDB sorts when ORDER BY names a column the WHERE fixes to one value.
            .order_by(*([] if one is not None else [term]), POSTINGS.c.in_title, POSTINGS.c.rank)
            .limit(examined)
        )
        return replace(self, driving=first.subquery("d"))

    def counts_from_postings(self) -> bool:
        """Whether :meth:`count` reads the driving postings alone: no other word to probe,
        no filter, no row to join (a ``LIKE`` word or a channel filter would be conditions)."""
        return not self.anywhere().conditions

    def count(self) -> int:
        """Matches of the whole query (both tiers), counted up to ``postings.COUNT_CAP + 1``."""
        return postings.capped_count(self.session, self._driven([self.driving.c.video_id]))

    def driver_size(self, cap: int) -> int:
        """Postings of the driving requirement (with the date filter), counted up to ``cap``."""
        known = self.driver_postings  # exact below the estimate's cap, and without dates
        exact = known is not None and (known < postings.ESTIMATE_CAP or cap <= known)
        if known is not None and exact and not self._rank_range(POSTINGS.c):
            return min(known, cap)
        query = select(POSTINGS.c.video_id).where(
            term_matches(POSTINGS.c.term, self.driver), *self._rank_range(POSTINGS.c)
        )
        return postings.capped_count(self.session, query, cap)

    def count_examined(self, examined: int) -> int:
        """Matches among the first ``examined`` driving postings: a lower bound of the count
        that probes at most ``examined`` rows."""
        plan = self._first_postings(examined)
        counted = plan._driven([plan.driving.c.video_id]).subquery()
        return int(self.session.scalar(select(func.count()).select_from(counted)) or 0)

    def matches(self, examined: int | None, title_flags: bool) -> list[Match]:
        """The matches among the first ``examined`` driving postings (all when None), with
        whether each has every word in the title when ``title_flags`` (else False)."""
        plan = self if examined is None else self._first_postings(examined)
        d = plan.driving.c
        flag = plan._title_flag() if title_flags else literal(0)
        query = plan._select([d.video_id, d.rank, flag], plan.anywhere())
        if plan.driver_terms is not None and len(plan.driver_terms) == 1:
            query = query.where(d.term == plan.driver_terms[0])
        else:
            query = query.where(term_matches(d.term, plan.driver))
        found: dict[int, Match] = {}
        for video_id, rank, title in self.session.execute(query):
            key = int(video_id)
            earlier = found.get(key)  # a video with several of a prefix's terms: any in title
            found[key] = (key, int(rank), bool(title) or (earlier is not None and earlier[2]))
        return list(found.values())

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
        d = self.driving.c
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
