"""The ``awkward`` legacy database: the original's schema filled with every awkward row it held.

Registered through ``pytest_plugins`` in tests/conftest.py; ``run`` imports it into Patchwork.
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from patchwork.db import Database
from patchwork.legacy.report import ImportReport
from patchwork.legacy.run import import_legacy
from patchwork.legacy.source import LegacySource
from support.legacy_fixtures import fill, source_url

QUEUE_SECRET = "queue-secret-4f9c1d2e7b"
WORKER_SECRET = "worker-secret-8a7b6c5d4e"
STRANGER_SECRET = "not-a-token-3e2d1c"
SECRETS = (QUEUE_SECRET, WORKER_SECRET, STRANGER_SECRET)


def song(
    id: int, vid: str, title: str, channel: str, name: str, date: str, desc: str = ""
) -> dict[str, Any]:
    return {
        "id": id,
        "video_id": vid,
        "title": title,
        "channel_id": channel,
        "channel_name": name,
        "upload_date": date,
        "description": desc,
    }


@pytest.fixture
def awkward(legacy_engine: Engine) -> str:
    """The original's database with every kind of awkward row the issue names."""
    fill(
        legacy_engine,
        "songs",
        [
            song(1, "dQw4w9WgXcQ", "Old title", "UC_A", "Alpha Old", "2020-01-02"),
            song(2, "vid00000002", "夜に駆ける 🎵", "UC_B", "ヨアソビ", "20200315"),
            song(
                3,
                "dQw4w9WgXcQ",
                "New title 🎉",
                "UC_A",
                "Alpha New",
                "2021-05-06",
                "first line \\nsecond line \\n \\nafter a blank",
            ),
            song(4, "BV1xx411c7mD", "ビリビリ", "bili123", "Bili Name", "not a date"),
            song(5, "abcdefghijk", "Mid", "UC_A", "Alpha Mid", "2020-06-01"),
            song(6, "ABCDEFGHIJK", "Case twin", "UC_A", "Alpha Old", "2019-01-01"),
        ],
    )
    fill(
        legacy_engine,
        "romanized",
        [
            {"id": 1, "video_id": "dQw4w9WgXcQ", "romanized_title": "old romaji"},
            {"id": 2, "video_id": "vid00000002", "romanized_title": "Yoru ni kakeru"},
            {"id": 3, "video_id": "dQw4w9WgXcQ", "romanized_title": "New title"},
            {"id": 4, "video_id": "BV1xx411c7mD", "romanized_title": "Biribiri"},
        ],
    )
    fill(
        legacy_engine,
        "channels",
        [
            {
                "channel_id": "UC_A",
                "channel_name": "Alpha Channel",
                "romanized_name": "Alpha Channel",
                "description": "About alpha",
            },
            {
                "channel_id": "UC_B",
                "channel_name": "ヨアソビ",
                "romanized_name": "Yoasobi",
                "description": None,
            },
            {
                "channel_id": "UC_Z",
                "channel_name": "Zeta",
                "romanized_name": None,  # the original's worker wrote one; older rows may not
                "description": "no videos yet",
            },
        ],
    )
    fill(
        legacy_engine,
        "files",
        [
            {"video_id": "dQw4w9WgXcQ", "size_mb": 12.5, "extension": "webm"},
            {"video_id": "vid00000002", "size_mb": 0, "extension": None},
            {"video_id": "BV1xx411c7mD", "size_mb": 3.25, "extension": "mp4"},
            {"video_id": "deletedvid0", "size_mb": 1.0, "extension": "webm"},
        ],
    )
    fill(
        legacy_engine,
        "views",
        [
            {"video_id": "dQw4w9WgXcQ", "view_count": 42},
            {"video_id": "vid00000002", "view_count": 7},
        ],
    )
    fill(
        legacy_engine,
        "kv",
        [
            {"DATA": "video_bucket_size", "REFERENCE": "1.5"},
            {"DATA": "video_bucket_size_units", "REFERENCE": "TB"},
            {"DATA": "video_bucket_count", "REFERENCE": "1234"},
        ],
    )
    fill(
        legacy_engine,
        "archive_queue",
        [
            {"id": 1, "url": "https://www.youtube.com/watch?v=aaaaaaaaaaa&t=3", "mode": 0},
            {"id": 2, "url": "https://youtu.be/aaaaaaaaaaa", "mode": 1},
            {"id": 3, "url": None, "mode": None},
            {"id": 4, "url": "", "mode": 0},
            {"id": 5, "url": "abcdefghijk", "mode": 2},
            {"id": 6, "url": "https://www.youtube.com/watch?v=bbbbbbbbbbb", "mode": None},
            {"id": 7, "url": "not a url at all", "mode": 0},
        ],
    )
    fill(
        legacy_engine,
        "archive_queue_auth",
        [{"id": 1, "token": QUEUE_SECRET}, {"id": 2, "token": None}],
    )
    fill(legacy_engine, "archive_worker_auth", [{"id": 1, "token": WORKER_SECRET}])
    # The successor's schema makes archive_log's url and user NOT NULL: there they are empty,
    # which the import skips for the same reason as NULL.
    nothing = None if legacy_engine.dialect.name == "mysql" else ""
    log = [
        (
            1,
            "https://www.youtube.com/watch?v=aaaaaaaaaaa&t=3",
            QUEUE_SECRET,
            "Queued",
            "2024-01-02 03:04:05.123456",
        ),
        (
            2,
            "https://www.youtube.com/watch?v=ccccccccccc",
            WORKER_SECRET,
            "Processed",
            "2024-01-01 00:00:00",
        ),
        (3, "https://youtu.be/ddddddddddd", STRANGER_SECRET, "Processed", "garbage"),
        (4, nothing, nothing, "Queued", None),
    ]
    fill(
        legacy_engine,
        "archive_log",
        [dict(zip(("id", "url", "user", "status", "timestamp"), r, strict=True)) for r in log],
    )
    fill(
        legacy_engine,
        "worker_status",
        [
            {
                "id": 1,
                "name": "worker-one",
                "token": WORKER_SECRET,
                "status": "Idle. Waiting for work...",
                "timestamp": "2024-01-03 10:00:00.500000",
            }
        ],
    )
    return source_url(legacy_engine)


def run(url: str, db: Database, *, dry_run: bool = False) -> ImportReport:
    source = LegacySource(url, page_size=2)  # tiny pages: every copier crosses page ends
    try:
        return import_legacy(source, db, tz=UTC, dry_run=dry_run)
    finally:
        source.dispose()
