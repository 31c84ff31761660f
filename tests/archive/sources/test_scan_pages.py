"""A scan job from claim to completion through the worker API: pages, checkpoint, stop."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select

from patchwork.archive.queue import lifecycle
from patchwork.archive.queue.records import Actor
from patchwork.archive.sources import catalog, scheduling
from patchwork.archive.sources.catalog import SourceSpec
from patchwork.archive.sources.entries import STOP_AFTER_KNOWN
from patchwork.archive.sources.rules import SourceFilters
from patchwork.db import Database
from patchwork.db.models import Job
from patchwork.db.types import utcnow
from support.queue_fixtures import Tokens, auth, claim, enqueue

FEED = "http://127.0.0.1:9/feed.xml"
ADMIN = Actor(None, "test")


def _entry(n: int, **extra: Any) -> dict[str, Any]:
    return {"url": f"http://127.0.0.1:9/v/{n}.html", "title": f"Video {n}", **extra}


def _page(
    client: FlaskClient, secret: str, job_id: int, position: int, items: list[dict[str, Any]]
) -> Any:
    return client.post(
        f"/api/worker/jobs/{job_id}/entries",
        json={"position": position, "entries": items},
        headers=auth(secret),
    )


def _archive_targets(db: Database) -> list[str]:
    with db.reading() as session:
        return list(session.scalars(select(Job.target).where(Job.mode == 0).order_by(Job.id)))


def test_a_scan_queues_each_new_entry_once_and_resumes_from_its_checkpoint(
    client: FlaskClient, db: Database, tokens: Tokens
) -> None:
    source = catalog.add_source(db, SourceSpec(url=FEED), ADMIN)
    job = claim(client, tokens.worker)
    assert job is not None and job["mode"] == 3 and job["next_video"] == source.url
    assert job["scan"] == {
        "source_id": source.id, "url": source.url, "resume_from": 0, "full": True,
        "limit": None, "page_size": 100,
    }  # fmt: skip
    first = _page(client, tokens.worker, job["job_id"], 0, [_entry(n) for n in range(3)])
    assert first.status_code == 200, first.get_data(as_text=True)
    assert (first.get_json()["queued"], first.get_json()["position"]) == (3, 3)
    # The same page again (its answer was lost) and one that overlaps it queue nothing twice.
    again = _page(client, tokens.worker, job["job_id"], 0, [_entry(n) for n in range(3)])
    assert (again.get_json()["skipped"], again.get_json()["queued"]) == (3, 0)
    overlap = _page(client, tokens.worker, job["job_id"], 2, [_entry(n) for n in range(2, 5)])
    assert overlap.get_json()["queued"] == 2
    hole = _page(client, tokens.worker, job["job_id"], 9, [_entry(9)])
    assert hole.status_code == 409 and "resume from there" in hole.get_json()["error"]
    done = client.post(
        f"/api/worker/jobs/{job['job_id']}/complete", json={}, headers=auth(tokens.worker)
    )
    assert done.status_code == 200, done.get_data(as_text=True)
    assert _archive_targets(db) == [f"http://127.0.0.1:9/v/{n}.html" for n in range(5)]
    info = catalog.get_source(db, source.id)
    assert info.last_scan_entries == 5 and info.counts.queued == 5 and info.counts.found == 5
    assert info.next_scan_at > utcnow() + timedelta(hours=5)


def test_an_incremental_scan_stops_after_a_run_of_known_entries(
    client: FlaskClient, db: Database, tokens: Tokens
) -> None:
    source = catalog.add_source(db, SourceSpec(url=FEED), ADMIN)
    listing = [_entry(n) for n in range(STOP_AFTER_KNOWN + 10)]
    job = claim(client, tokens.worker)
    assert job is not None
    _page(client, tokens.worker, job["job_id"], 0, listing)
    client.post(f"/api/worker/jobs/{job['job_id']}/complete", json={}, headers=auth(tokens.worker))
    while (archive := claim(client, tokens.worker)) is not None:  # out of the way
        client.delete(f"/api/worker/queue/{archive['job_id']}", headers=auth(tokens.queue))
    scheduling.request_scan(db, source.id, ADMIN)
    job = claim(client, tokens.worker)
    assert job is not None and job["mode"] == 3 and job["scan"]["full"] is False
    newer = [_entry(1000), *listing]
    answer = _page(client, tokens.worker, job["job_id"], 0, newer).get_json()
    assert answer["stop"] is True and answer["queued"] == 1
    assert answer["position"] == 1 + STOP_AFTER_KNOWN


def test_filters_drop_what_they_should_and_say_why(
    client: FlaskClient, db: Database, tokens: Tokens
) -> None:
    filters = SourceFilters(
        title_exclude="trailer", min_duration=60, skip_shorts=True, skip_live=True
    )
    catalog.add_source(db, SourceSpec(url=FEED, filters=filters), ADMIN)
    job = claim(client, tokens.worker)
    assert job is not None
    items = [
        _entry(1, duration=300),
        _entry(2, title="Official Trailer"),
        _entry(3, duration=30),
        {"url": "https://www.youtube.com/shorts/aaaaaaaaaaa", "title": "s"},
        _entry(5, live_status="was_live"),
        _entry(6, live_status="is_upcoming"),
        _entry(7),  # no duration known: kept
    ]
    answer = _page(client, tokens.worker, job["job_id"], 0, items).get_json()
    assert (answer["queued"], answer["filtered"], answer["held"]) == (2, 4, 1)
    assert _archive_targets(db) == ["http://127.0.0.1:9/v/1.html", "http://127.0.0.1:9/v/7.html"]


def test_an_entry_already_queued_by_hand_is_not_queued_again(
    client: FlaskClient, db: Database, tokens: Tokens
) -> None:
    enqueue(client, tokens.queue, "http://127.0.0.1:9/v/1.html")
    catalog.add_source(db, SourceSpec(url=FEED), ADMIN)
    scans = [j for j in iter(lambda: claim(client, tokens.worker), None) if j["mode"] == 3]
    assert len(scans) == 1
    answer = _page(client, tokens.worker, scans[0]["job_id"], 0, [_entry(1), _entry(2)]).get_json()
    assert (answer["queued"], answer["known"]) == (1, 1)


def test_an_old_scan_job_queued_again_by_hand_starts_from_the_top(
    client: FlaskClient, db: Database, tokens: Tokens
) -> None:
    source = catalog.add_source(db, SourceSpec(url=FEED), ADMIN)
    old = claim(client, tokens.worker)
    assert old is not None
    _page(client, tokens.worker, old["job_id"], 0, [_entry(1), _entry(2)])
    client.post(
        f"/api/worker/jobs/{old['job_id']}/fail",
        json={"error": "gone", "retryable": False},
        headers=auth(tokens.worker),
    )
    (newer,) = scheduling.request_scan(db, source.id, ADMIN)
    newest = claim(client, tokens.worker)
    while newest is not None and newest["job_id"] != newer:
        newest = claim(client, tokens.worker)
    assert newest is not None
    _page(client, tokens.worker, newer, 0, [_entry(3)])
    client.post(f"/api/worker/jobs/{newer}/complete", json={}, headers=auth(tokens.worker))
    lifecycle.retry_job(db, ADMIN, old["job_id"])  # `patchwork jobs retry`
    again = claim(client, tokens.worker)
    while again is not None and again["job_id"] != old["job_id"]:
        again = claim(client, tokens.worker)
    assert again is not None and again["scan"]["resume_from"] == 0
    answer = _page(client, tokens.worker, old["job_id"], 0, [_entry(4)]).get_json()
    assert (answer["position"], answer["queued"]) == (1, 1)
