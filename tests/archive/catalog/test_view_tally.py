"""Views tallied in memory and written in batches (decision 0122): nothing written until a
flush, every view written by it, none lost when a flush fails or two processes flush at once,
and what is left written when the server stops."""

from __future__ import annotations

import os
import threading
import urllib.request
from collections import Counter
from dataclasses import replace
from pathlib import Path

from flask.testing import FlaskClient

from patchwork.app import create_app
from patchwork.archive.catalog import videos
from patchwork.archive.catalog.view_tally import ViewTally
from patchwork.archive.ingest.info_json import ingest_metadata, parse_info
from patchwork.config import Settings
from patchwork.db import Database
from patchwork.state import app_state
from support.archive_samples import info
from support.served import serving

BROWSER = {"User-Agent": "Mozilla/5.0"}


def archive_of(db: Database, count: int) -> list[str]:
    ids = [f"tally{n:06d}" for n in range(count)]
    for video_id in ids:
        ingest_metadata(db, parse_info(info(video_id, f"song {video_id}")))
    return ids


def batching_client(settings: Settings) -> tuple[FlaskClient, ViewTally]:
    app = create_app(replace(settings, view_flush_seconds=3600))
    app.config["TESTING"] = True
    return app.test_client(), app_state(app).views


def test_views_are_written_by_the_flush(settings: Settings, db: Database) -> None:
    ids = archive_of(db, 2)
    client, tally = batching_client(settings)
    for _ in range(3):
        assert client.get(f"/api/database/video_data/{ids[0]}", headers=BROWSER).status_code == 200
    page = client.get(f"/watch?v={ids[1]}", headers=BROWSER).get_data(as_text=True)
    assert "1 view" in page  # the page counts this process's views not written yet
    assert videos.view_count(db, ids[0]) == 0 and videos.view_count(db, ids[1]) == 0
    assert tally.flush() == 4
    assert (videos.view_count(db, ids[0]), videos.view_count(db, ids[1])) == (3, 1)
    assert tally.flush() == 0  # nothing twice
    client.get(f"/api/database/video_data/{ids[0]}", headers=BROWSER)
    tally.close()
    assert videos.view_count(db, ids[0]) == 4


def test_a_failed_flush_keeps_its_views(settings: Settings, db: Database, tmp_path: Path) -> None:
    ids = archive_of(db, 1)
    down = Database(f"sqlite:///{tmp_path / 'missing' / 'nowhere.db'}")
    tally = ViewTally(down, 3600)
    tally.add(ids[0])
    tally.add(ids[0])
    assert tally.flush() == 0
    tally._db = db  # the database is back
    assert tally.flush() == 2
    assert videos.view_count(db, ids[0]) == 2


def test_views_of_a_deleted_video_are_dropped(db: Database) -> None:
    ids = archive_of(db, 2)
    tally = ViewTally(db, 3600)
    tally.add(ids[0])
    tally.add("tallygone01")  # deleted between its read and the flush
    assert tally.flush() == 2
    assert videos.view_count(db, ids[0]) == 1 and videos.view_count(db, "tallygone01") == 0


def test_processes_flushing_together_lose_no_view(db: Database) -> None:
    """Several tallies (one per process) flush the same videos at the same moment."""
    ids = archive_of(db, 40)
    tallies = [ViewTally(db, 3600) for _ in range(4)]
    expected: Counter[str] = Counter()
    for n, tally in enumerate(tallies):
        for video_id in ids[n:] + ids[: n * 3]:  # overlapping ranges, some ids twice
            tally.add(video_id)
            expected[video_id] += 1
    start = threading.Barrier(len(tallies))
    written: list[int] = []

    def flush(tally: ViewTally) -> None:
        start.wait()
        written.append(tally.flush())

    threads = [threading.Thread(target=flush, args=(t,)) for t in tallies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(written) == sum(expected.values())
    assert {v: videos.view_count(db, v) for v in ids} == dict(expected)


def test_a_stopping_server_writes_its_views(
    db: Database, cli_env: dict[str, str], tmp_path: Path
) -> None:
    ids = archive_of(db, 1)
    env = {**os.environ, **cli_env, "PATCHWORK_VIEW_FLUSH_SECONDS": "3600"}
    with serving(env, tmp_path, "--workers", "2", "--threads", "2") as (base, server):
        assert server.stdout is not None
        threading.Thread(target=server.stdout.read, daemon=True).start()
        for _ in range(5):
            request = urllib.request.Request(
                f"{base}/api/database/video_data/{ids[0]}", headers=BROWSER
            )
            with urllib.request.urlopen(request, timeout=10) as response:
                assert response.status == 200
        assert videos.view_count(db, ids[0]) == 0
    assert videos.view_count(db, ids[0]) == 5
