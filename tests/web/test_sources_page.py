"""The /sources page through Flask's test client: totals, each source's scans and counts, the
last error escaped and shortened, keyset pages, the empty state, and its statement budget."""

from __future__ import annotations

import re
from html import unescape

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select, update

from patchwork.archive.queue.records import Actor
from patchwork.archive.queue.states import JobState
from patchwork.archive.sources import catalog, scheduling
from patchwork.archive.sources.catalog import SourceSpec
from patchwork.db import Database
from patchwork.db.models import Job
from patchwork.web import sources_page
from support.queue_fixtures import Tokens, auth, claim
from support.statements import CountStatements

ADMIN = Actor(None, "test")
FEED = "http://127.0.0.1:9/feed.xml"
BROKEN = "http://127.0.0.1:9/broken.xml"
CHANNEL = "https://www.youtube.com/@patchworkdemo"
BOT_CHECK = "<b>Sign in to confirm you're not a bot</b> " + "and more detail " * 20


def html(client: FlaskClient, path: str = "/sources") -> str:
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    assert response.mimetype == "text/html"
    return response.get_data(as_text=True)


def row(page: str, source_id: int) -> str:
    """The table row of one source, its markup collapsed to single spaces."""
    match = re.search(
        rf'<tr class="source [^"]*" data-source-id="{source_id}">(.*?)</tr>', page, re.S
    )
    assert match is not None, f"no row for source {source_id}"
    return " ".join(match.group(1).split())


def totals(page: str) -> tuple[int, ...]:
    return tuple(
        int(re.search(rf'id="total-{name}">(\d+)<', page).group(1))  # type: ignore[union-attr]
        for name in ("enabled", "paused", "due")
    )


def test_no_sources_yet(client: FlaskClient, tokens: Tokens) -> None:
    page = html(client)
    assert 'id="no-sources"' in page and 'id="sources"' not in page
    assert totals(page) == (0, 0, 0)
    assert 'id="add-form"' in page and 'id="admin-token"' in page and "sources.js" in page
    assert 'rel="next"' not in page
    assert tokens.admin not in page and tokens.queue not in page
    assert 'href="/sources" aria-current="page"' in page
    assert 'href="/sources"' in html(client, "/queue")  # linked from the header's nav
    script = client.get("/web-static/sources.js")
    assert script.status_code == 200 and b"localStorage" in script.data
    assert b'"X-AUTHENTICATION"' in script.data and b"/api/sources" in script.data
    script.close()


def test_sources_show_scans_counts_and_the_last_error_escaped(
    client: FlaskClient, db: Database, tokens: Tokens
) -> None:
    feed = catalog.add_source(db, SourceSpec(url=FEED, name="<i>Feed</i> & co"), ADMIN)
    channel = catalog.add_source(
        db, SourceSpec(url=CHANNEL, scan_every_seconds=5400, enabled=False), ADMIN
    )
    broken = catalog.add_source(db, SourceSpec(url=BROKEN, name="broken"), ADMIN)

    before = html(client)
    assert totals(before) == (2, 1, 2)
    assert "&lt;i&gt;Feed&lt;/i&gt; &amp; co" in row(before, feed.id)
    assert "<i>Feed" not in before
    for source in (feed, broken):
        assert ">due<" in row(before, source.id).replace(" ", "")
        assert "never" in row(before, source.id) and ">6h<" in row(before, source.id)
    paused = row(before, channel.id)
    assert "paused" in paused and ">1h30m<" in paused and ">Resume<" in paused
    assert ">Pause<" in row(before, feed.id)

    claimed = [claim(client, tokens.worker) for _ in range(2)]  # each claim schedules first
    scans = {job["scan"]["source_id"]: job for job in claimed if job is not None}
    assert set(scans) == {feed.id, broken.id}
    scanning = html(client)
    assert "scanning now" in row(scanning, feed.id) and totals(scanning) == (2, 1, 0)
    entries = [{"url": f"http://127.0.0.1:9/v/{n}.html", "title": f"V{n}"} for n in range(3)]
    feed_job = scans[feed.id]["job_id"]
    paged = client.post(
        f"/api/worker/jobs/{feed_job}/entries",
        json={"position": 0, "entries": entries},
        headers=auth(tokens.worker),
    )
    assert paged.status_code == 200, paged.get_data(as_text=True)
    done = client.post(
        f"/api/worker/jobs/{feed_job}/complete", json={}, headers=auth(tokens.worker)
    )
    assert done.status_code == 200, done.get_data(as_text=True)
    failed = client.post(
        f"/api/worker/jobs/{scans[broken.id]['job_id']}/fail",
        json={"error": BOT_CHECK, "retryable": False},
        headers=auth(tokens.worker),
    )
    assert failed.status_code == 200, failed.get_data(as_text=True)
    archive_job = claim(client, tokens.worker)
    assert archive_job is not None and archive_job["mode"] == 0
    client.post(
        f"/api/worker/jobs/{archive_job['job_id']}/fail",
        json={"error": "gone", "retryable": False},
        headers=auth(tokens.worker),
    )
    with db.transaction() as session:  # what a completed upload leaves (tested in tests/archive)
        waiting = session.scalars(
            select(Job.id).where(Job.source_id == feed.id, Job.state == JobState.QUEUED)
        ).first()
        session.execute(update(Job).where(Job.id == waiting).values(state=JobState.DONE))

    page = html(client)
    assert totals(page) == (2, 1, 0)
    listed = row(page, feed.id)
    assert "3 entries listed" in listed and "never" not in listed
    for count in ("3 found", "1 archived", "1 queued", "1 failed"):
        assert count in listed
    assert "UTC</time>" in row(page, feed.id).split('class="next-scan"', 1)[1]
    error = row(page, broken.id)
    assert "&lt;b&gt;Sign in to confirm you&#39;re not a bot&lt;/b&gt;" in error
    assert "<b>Sign in" not in page
    summary = re.search(r"<summary>(.*?)</summary>", error)
    assert summary is not None and summary.group(1).endswith("…")
    assert len(unescape(summary.group(1))) <= sources_page.ERROR_PREVIEW
    assert " ".join(BOT_CHECK.split()[-3:]) in error  # the whole text is in the details
    assert 'class="error"></td>' in listed  # no error: an empty cell (hidden on phones)


def test_keyset_pages(client: FlaskClient, db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sources_page, "PER_PAGE", 2)
    added = [
        catalog.add_source(db, SourceSpec(url=f"http://127.0.0.1:9/feed{n}.xml"), ADMIN).id
        for n in range(5)
    ]

    def shown(page: str) -> list[int]:
        return [
            int(i) for i in re.findall(r'<tr class="source [^"]*" data-source-id="(\d+)"', page)
        ]

    first = html(client)
    assert shown(first) == added[:2] and totals(first) == (5, 0, 5)
    assert f'rel="next" href="/sources?after={added[1]}"' in first and "← First" not in first
    second = html(client, f"/sources?after={added[1]}")
    assert shown(second) == added[2:4] and "← First" in second
    last = html(client, f"/sources?after={added[3]}")
    assert shown(last) == added[4:] and 'rel="next"' not in last
    assert shown(html(client, "/sources?after=junk")) == added[:2]
    beyond = html(client, "/sources?after=" + "9" * 30)  # past any BIGINT: nothing, no 500
    assert shown(beyond) == [] and "No sources after" in beyond and 'id="no-sources"' not in beyond


def test_statement_budget(
    client: FlaskClient, db: Database, count_statements: CountStatements
) -> None:
    """One read of the page of sources (rows, job counts, their scans), one of the totals
    (enabled, paused, due): never a query per source."""
    for n in range(4):
        catalog.add_source(db, SourceSpec(url=f"http://127.0.0.1:9/f{n}.xml"), ADMIN)
    assert len(scheduling.request_scan(db, None, ADMIN)) == 4  # so each row has a scan to read
    with count_statements(db) as counted:
        html(client)
    # measured: 2 transactions, 5 statements
    assert counted.transactions <= 2, counted.report()
    assert counted.statements <= 5, counted.report()
