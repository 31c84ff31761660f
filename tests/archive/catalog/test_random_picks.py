"""Random picks (issue 17): distinct rows of the table, all of a small one, reproducible
from a seed, and landing on a row past each gap left by deletes."""

from __future__ import annotations

import random

from sqlalchemy import delete

from patchwork.archive.catalog.random_picks import pick_random
from patchwork.archive.ingest.info_json import ingest_metadata, parse_info
from patchwork.db import Database
from patchwork.db.models import Video
from support.archive_samples import info


def archive_of(db: Database, count: int) -> None:
    for n in range(count):
        ingest_metadata(db, parse_info(info(f"pick{n:07d}", f"song {n}")))


def picked_ids(db: Database, count: int, seed: int | None = None) -> list[str]:
    rng = random.Random(seed) if seed is not None else None
    with db.reading() as session:
        return [v.video_id for v in pick_random(session, Video, count, rng=rng)]


def test_a_small_table_is_picked_whole(db: Database) -> None:
    archive_of(db, 3)
    assert sorted(picked_ids(db, 5)) == [f"pick{n:07d}" for n in range(3)]
    assert picked_ids(db, 0) == []


def test_picks_are_distinct_rows_and_follow_the_seed(db: Database) -> None:
    archive_of(db, 30)
    every = {f"pick{n:07d}" for n in range(30)}
    for seed in range(5):
        picks = picked_ids(db, 6, seed)
        assert len(picks) == len(set(picks)) and 1 <= len(picks) <= 6
        assert set(picks) <= every
        assert picked_ids(db, 6, seed) == picks


def test_picks_skip_the_gaps_of_deleted_rows(db: Database) -> None:
    archive_of(db, 20)
    kept = {"pick0000000", "pick0000019"}
    with db.transaction() as session:
        session.execute(delete(Video).where(Video.video_id.notin_(kept)))
    for seed in range(10):
        picks = picked_ids(db, 1, seed)
        assert len(picks) == 1 and set(picks) <= kept  # never empty, never a deleted row
