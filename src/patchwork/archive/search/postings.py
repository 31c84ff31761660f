"""What the postings index holds, counted and listed: capped counts, the rarest requirement,
the terms of a prefix. Each is a bounded index read (decisions 0302, 0303, 0305)."""

from __future__ import annotations

import time
import weakref
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Select,
    Table,
    case,
    func,
    literal,
    select,
)
from sqlalchemy.orm import Session

from patchwork.archive.search.conditions import successor, term_matches
from patchwork.archive.search.terms import QueryWord, Requirement
from patchwork.db.models import VideoTerm

#: Counting stops after this many matches; a page then says ``capped``.
COUNT_CAP = 10_000
#: A driving prefix that spans more distinct terms than this is read as one range and sorted
#: by the database instead of merged from per-term scans.
MAX_DRIVER_TERMS = 32
#: Requirements are counted up to this many postings to find the rarest: past it a word is
#: common, and telling 2,000 from 10,000 postings cost a common word 10,000 index reads.
ESTIMATE_CAP = 2_001
#: The postings table itself: plain table expressions cost a request far less Python than
#: ORM aliases do (each ORM alias adapts every column it touches).
POSTINGS: Table = VideoTerm.__table__  # type: ignore[assignment]
_AFTER = POSTINGS.alias("after")


def capped_count(session: Session, query: Select[Any], cap: int | None = None) -> int:
    """Rows of ``query``, counted up to ``cap`` (default ``COUNT_CAP + 1``; the database
    stops there)."""
    limit = COUNT_CAP + 1 if cap is None else cap
    query = query.order_by(None)
    if session.get_bind().dialect.name in ("mysql", "mariadb"):
        # They copy a LIMITed derived table into a temporary table before counting it (a
        # write and a read more per row); asking for the cap-th row first, then counting
        # only when there is none, reads each row once or twice and writes nothing.
        over = query.limit(1).offset(limit - 1).scalar_subquery()
        below = select(func.count()).select_from(query.subquery()).scalar_subquery()
        return int(session.scalar(select(case((over.is_not(None), limit), else_=below))) or 0)
    limited = query.limit(limit).subquery()
    return int(session.scalar(select(func.count()).select_from(limited)) or 0)


def rarest(session: Session, candidates: list[tuple[QueryWord, Requirement]]) -> tuple[int, int]:
    """``(postings, index)`` of the requirement with the fewest postings, counted up to
    :data:`ESTIMATE_CAP`. Exact, longer terms go first (likelier rare) and each is counted
    only to one past the rarest so far, so two common words cost two short counts; on a tie
    an exact word wins (it narrows tier one), then the likelier rare."""
    order = sorted(
        range(len(candidates)),
        key=lambda n: (candidates[n][1].prefix, -len(candidates[n][1].term), n),
    )
    best: tuple[int, bool, int] | None = None
    for position, n in enumerate(order):
        word, req = candidates[n]
        cap = ESTIMATE_CAP if best is None else min(ESTIMATE_CAP, best[0] + 1)
        found = (estimate_postings(session, req, cap), not word.exact, position)
        if best is None or found < best:
            best = found
        if best[0] == 0:
            break  # no posting: nothing matches, whatever the other words
    assert best is not None
    return best[0], order[best[2]]


def estimate_postings(session: Session, req: Requirement, cap: int | None = None) -> int:
    """How many postings ``req`` has, counted up to ``cap`` (index only).

    A requirement once counted to :data:`ESTIMATE_CAP` is remembered as common for
    :data:`COMMON_TERM_SECONDS`: the estimates only choose which word drives a query, common
    words stay common, and reading 2,001 postings of each common word was a third of a
    multi-word search. Rare ones are always counted: a new video can make one match."""
    limit = COUNT_CAP + 1 if cap is None else cap
    common = _common_terms(session)
    seen = common.get(req)
    if seen is not None and limit <= ESTIMATE_CAP and time.monotonic() - seen < COMMON_TERM_SECONDS:
        return limit
    query = select(POSTINGS.c.video_id).where(term_matches(POSTINGS.c.term, req))
    found = capped_count(session, query, limit)
    if found >= ESTIMATE_CAP:
        if len(common) >= MAX_COMMON_TERMS:
            common.pop(next(iter(common)))  # the oldest
        common[req] = time.monotonic()
    elif seen is not None:
        common.pop(req, None)
    return found


#: How long a word counted as common is believed to be, and how many are remembered.
COMMON_TERM_SECONDS = 300.0
MAX_COMMON_TERMS = 4096
# Per engine (one archive): a test's or a second app's archive has its own common words.
_COMMON: weakref.WeakKeyDictionary[Engine, dict[Requirement, float]] = weakref.WeakKeyDictionary()


def _common_terms(session: Session) -> dict[Requirement, float]:
    engine = session.get_bind()
    engine = engine.engine if isinstance(engine, Connection) else engine
    return _COMMON.setdefault(engine, {})


def terms_of(session: Session, req: Requirement) -> list[str] | None:
    """The distinct terms a prefix requirement matches, or None when more than
    ``MAX_DRIVER_TERMS``: one index seek a term. SQLite and PostgreSQL walk the index in one
    recursive statement; MySQL/MariaDB cannot seek a bound that comes from the walk (they
    read the range to its end at each step), so there each seek is a statement."""
    upper = successor(req.term)

    def in_range(column: Any, lower: ColumnElement[bool]) -> list[ColumnElement[bool]]:
        return [lower] if upper is None else [lower, column < upper]

    if session.get_bind().dialect.name in ("mysql", "mariadb"):
        terms: list[str] = []
        while len(terms) <= MAX_DRIVER_TERMS:
            lower = POSTINGS.c.term > terms[-1] if terms else POSTINGS.c.term >= req.term
            query = select(POSTINGS.c.term).where(*in_range(POSTINGS.c.term, lower))
            term = session.scalar(query.order_by(POSTINGS.c.term).limit(1))
            if term is None:
                break
            terms.append(term)
        return terms if len(terms) <= MAX_DRIVER_TERMS else None
    first = select(func.min(POSTINGS.c.term).label("term"), literal(1).label("n"))
    walk = first.where(*in_range(POSTINGS.c.term, POSTINGS.c.term >= req.term)).cte(
        "walk", recursive=True
    )
    after = _AFTER.c
    following = select(func.min(after.term)).where(*in_range(after.term, after.term > walk.c.term))
    walk = walk.union_all(
        select(following.scalar_subquery(), walk.c.n + 1).where(
            walk.c.term.is_not(None), walk.c.n <= MAX_DRIVER_TERMS
        )
    )
    found = list(session.scalars(select(walk.c.term).where(walk.c.term.is_not(None))))
    return found if len(found) <= MAX_DRIVER_TERMS else None
