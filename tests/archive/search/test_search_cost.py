"""A common word plus a short CJK term costs what asking for each alone costs (decision 0305).

On an archive where ``cover`` and ``桜`` are both common and often in one title, the rows the
database reads for ``cover 桜`` (every statement re-run and metered by
tests/support/rows_read.py) stay within the rows of ``cover`` and of ``桜`` asked alone plus
a fixed budget for checking the rarer one's postings: a count that probes a posting per
match stops after :data:`service.PROBE_BUDGET` of them and says it is a lower bound. The
answer itself is still exactly the brute-force matcher's page, and its total honest.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import insert

from patchwork.archive.search import service as search_service
from patchwork.archive.search.service import rebuild_index, search_videos
from patchwork.db import Database
from patchwork.db.models import Video
from support.rows_read import RowsMeter, capturing
from support.search_oracle import Row, expected_videos

VIDEOS = 1500
BUDGET = 40  # far below the postings of either word
#: Probes of the rarer word's postings the budget allows (each a primary-key read, with
#: the temporary copy MariaDB makes of the budgeted postings and the page's own probes).
BUDGET_ROWS = 6 * BUDGET + 200


def corpus() -> list[Row]:
    """2/3 of titles have 桜 (in 千本桜 or alone), 1/2 say cover; 1 in 7 only in the channel."""
    rows = []
    for n in range(VIDEOS):
        song = ("千本桜", "桜", "夜に駆ける")[n % 3]
        tag = "(cover)" if n % 2 else "(original)"
        channel = "桜 Cover Ch" if n % 7 == 0 else "Someone"
        title = f"【歌ってみた】{song} {tag} take {n}"
        day = date(2020, 1, 1) + timedelta(days=n % 400)
        rows.append(Row(f"c{n:05d}", title, None, f"ch{n % 7 == 0}", channel, day, n))
    return rows


@pytest.fixture
def archive(db: Database) -> list[Row]:
    rows = corpus()
    with db.engine.begin() as connection:
        connection.execute(
            insert(Video),
            [
                {
                    "video_id": r.key,
                    "title": r.title,
                    "romanized_title": r.romanized_title,
                    "channel_id": r.channel_id,
                    "channel_name": r.channel_name,
                    "upload_date": r.upload_date,
                }
                for r in rows
            ],
        )
    rebuild_index(db)  # a bulk load, indexed as `patchwork search reindex` does
    return rows


def rows_read(db: Database, database_url: str, q: str) -> int:
    with capturing(db.engine) as captured:
        search_videos(db, q, page=1, per_page=14)
    meter = RowsMeter(database_url)
    try:
        return meter.measure(captured).total
    finally:
        meter.close()


def test_a_common_word_and_a_kanji_cost_what_each_costs_alone(
    db: Database, database_url: str, archive: list[Row], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search_service, "PROBE_BUDGET", BUDGET)
    alone = rows_read(db, database_url, "cover") + rows_read(db, database_url, "桜")
    together = rows_read(db, database_url, "cover 桜")
    assert together <= alone + BUDGET_ROWS, f"{together} rows together, {alone} alone"


@pytest.mark.parametrize("sort", search_service.SORTS)
@pytest.mark.parametrize("page", [1, 3, 40])
def test_the_budgeted_count_keeps_pages_exact_and_totals_honest(
    db: Database,
    archive: list[Row],
    monkeypatch: pytest.MonkeyPatch,
    sort: search_service.Sort,
    page: int,
) -> None:
    monkeypatch.setattr(search_service, "PROBE_BUDGET", BUDGET)
    expected = expected_videos(archive, "cover 桜")
    if sort != "relevance":
        ordered = sorted(
            archive, key=lambda r: (-(r.upload_date or date.min).toordinal(), -r.order)
        )
        expected = [r.key for r in ordered if r.key in set(expected)]
        if sort == "oldest":
            expected.reverse()
    found = search_videos(db, "cover 桜", page=page, per_page=14, sort=sort)
    assert [v.video_id for v in found.items] == expected[(page - 1) * 14 : page * 14]
    if found.capped:  # a lower bound, at least what this page shows
        assert (page - 1) * 14 + len(found.items) <= found.total < len(expected)
    else:  # the page's reads ran out of matches, so every one was seen
        assert found.total == len(expected) and page > 1
