"""Search results equal a brute-force matcher's on every database (support/search_oracle.py)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from patchwork.archive.search.indexing import channel_romaji
from patchwork.archive.search.service import search_channels, search_videos
from patchwork.db import Database
from patchwork.db.models import Channel, Video
from support.search_oracle import (
    CHANNELS,
    Row,
    expected_channels,
    expected_videos,
    make_corpus,
    query_pool,
    store,
)

PER_PAGE = 1000  # one page holds everything: the order is compared whole

Searcher = Callable[[str], list[str]]


@pytest.fixture
def corpus(db: Database) -> list[Row]:
    rows = make_corpus(seed=6, count=120)
    store(db, rows)
    return rows


def found(db: Database, q: str) -> list[str]:
    return [v.video_id for v in search_videos(db, q, page=1, per_page=PER_PAGE).items]


WORD = st.sampled_from(query_pool())
QUERY = st.lists(WORD, min_size=1, max_size=3).map(" ".join)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(q=QUERY)
def test_videos_match_the_brute_force_matcher(db: Database, corpus: list[Row], q: str) -> None:
    page = search_videos(db, q, page=1, per_page=PER_PAGE)
    assert [v.video_id for v in page.items] == expected_videos(corpus, q), q
    assert page.total == len(page.items) and not page.capped


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(q=QUERY)
def test_channels_match_the_brute_force_matcher(db: Database, corpus: list[Row], q: str) -> None:
    channels = {f"ch{n}": (name, channel_romaji(name)) for n, name in enumerate(CHANNELS)}
    page = search_channels(db, q, page=1, per_page=PER_PAGE)
    assert {c.channel_id for c in page.items} == expected_channels(channels, q), q


@pytest.mark.parametrize(
    "q",
    [
        "夜",  # one CJK character: below bigram size
        "駆け",
        "夜に駆ける",
        "に駆",  # a CJK substring in the middle of a run
        "すてら",  # hiragana finds katakana
        "ｽﾃﾗ",  # half-width katakana finds full-width
        "ＬＯＶＥ",  # full-width Latin finds ASCII, case-insensitively
        "LOV",  # a word prefix
        "ove",  # not a word start: nothing from "love"/"cover"
        "love song",  # AND
        "100%",
        "%",
        "_",
        "a_b",
        "\\",
        "(live",
        "[a-z]+",
        "yoru kakeru",
        "hoshimachi",  # the romaji of a channel name
        "",
    ],
)
def test_listed_cases(db: Database, corpus: list[Row], q: str) -> None:
    assert found(db, q) == expected_videos(corpus, q)


def test_index_follows_updates_and_deletes(db: Database, corpus: list[Row]) -> None:
    from sqlalchemy import delete, select

    with db.transaction() as session:
        video = session.scalars(select(Video).where(Video.video_id == corpus[0].key)).one()
        video.title = "全く新しい題名 brandnew"
    assert found(db, "brandnew") == [corpus[0].key]
    assert found(db, "新しい") == [corpus[0].key]
    with db.transaction() as session:
        session.execute(delete(Video).where(Video.video_id == corpus[0].key))
    assert found(db, "brandnew") == []
    with db.transaction() as session:
        channel = session.scalars(select(Channel).where(Channel.channel_id == "ch0")).one()
        channel.name = "Renamed Singer"
    assert [c.channel_id for c in search_channels(db, "renamed", page=1, per_page=9).items] == [
        "ch0"
    ]
