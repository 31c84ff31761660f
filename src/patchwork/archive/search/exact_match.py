"""Patchwork-Radio's lookup: the video archived under exactly this title and channel name.

Neither ``title`` nor ``channel_name`` has an index of its own (both are long text), so the
candidates come from the search postings (:mod:`patchwork.archive.search.indexing`): every term of
the title is a title posting of the video, every term of the channel name a posting of it.
The rarest of those terms is read from the postings index and only its videos' rows are
compared: a few index range scans and, in a real archive where a song title or a singer's
name has a rare word, a handful of row reads at any size. No migration is needed.

"Exactly" means code point for code point. MariaDB's ``utf8mb4_unicode_ci`` (and MySQL's
PAD SPACE collations) call ``"Song"`` and ``"SONG "`` equal, so the SQL comparison only
narrows the candidates and the final test is Python's ``==``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, func, select, true
from sqlalchemy.orm import Session

from patchwork.archive.search.terms import normalize, terms_of
from patchwork.db import Database
from patchwork.db.models import Video, VideoTerm

#: Postings counted per term when looking for the rarest: a first pass that reads a few
#: postings of each (a real title has a rare word: a song's name), then wider ones only when
#: every term passed the cap before, still telling common from very common.
ESTIMATE_CAPS = (32, 1000, 50_000)
#: Candidate rows read per query.
CHUNK = 500

Requirement = tuple[str, bool]  # (term, must be a title posting)


def find_exact(db: Database, title: str, channel_name: str) -> str | None:
    """The ``video_id`` archived with this exact title and channel name (the earliest
    archived when several are), or ``None``."""
    with db.reading() as session:
        rarest = _rarest(session, _requirements(title, channel_name))
        if rarest is None:
            # No term at all (a title and name of punctuation or emoji alone): the rows are
            # scanned, which is rare enough not to need an index of its own.
            return _first_exact(session, title, channel_name)
        count, (term, title_only) = rarest
        if count == 0:
            return None  # a term no video has: nothing can match
        # The rarest posting's videos from the index alone, then only their rows are read.
        # (Probing the other terms' postings first was measured slower: random index reads
        # cost more than the rows they spare.)
        postings = select(VideoTerm.video_id).where(_posting(VideoTerm, term, title_only))
        candidates = sorted(session.scalars(postings))
        for start in range(0, len(candidates), CHUNK):
            found = _first_exact(session, title, channel_name, candidates[start : start + CHUNK])
            if found is not None:
                return found
    return None


def _first_exact(
    session: Session, title: str, channel_name: str, ids: list[int] | None = None
) -> str | None:
    """The first video (archive order), among ``ids`` if given, whose title and channel
    name equal these code point for code point."""
    query = select(Video.video_id, Video.title, Video.channel_name).where(
        Video.title == title, Video.channel_name == channel_name
    )
    if ids is not None:
        query = query.where(Video.id.in_(ids))
    for video_id, found_title, found_channel in session.execute(query.order_by(Video.id)):
        if found_title == title and found_channel == channel_name:
            return str(video_id)
    return None


def _requirements(title: str, channel_name: str) -> list[Requirement]:
    """Postings every exact match has: each title term as a title posting, each channel
    name term as any posting (one also in the title is stored as a title posting)."""
    title_terms = terms_of(normalize(title))
    channel_terms = terms_of(normalize(channel_name)) - title_terms
    return [(t, True) for t in sorted(title_terms)] + [(t, False) for t in sorted(channel_terms)]


def _rarest(session: Session, requirements: list[Requirement]) -> tuple[int, Requirement] | None:
    """The requirement with the fewest postings and its (capped) count; ``None`` when there
    is none. A term with no posting ends the search: it alone decides the answer."""
    best: tuple[int, Requirement] | None = None
    for cap in ESTIMATE_CAPS:
        best = None
        for requirement in requirements:
            # Counting past the rarest so far cannot change which term is rarest.
            limit = cap if best is None else min(cap, best[0])
            count = _count(session, *requirement, cap=limit)
            if best is None or count < best[0]:
                best = (count, requirement)
            if count == 0:
                return best
        if best is None or best[0] < cap:
            break
    return best


def _posting(table: Any, term: str, title_only: bool) -> ColumnElement[bool]:
    condition: ColumnElement[bool] = table.term == term
    return condition & (table.in_title == true()) if title_only else condition


def _count(session: Session, term: str, title_only: bool, *, cap: int) -> int:
    """Videos with the posting, counted up to ``cap`` (an index range scan)."""
    # Ordered as ix_video_terms_rank is: PostgreSQL otherwise takes a common term for one
    # a sequential scan finds soon, and reads the whole table when its postings sit late.
    limited: Any = (
        select(VideoTerm.video_id)
        .where(_posting(VideoTerm, term, title_only))
        .order_by(VideoTerm.rank)
        .limit(cap)
    ).subquery()
    return int(session.scalar(select(func.count()).select_from(limited)) or 0)
