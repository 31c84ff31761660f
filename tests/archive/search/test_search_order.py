"""Ranked search (postings read newest first) equals the row scan in every sort, filter and page.

The row scan (``_scan_videos``, the original plan: filter the rows, let the database sort)
is checked against a brute-force matcher in test_search_matching.py; here the ranked plan of
:func:`search_videos` is compared with it where that test does not reach: ``sort=newest`` and
``oldest``, channel and date filters, pages that cross from tier one to tier two.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from patchwork.archive.search import postings
from patchwork.archive.search import service as search_service
from patchwork.archive.search.query_plan import VideoFilters
from patchwork.archive.search.service import _scan_videos, query_words, search_videos
from patchwork.db import Database
from patchwork.db.models import Video
from support.search_oracle import Row, make_corpus, query_pool, store

PER_PAGE = 7
WORD = st.sampled_from(query_pool())
QUERY = st.lists(WORD, min_size=1, max_size=3).map(" ".join)
FILTERS = st.builds(
    VideoFilters,
    channel_id=st.sampled_from([None, None, "ch0", "ch3"]),
    date_from=st.sampled_from([None, None, date(2020, 1, 10)]),
    date_to=st.sampled_from([None, None, date(2020, 1, 20)]),
)


@pytest.fixture
def corpus(db: Database) -> list[Row]:
    rows = make_corpus(seed=11, count=150)
    store(db, rows)
    return rows


def pages(db: Database, q: str, sort: search_service.Sort, filters: VideoFilters) -> list[object]:
    """Every page of the ranked plan and of the scan, side by side."""
    out: list[object] = []
    for page in (1, 2, 3, 5):
        ranked = search_videos(db, q, page=page, per_page=PER_PAGE, sort=sort, filters=filters)
        scanned = _scan_videos(
            db, query_words(q), page=page, per_page=PER_PAGE, sort=sort, filters=filters
        )
        out.append(
            (
                page,
                [v.video_id for v in ranked.items],
                ranked.total,
                ranked.capped,
                [v.video_id for v in scanned.items],
                scanned.total,
                scanned.capped,
            )
        )
    return out


def same(rows: list[object]) -> bool:
    """The same pages; the same total, unless the ranked one says it is capped: then it is a
    lower bound, at least what its own page shows (decision 0305)."""

    def honest(row: Any) -> bool:
        page, ranked, total, capped, scanned, scanned_total, scanned_capped = row
        if ranked != scanned:
            return False
        if not capped:
            return (total, scanned_capped) == (scanned_total, False)
        return (page - 1) * PER_PAGE + len(ranked) <= total <= scanned_total or scanned_capped

    return all(honest(row) for row in rows)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@pytest.mark.parametrize("few", [0, 6, 2000])  # pages read in rank order, or all sorted here
@given(q=QUERY, sort=st.sampled_from(search_service.SORTS), filters=FILTERS)
def test_ranked_plan_equals_the_scan(
    db: Database,
    corpus: list[Row],
    monkeypatch: pytest.MonkeyPatch,
    few: int,
    q: str,
    sort: search_service.Sort,
    filters: VideoFilters,
) -> None:
    monkeypatch.setattr(search_service, "FEW", few)
    monkeypatch.setattr(search_service, "PROBE_BUDGET", few)
    rows = pages(db, q, sort, filters)
    assert same(rows), (q, sort, filters, rows)


@pytest.mark.parametrize("q", ["l", "lo", "a", "夜", "s", "x9 l", "歌 l"])
def test_a_driver_of_many_terms_is_read_as_one_range(
    db: Database, corpus: list[Row], q: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(postings, "MAX_DRIVER_TERMS", 1)
    monkeypatch.setattr(search_service, "FEW", 0)
    monkeypatch.setattr(search_service, "PROBE_BUDGET", 0)
    for sort in search_service.SORTS:
        rows = pages(db, q, sort, VideoFilters())
        assert same(rows), (q, sort, rows)


def test_ranks_follow_a_changed_upload_date(
    db: Database, corpus: list[Row], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search_service, "FEW", 0)
    monkeypatch.setattr(search_service, "PROBE_BUDGET", 0)
    with db.transaction() as session:
        videos = list(session.scalars(select(Video).order_by(Video.id).limit(3)))
        videos[0].upload_date = date(2031, 1, 1)
        videos[1].upload_date = None
        videos[2].upload_date = date(1999, 1, 1)
        keys = [v.video_id for v in videos]
    for q in ["a", "夜", "love", "s"]:
        for sort in search_service.SORTS:
            assert same(pages(db, q, sort, VideoFilters())), (q, sort)
    newest = search_videos(db, "", page=1, per_page=1, sort="newest")
    assert [v.video_id for v in newest.items] == [keys[0]]
