"""Words counted as common are remembered (decision 0305): a repeated query does not count
their postings again, its answer does not change, and a rare word is always counted, so a
video archived a moment ago is found at once."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import pytest

from patchwork.archive.ingest.info_json import ingest_metadata, parse_info
from patchwork.archive.search import postings
from patchwork.archive.search.service import search_videos
from patchwork.db import Database
from support.archive_samples import info

CountStatements = Callable[[Database], AbstractContextManager[Any]]


@pytest.fixture
def archive(db: Database, monkeypatch: pytest.MonkeyPatch) -> Database:
    monkeypatch.setattr(postings, "ESTIMATE_CAP", 11)  # "common" from 11 postings
    for n in range(30):
        song = "桜" if n % 3 == 0 else "夜"
        ingest_metadata(db, parse_info(info(f"common{n:05d}", f"{song} cover take {n}")))
    return db


def found(db: Database, q: str) -> list[str]:
    return [v.video_id for v in search_videos(db, q, page=1, per_page=50).items]


def test_a_common_word_is_counted_once(
    archive: Database, count_statements: CountStatements
) -> None:
    with count_statements(archive) as first:
        before = found(archive, "cover 桜")
    with count_statements(archive) as again:
        after = found(archive, "cover 桜")
    assert after == before and len(before) == 10
    assert len(again.sql) < len(first.sql), again.sql


def test_a_rare_word_is_always_counted(archive: Database) -> None:
    assert found(archive, "cover 珍しい") == []
    ingest_metadata(archive, parse_info(info("rare000001", "珍しい cover")))
    assert found(archive, "cover 珍しい") == ["rare000001"]
    assert found(archive, "珍しい") == ["rare000001"]
