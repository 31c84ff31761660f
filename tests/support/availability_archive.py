"""A synthetic archive for the scheduling tests: many videos, each with an availability row
whose ``check_from`` is in a shuffled order, written with multi-row INSERTs."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import insert

from patchwork.archive.maintenance.recount import recount_summaries
from patchwork.db import Database
from patchwork.db.models import Video, VideoAvailability

BATCH = 5_000


def build_due_archive(db: Database, count: int, now: datetime, *, seed: int = 16) -> list[str]:
    """``count`` videos, all due (checked 31 days to ~2 years ago, one second apart, in a
    shuffled order); their ids, least recently checked first."""
    rng = random.Random(seed)
    ages = list(range(count))
    rng.shuffle(ages)
    oldest = now - timedelta(days=31)
    ids = [f"sch{n:08d}" for n in range(count)]
    for start in range(0, count, BATCH):
        part = range(start, min(count, start + BATCH))
        with db.transaction() as session:
            session.execute(
                insert(Video),
                [
                    {
                        "video_id": ids[n],
                        "title": f"Video {n}",
                        "channel_id": f"UCsched{n % 40:04d}",
                        "channel_name": "Scheduled",
                        "description": "",
                        "platform": "youtube",
                        "source_url": f"https://www.youtube.com/watch?v={ids[n]}",
                        "archived_at": oldest,
                        "updated_at": oldest,
                    }
                    for n in part
                ],
            )
            session.execute(
                insert(VideoAvailability),
                [
                    {
                        "video_id": ids[n],
                        "state": "available",
                        "check_from": oldest - timedelta(seconds=ages[n]),
                        "streak_count": 0,
                        "checks": 1,
                    }
                    for n in part
                ],
            )
    recount_summaries(db)  # the rows above went around the ORM's counting
    return [video_id for _, video_id in sorted(zip(ages, ids, strict=True), reverse=True)]
