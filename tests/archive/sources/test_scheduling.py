"""Due sources become scan jobs as workers claim: once each, however many servers claim."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from patchwork.app import create_app
from patchwork.archive.queue.records import Actor
from patchwork.archive.queue.states import JobMode
from patchwork.archive.sources import catalog, scheduling
from patchwork.archive.sources.catalog import SourceSpec
from patchwork.config import Settings
from patchwork.db import Database
from patchwork.db.models import Job, Source
from patchwork.db.types import utcnow
from patchwork.state import app_state
from support.queue_fixtures import Tokens, auth, claim, claim_from_two_servers

ADMIN = Actor(None, "test")


def _add(db: Database, count: int) -> list[int]:
    urls = [f"https://example.com/feed{n}.xml" for n in range(count)]
    return [catalog.add_source(db, SourceSpec(url=url), ADMIN).id for url in urls]


def _scan_targets(db: Database) -> Counter[str]:
    with db.reading() as session:
        return Counter(session.scalars(select(Job.target).where(Job.mode == JobMode.SCAN)))


def test_a_claim_schedules_due_sources_but_not_paused_or_waiting_ones(
    db: Database,
) -> None:
    due = _add(db, 3)
    catalog.set_enabled(db, due[2], False)
    assert len(scheduling.schedule_due_scans(db)) == 2
    # Scheduled: due again only after a full interval, and a scan waits already.
    assert scheduling.schedule_due_scans(db) == []
    later = utcnow() + timedelta(hours=7)
    assert scheduling.schedule_due_scans(db, now=later) == []  # the waiting scans are enough
    assert _scan_targets(db) == Counter({f"source:{due[0]}": 1, f"source:{due[1]}": 1})
    assert catalog.source_totals(db, now=later)["due"] == 0


def test_one_claim_schedules_a_bounded_number_of_sources(db: Database) -> None:
    _add(db, scheduling.PER_CLAIM + 5)
    assert len(scheduling.schedule_due_scans(db)) == scheduling.PER_CLAIM
    assert catalog.source_totals(db)["due"] == 5
    assert len(scheduling.schedule_due_scans(db)) == 5


def test_a_requested_scan_while_one_waits_makes_that_one_full(db: Database) -> None:
    (source_id,) = _add(db, 1)
    first = scheduling.request_scan(db, source_id, ADMIN)
    again = scheduling.request_scan(db, source_id, ADMIN, full=True, retry_failed=True)
    assert first == again and len(first) == 1
    with db.reading() as session:
        source = session.get(Source, source_id)
        assert source is not None and source.scan_full and source.scan_retry_failed


def test_no_workers_means_no_scans_are_queued(db: Database) -> None:
    _add(db, 2)
    with db.reading() as session:
        assert session.scalars(select(Job)).all() == []  # nothing happens until a claim


def test_two_servers_sharing_a_database_give_each_due_source_one_scan_job(
    app: Flask, db: Database, tokens: Tokens, settings: Settings
) -> None:
    sources = _add(db, 60)
    with db.transaction() as session:  # all due at the same instant
        session.execute(update(Source).values(next_scan_at=utcnow() - timedelta(minutes=1)))
    other = create_app(settings)  # a second server process: its own engine and pool
    other.config["TESTING"] = True
    try:
        errors = claim_from_two_servers(app, other, tokens, claims=15)
    finally:
        app_state(other).db.dispose()
    assert errors == []
    assert _scan_targets(db) == Counter({f"source:{s}": 1 for s in sources})


def test_a_removed_source_cancels_its_scan_and_keeps_the_archive_jobs_it_queued(
    client: FlaskClient, db: Database, tokens: Tokens
) -> None:
    (source_id,) = _add(db, 1)
    scan = claim(client, tokens.worker)
    assert scan is not None and scan["mode"] == JobMode.SCAN
    page = client.post(
        f"/api/worker/jobs/{scan['job_id']}/entries",
        json={"position": 0, "entries": [{"url": "https://example.com/v/1.mp4"}]},
        headers=auth(tokens.worker),
    )
    assert page.get_json()["queued"] == 1
    catalog.remove_source(db, source_id)
    with db.reading() as session:
        jobs = {j.mode: (j.state, j.source_id) for j in session.scalars(select(Job))}
    assert jobs == {JobMode.SCAN: ("cancelled", None), JobMode.ARCHIVE: ("queued", None)}
    # The worker still scanning hears that the job is no longer its own.
    late = client.post(
        f"/api/worker/jobs/{scan['job_id']}/entries",
        json={"position": 1, "entries": []},
        headers=auth(tokens.worker),
    )
    assert late.status_code == 409
