"""``patchwork legacy import``: the original's database into Patchwork, losing nothing.

The source is a MariaDB database with the original's schema (tests/support/legacy_schema.sql), or a
PostgreSQL one with its successor's (tests/support/legacy_schema_postgres.sql), filled with the same
awkward rows; the target is every backend. Every test runs once per source backend, and the
read endpoints must then answer what the original answered for the same data, with its
defects fixed.
"""

from __future__ import annotations

from click.testing import CliRunner
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from patchwork.archive.tokens import authenticate
from patchwork.cli import cli
from patchwork.db import Database
from patchwork.db.models import (
    Base,
    Channel,
    Job,
    JobEvent,
    StoredFile,
    Token,
    Video,
    VideoAvailability,
)
from support.legacy_awkward import QUEUE_SECRET, SECRETS, STRANGER_SECRET, WORKER_SECRET, run, song
from support.legacy_fixtures import fill, source_url


def test_read_endpoints_answer_as_the_original(
    awkward: str, db: Database, client: FlaskClient
) -> None:
    report = run(awkward, db)
    songs = report.tables["songs"]
    assert (songs.read, songs.written, songs.merged) == (6, 5, 1)

    video = client.get("/api/video/dQw4w9WgXcQ").get_json()
    assert video.pop("availability")["state"] == "unknown"  # Patchwork's, added: not checked yet
    assert video == {
        "channel_id": "UC_A",
        "channel_name": "Alpha New",
        "description": "first line\nsecond line\n\nafter a blank",
        "title": "New title 🎉",
        "upload_date": "2021-05-06",
        "video_id": "dQw4w9WgXcQ",
    }
    assert client.get("/api/video/vid00000002").get_json()["upload_date"] == "2020-03-15"
    assert client.get("/api/video/BV1xx411c7mD").get_json()["upload_date"] in (None, "")
    # Ids differing only by case are two videos (the original's collation merged them).
    assert client.get("/api/video/ABCDEFGHIJK").get_json()["title"] == "Case twin"
    assert client.get("/api/video/abcdefghijk").get_json()["title"] == "Mid"

    recent = [v["video_id"] for v in client.get("/api/recently_archived").get_json()]
    assert recent == ["ABCDEFGHIJK", "abcdefghijk", "BV1xx411c7mD", "dQw4w9WgXcQ", "vid00000002"]

    page = client.get("/api/channel/UC_A?page=1").get_json()
    assert page["pages"] == 1
    assert [v["video_id"] for v in page["results"]] == ["dQw4w9WgXcQ", "abcdefghijk", "ABCDEFGHIJK"]

    alpha = client.get("/api/channel_name?channel_id=UC_A").get_json()
    assert alpha["channel_name"] == "Alpha New"
    assert alpha["description"] == "About alpha"
    assert sorted(alpha["aliases"]) == ["Alpha Mid", "Alpha New", "Alpha Old"]
    bili = client.get("/api/channel_name?channel_id=bili123").get_json()
    assert bili["channel_name"] == "Bili Name" and bili["aliases"] == ["Bili Name"]

    channels = client.get("/api/discover_channels?count=10").get_json()
    by_id = {c["channel_id"]: c for c in channels}
    assert set(by_id) == {"UC_A", "UC_B", "UC_Z", "bili123"}
    assert by_id["UC_A"]["channel_name"] == "Alpha Channel"
    assert by_id["UC_B"]["romanized"] == "Yoasobi"
    # Every channel is stored with a romanized name; a Latin name is its own.
    with db.reading() as session:
        romanized = dict(session.execute(select(Channel.channel_id, Channel.romanized_name)).all())
    assert romanized == {
        "UC_A": "Alpha Channel",
        "UC_B": "Yoasobi",
        "UC_Z": "Zeta",
        "bili123": "Bili Name",
    }

    popular = [v["video_id"] for v in client.get("/api/popular").get_json()]
    assert popular[:2] == ["dQw4w9WgXcQ", "vid00000002"]

    found = client.get("/api/search/results?q=kakeru").get_json()
    assert [v["video_id"] for v in found["results"]] == ["vid00000002"]
    found = client.get("/api/search/results?q=夜に駆ける").get_json()
    assert [v["video_id"] for v in found["results"]] == ["vid00000002"]
    found = client.get("/api/search/channel?q=alpha").get_json()
    assert [c["channel_id"] for c in found["results"]] == ["UC_A"]

    assert client.get("/api/database/file_data/dQw4w9WgXcQ").get_json() == {
        "file_size": 12.5,
        "file_size_units": "MB",
        "file_type": "webm",
        "video_id": "dQw4w9WgXcQ",
    }
    assert client.get("/api/database/file_data/BV1xx411c7mD").get_json()["file_size"] == 3.25
    # The worker deleted that file (too big): the original said size 0, Patchwork says none.
    assert client.get("/api/database/file_data/vid00000002").status_code == 404

    data = client.get("/api/database/video_data/dQw4w9WgXcQ").get_json()
    assert (data["channel"], data["file_ext"], data["file_size"]) == ("Alpha New", "webm", 12.5)

    storage = client.get("/api/storage/status").get_json()
    assert storage["number_of_files"] == 5
    assert storage["number_of_channels"] == 3
    assert storage["storage_size"] == 15.75
    assert storage["most_recent_archived_video_date"] == "2021-05-06"

    workers = client.get("/api/status").get_json()["workers"]
    assert [(w["name"], w["status"]) for w in workers] == [
        ("worker-one", "Idle. Waiting for work...")
    ]

    with db.reading() as session:
        approximate = session.scalars(select(StoredFile.size_is_approximate)).all()
        assert approximate and all(approximate)


def test_queue_log_and_tokens(awkward: str, db: Database) -> None:
    report = run(awkward, db)
    queue = report.tables["archive_queue"]
    assert (queue.read, queue.written, queue.merged, queue.skipped) == (7, 3, 1, 3)
    assert queue.errors == 1  # "not a url at all" cannot be queued: reported as an error
    assert report.errors == 1

    queue_token = authenticate(db, QUEUE_SECRET)
    worker_token = authenticate(db, WORKER_SECRET)
    assert queue_token and (queue_token.name, queue_token.role) == ("legacy-queue-1", "queue")
    assert worker_token and (worker_token.name, worker_token.role) == ("legacy-worker-1", "worker")
    assert authenticate(db, STRANGER_SECRET) is None

    with db.reading() as session:
        jobs = {j.target: j for j in session.scalars(select(Job))}
        assert {k: (j.mode, j.state) for k, j in jobs.items()} == {
            "youtube:aaaaaaaaaaa": (0, "queued"),
            "video:abcdefghijk": (2, "queued"),
            "youtube:bbbbbbbbbbb": (0, "queued"),
            "youtube:ccccccccccc": (0, "done"),  # history: handed out by the original
            "youtube:ddddddddddd": (0, "done"),
        }
        job_ids = {k: j.id for k, j in jobs.items()}
        events = {
            e.message: (e.actor_token_id, e.actor_name, e.job_id)
            for e in session.scalars(select(JobEvent).where(JobEvent.event == "queued"))
        }
    assert events["archive_log #1: Queued"] == (
        queue_token.token_id,
        "legacy-queue-1",
        job_ids["youtube:aaaaaaaaaaa"],
    )
    assert events["archive_log #2: Processed"][:2] == (worker_token.token_id, "legacy-worker-1")
    assert events["archive_log #3: Processed"][:2] == (None, "legacy")
    assert report.tables["archive_log"].skipped == 1


def test_legacy_secrets_work_over_http(awkward: str, db: Database, client: FlaskClient) -> None:
    run(awkward, db)
    queued = client.post(
        "/api/worker/queue",
        data={"url": "https://www.youtube.com/watch?v=eeeeeeeeeee", "mode": "0"},
        headers={"X-AUTHENTICATION": QUEUE_SECRET},
    )
    assert queued.status_code == 200
    claim = {"X-AUTHENTICATION": WORKER_SECRET, "X-Patchwork-Worker": "tests"}
    claimed = client.get("/api/worker/next", headers=claim)
    assert claimed.status_code == 200
    assert claimed.get_json()["next_video"] == "https://www.youtube.com/watch?v=aaaaaaaaaaa"


def test_no_raw_secret_anywhere(awkward: str, db: Database, cli_env: dict[str, str]) -> None:
    result = CliRunner().invoke(cli, ["legacy", "import", "--from", awkward], env=cli_env)
    assert result.exit_code == 1, result.output  # one queue row was an error
    assert "not queueable" in result.output
    for secret in SECRETS:
        assert secret not in result.output
    with db.reading() as session:
        for table in Base.metadata.sorted_tables:
            for row in session.execute(select(table)).all():
                text = repr(tuple(row))
                for secret in SECRETS:
                    assert secret not in text, f"{table.name} holds a raw secret"
        assert session.scalar(select(func.count()).select_from(Token)) == 2


def test_second_run_and_dry_run_write_nothing(awkward: str, db: Database) -> None:
    dry = run(awkward, db, dry_run=True)
    with db.reading() as session:
        for table in Base.metadata.sorted_tables:
            assert session.scalar(select(func.count()).select_from(table)) == 0, table.name
    first = run(awkward, db)
    assert first.written == dry.written > 0
    counts = _counts(db)
    second = run(awkward, db)
    assert second.written == 0, second.render()
    assert _counts(db) == counts
    assert second.tables["songs"].merged == 1


def _counts(db: Database) -> dict[str, int]:
    with db.reading() as session:
        return {
            t.name: int(session.scalar(select(func.count()).select_from(t)) or 0)
            for t in Base.metadata.sorted_tables
        }


def test_videos_copied_once(awkward: str, db: Database) -> None:
    run(awkward, db)
    with db.reading() as session:
        assert session.scalar(select(func.count()).select_from(Video)) == 5


def test_absurd_rows_and_secret_urls_are_skipped_and_named(
    legacy_engine: Engine,
    db: Database,
) -> None:
    fill(
        legacy_engine,
        "songs",
        [
            song(1, "goodvid0001", "Good", "UC_A", "Alpha", "2020-01-02"),
            song(2, "hugevid0001", "Huge", "UC_A", "Alpha", "2020-01-02"),
            song(3, "pathvid0001", "Path", "UC_A", "Alpha", "2020-01-02"),
            song(4, "inf_vid0001", "Negative", "UC_A", "Alpha", "2020-01-02"),
        ],
    )
    fill(
        legacy_engine,
        "files",
        [
            {"video_id": "goodvid0001", "size_mb": 2.0, "extension": "mp4"},
            {"video_id": "hugevid0001", "size_mb": 1e30, "extension": "webm"},
            {"video_id": "pathvid0001", "size_mb": 1.0, "extension": "../../html"},
            {"video_id": "inf_vid0001", "size_mb": -5.0, "extension": "webm"},
        ],
    )
    fill(
        legacy_engine,
        "archive_queue",
        [
            {"id": 1, "url": "ftp://archivist:hunter2secret@files.example/v.webm", "mode": 0},
            {"id": 2, "url": "https://youtu.be/aaaaaaaaaaa", "mode": 0},
        ],
    )
    report = run(source_url(legacy_engine), db)

    files = report.tables["files"]
    # A bad extension is refused (it would become a key and a served type); a bad size is
    # damage in one column: the file row is kept with its size unknown, for a storage scan.
    assert (files.read, files.written, files.errors) == (4, 3, 1)
    with db.reading() as session:
        stored = {
            f.video_id: (f.storage_key, f.size_bytes) for f in session.scalars(select(StoredFile))
        }
    assert stored == {
        "goodvid0001": ("video/goodvid0001.mp4", 2 * 1024 * 1024),
        "hugevid0001": ("video/hugevid0001.webm", 0),
        "inf_vid0001": ("video/inf_vid0001.webm", 0),
    }
    rendered = report.render()
    assert "hugevid0001" in rendered and "pathvid0001" in rendered and "inf_vid0001" in rendered

    queue = report.tables["archive_queue"]
    assert (queue.read, queue.written, queue.errors) == (2, 1, 1)
    assert "hunter2secret" not in rendered
    assert "archivist:***@files.example" in rendered


def test_a_rerun_never_replaces_an_exact_file_row(awkward: str, db: Database) -> None:
    run(awkward, db)
    exact_key = "video/dQw4w9WgXcQ.j1a1-0123abcd.mp4"
    with db.transaction() as session:
        row = session.scalars(select(StoredFile).where(StoredFile.video_id == "dQw4w9WgXcQ")).one()
        row.storage_key, row.extension, row.size_bytes = exact_key, "mp4", 777
        row.size_is_approximate, row.sha256 = False, "a" * 64
    again = run(awkward, db)
    assert again.tables["files"].written == 0
    with db.reading() as session:
        row = session.scalars(select(StoredFile).where(StoredFile.video_id == "dQw4w9WgXcQ")).one()
        assert (row.storage_key, row.size_bytes, row.size_is_approximate) == (exact_key, 777, False)


def test_every_copied_video_has_its_availability_row(awkward: str, db: Database) -> None:
    run(awkward, db)
    with db.reading() as session:
        videos = set(session.scalars(select(Video.video_id)))
        rows = {
            v: s
            for v, s in session.execute(select(VideoAvailability.video_id, VideoAvailability.state))
        }
    assert videos and rows == dict.fromkeys(videos, "unknown")
