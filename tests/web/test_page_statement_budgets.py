"""Statement budgets of the viewer pages: how many transactions and SQL statements one
request may cost, on every database.

Each budget is measured on the first request of a fresh app (the ``app`` fixture) whose
cached answers (discover, daily featured, popular, storage numbers; see
patchwork.http.answers) were computed beforehand, with the arguments the page asks for: so a
budget measures the page itself, not the random picks behind a strip that is computed once
per TTL (their statement count is random: pick_random retries a pick that hit a row it
already has). A page asking for an answer under a different key computes it again and goes
over its budget. The one cold-cache budget (home) bounds transactions only, for that reason.

The numbers are what the pages measured when the budgets were set (docs/decisions/0117);
``counted.report()`` lists the statements when one goes over.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, text

from patchwork.db import Database
from patchwork.db.models import Video
from patchwork.http import answers
from patchwork.state import app_state
from patchwork.web import pages
from support.statements import CountStatements
from support.web_samples import DEMO_CHANNEL, SUBRIP_ID, build_archive

BROWSER = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/120"}
# Daily featured is cached per date: a fixed clock keeps the warmed entry the page's own.
NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def archive(app: Flask, db: Database, monkeypatch: pytest.MonkeyPatch) -> Database:
    build_archive(db, app_state(app).storage)
    monkeypatch.setattr(pages, "utcnow", lambda: NOW)
    return db


def warm(app: Flask, *computed: Callable[[], Any]) -> None:
    """Compute cached answers the way a page asks for them, before it is measured."""
    with app.app_context():
        for answer in computed:
            answer()


def get(client: FlaskClient, path: str) -> None:
    response = client.get(path, headers=BROWSER)  # a browser's: its view is counted
    assert response.status_code == 200, (path, response.status_code)
    response.close()


def test_count_statements_counts_what_ran(db: Database, count_statements: CountStatements) -> None:
    """The counter itself: one read transaction of two queries, one write of one."""
    with count_statements(db) as counted:
        with db.reading() as session:
            session.scalars(select(Video)).all()
            session.execute(text("SELECT 1"))
        with db.transaction() as session:
            session.execute(Video.__table__.delete().where(Video.video_id == "nothing"))
    assert (counted.transactions, counted.statements) == (2, 3), counted.report()


def test_watch_page(
    app: Flask, client: FlaskClient, archive: Database, count_statements: CountStatements
) -> None:
    """One read of everything shown (video with its view count, files, captions), one write
    of the view. The discover strip is a cached answer (1 more transaction when cold)."""
    warm(app, lambda: answers.discover_videos(pages.WATCH_DISCOVER_COUNT + 1))
    with count_statements(archive) as counted:
        get(client, f"/watch?v={SUBRIP_ID}")
    # measured: 2 transactions, 5 statements (3 reads; find the video, add the view)
    assert counted.transactions <= 2, counted.report()
    assert counted.statements <= 5, counted.report()


def test_watch_page_of_a_bot_writes_nothing(
    app: Flask, client: FlaskClient, archive: Database, count_statements: CountStatements
) -> None:
    warm(app, lambda: answers.discover_videos(pages.WATCH_DISCOVER_COUNT + 1))
    with count_statements(archive) as counted:
        response = client.get(f"/watch?v={SUBRIP_ID}", headers={"User-Agent": "Googlebot"})
        assert response.status_code == 200
    # measured: 1 transaction, 3 statements
    assert counted.transactions <= 1, counted.report()
    assert counted.statements <= 3, counted.report()


def test_home_page(
    app: Flask, client: FlaskClient, archive: Database, count_statements: CountStatements
) -> None:
    """Only "recently archived" is read per request; every other strip is a cached answer."""
    warm(
        app,
        pages.storage_numbers,
        lambda: answers.daily_featured(NOW.date()),
        answers.popular,
        lambda: answers.discover_videos(pages.DISCOVER_COUNT),
        lambda: answers.discover_channels(pages.CHANNEL_DISCOVER_COUNT),
    )
    with count_statements(archive) as counted:
        get(client, "/")
    # measured: 1 transaction, 1 statement
    assert counted.transactions <= 1, counted.report()
    assert counted.statements <= 1, counted.report()


def test_home_page_with_cold_caches(
    client: FlaskClient, archive: Database, count_statements: CountStatements
) -> None:
    """An archive whose summaries were never computed: each of the five (storage numbers,
    featured, popular, discover videos and channels) costs its snapshot's read, its
    computation and its snapshot's write, and recent is read."""
    with count_statements(archive) as counted:
        get(client, "/")
    # measured: 16 transactions (statements vary with the random picks' retries)
    assert counted.transactions <= 16, counted.report()


def test_home_page_after_a_restart(
    app: Flask, client: FlaskClient, archive: Database, count_statements: CountStatements
) -> None:
    """A restarted server (empty answer cache) answers from the stored snapshots: one read
    each, nothing computed again."""
    get(client, f"/watch?v={SUBRIP_ID}")  # a view: popular is not empty (empty is recomputed)
    get(client, "/")
    app_state(app).cache.clear()  # what a restart loses; the snapshots stay in the database
    with count_statements(archive) as counted:
        get(client, "/")
    # measured: 6 transactions: five snapshot reads and recent, no computation
    assert counted.transactions <= 6, counted.report()
    assert not [s for s in counted.sql if s.startswith(("INSERT", "UPDATE"))], counted.report()


def test_channel_page(
    client: FlaskClient, archive: Database, count_statements: CountStatements
) -> None:
    """The profile (with which channel images exist) and one page of its videos, in one
    transaction: the profile's count is the page's total (channel_names read once)."""
    with count_statements(archive) as counted:
        get(client, f"/channel/{DEMO_CHANNEL}")
    # measured: 1 transaction, 5 statements (profile 3, page 2)
    assert counted.transactions <= 1, counted.report()
    assert counted.statements <= 5, counted.report()


def test_status_page(
    app: Flask, client: FlaskClient, archive: Database, count_statements: CountStatements
) -> None:
    """The ping, the workers, the queue counts in one grouped query; storage numbers cached."""
    warm(app, pages.storage_numbers)
    with count_statements(archive) as counted:
        get(client, "/status")
    # measured: 3 transactions, 3 statements
    assert counted.transactions <= 3, counted.report()
    assert counted.statements <= 3, counted.report()


def test_queue_portal(client: FlaskClient, db: Database, count_statements: CountStatements) -> None:
    """Active jobs, failed jobs, and the counts in one grouped query."""
    with count_statements(db) as counted:
        get(client, "/queue")
    # measured: 3 transactions, 3 statements
    assert counted.transactions <= 3, counted.report()
    assert counted.statements <= 3, counted.report()
