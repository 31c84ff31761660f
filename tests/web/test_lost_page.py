"""The lost media page and the watch page's availability through Flask's test client: lost
videos newest loss first, by reason, paginated; the badge of each state; the metadata history.

States are built the way they happen: videos archived and checked through the worker API.
"""

from __future__ import annotations

import dataclasses
import re

import pytest
from flask.testing import FlaskClient

from patchwork.config import Settings
from patchwork.db import Database
from patchwork.db.models import VideoAvailability
from support.check_steps import archived, checked
from support.queue_fixtures import Tokens, info
from support.statements import CountStatements

OLD_URL = "https://i.example/1.jpg"
BROWSER = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/120"}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return dataclasses.replace(settings, results_per_page=2)


def text(client: FlaskClient, path: str, status: int = 200) -> str:
    response = client.get(path, headers=BROWSER)
    assert response.status_code == status, (path, response.status_code)
    assert response.mimetype == "text/html"
    return response.get_data(as_text=True)


def lose(
    client: FlaskClient, db: Database, tokens: Tokens, video_id: str, reason: str
) -> VideoAvailability:
    """Two definitive answers in a row: the video is unavailable; its row."""
    for _ in range(2):
        checked(client, db, tokens, video_id, "unavailable", reason)
    with db.reading() as session:
        row = session.get(VideoAvailability, video_id)
        assert row is not None and row.state == "unavailable"
        session.expunge(row)
        return row


def listed(page: str) -> list[str]:
    return re.findall(r'<a class="title" href="/watch\?v=([^"]+)"', page)


def rows(page: str) -> list[str]:
    """The lost list's entries, as HTML."""
    if '<ol class="lost"' not in page:
        return []
    return page.split('<ol class="lost"', 1)[1].split("</ol>", 1)[0].split("<li>")[1:]


def test_nothing_lost_yet_says_so_and_the_home_page_links_the_page(
    client: FlaskClient, db: Database, tokens: Tokens
) -> None:
    archived(client, tokens, "keptvid0001")
    checked(client, db, tokens, "keptvid0001", "available", video=info("keptvid0001"))
    page = text(client, "/lost")
    assert 'id="nothing-lost"' in page and "Nothing is lost yet" in page
    assert "Checks run as workers claim jobs, each video about every 30 days" in page
    assert "once 2 checks in a row found it gone" in page
    assert listed(page) == []
    assert 'aria-current="page">Lost media</a>' in page  # in the site's navigation
    home = text(client, "/")
    assert 'id="home-lost"' in home and 'href="/lost"' in home


def test_lost_videos_newest_loss_first_with_each_reason_and_its_count(
    client: FlaskClient, db: Database, tokens: Tokens
) -> None:
    for video_id in ("lostvid0001", "lostvid0002", "lostvid0003", "keptvid0001"):
        archived(client, tokens, video_id, title=f"Title of {video_id} <i>")
    checked(client, db, tokens, "keptvid0001", "available", video=info("keptvid0001"))
    # Lost in the order 3, 2, 1: the newest loss is listed first, whatever the ids' order.
    third = lose(client, db, tokens, "lostvid0003", "not-found")
    lose(client, db, tokens, "lostvid0002", "private")
    first = lose(client, db, tokens, "lostvid0001", "not-found")
    checked(client, db, tokens, "lostvid0003", "inconclusive", "rate-limited")

    page = text(client, "/lost?page=1")
    assert listed(page) == ["lostvid0001", "lostvid0002"]  # two a page (the settings)
    assert "3 videos lost" in page and "Page 1 of 2" in page
    assert 'aria-current="page">All <span class="count">3</span>' in page
    links = dict(re.findall(r'data-reason="([\w-]+)"[^>]*>(.*?)</a>', page))
    assert links["not-found"] == 'Not found (HTTP 404/410) <span class="count">2</span>'
    assert links["private"] == 'Made private <span class="count">1</span>'
    assert len(links) == 2  # only the reasons some video has
    row = rows(page)[0]
    assert first.since is not None and first.last_checked_at is not None
    assert 'src="/media/thumbnail/lostvid0001"' in row
    assert "Title of lostvid0001 &lt;i&gt;" in row
    assert 'href="/channel/UCchannel0000000000000">Some Channel</a>' in row
    assert f'Lost since <time datetime="{first.since.isoformat()}">{first.since:%Y-%m-%d}<' in row
    assert f'last checked <time datetime="{first.last_checked_at.isoformat()}">' in row
    assert "Not found (HTTP 404/410)" in row

    second = text(client, "/lost?page=2")
    assert listed(second) == ["lostvid0003"] and 'rel="prev" href="/lost?page=1"' in second
    # The inconclusive check after the loss moved "last checked", not "since".
    assert third.since is not None and third.last_checked_at is not None
    assert f'Lost since <time datetime="{third.since.isoformat()}">' in rows(second)[0]
    assert f'checked <time datetime="{third.last_checked_at.isoformat()}">' not in rows(second)[0]

    by_reason = text(client, "/lost?reason=not-found")
    assert listed(by_reason) == ["lostvid0001", "lostvid0003"]
    assert "2 videos lost" in by_reason and 'rel="next"' not in by_reason
    assert 'aria-current="page">Not found' in by_reason
    private = text(client, "/lost?reason=private")
    assert listed(private) == ["lostvid0002"] and "1 video lost" in private
    none = text(client, "/lost?reason=members-only")  # a real reason no video has
    assert 'id="no-lost"' in none and listed(none) == []


def test_pages_keep_the_reason_and_bad_arguments_are_400_or_404(
    client: FlaskClient, db: Database, tokens: Tokens
) -> None:
    for number in range(1, 4):
        archived(client, tokens, f"lostvid000{number}")
        lose(client, db, tokens, f"lostvid000{number}", "removed-by-uploader")
    page = text(client, "/lost?reason=removed-by-uploader")
    assert 'rel="next" href="/lost?page=2&amp;reason=removed-by-uploader"' in page
    assert listed(text(client, "/lost?page=2&reason=removed-by-uploader")) == ["lostvid0001"]
    assert listed(text(client, "/lost?page=junk")) == listed(text(client, "/lost"))  # page 1

    past = text(client, "/lost?page=3", 404)
    assert "There is no page 3 of lost media" in past and 'href="/queue"' in past
    text(client, "/lost?page=999999999999", 404)
    bad = text(client, "/lost?reason=%3Cb%3Eeaten%3C/b%3E", 400)
    assert "&lt;b&gt;eaten&lt;/b&gt;" in bad and "is not a reason" in bad
    assert "not-found" in bad and listed(bad) == []  # says which reasons there are
    assert "inconclusive" not in bad
    text(client, "/lost?reason=rate-limited", 400)  # a check's reason, never a loss's
    assert "…" in text(client, "/lost?reason=" + "x" * 500, 400)


def test_the_watch_page_badge_of_each_state(
    client: FlaskClient, db: Database, tokens: Tokens
) -> None:
    for video_id in ("newvid00001", "oddvid00001", "keptvid0001", "lostvid0001"):
        archived(client, tokens, video_id)
    assert 'id="availability"' not in text(client, "/watch?v=newvid00001")  # never checked

    checked(client, db, tokens, "oddvid00001", "inconclusive", "bot-check")
    odd = text(client, "/watch?v=oddvid00001")
    assert "Not settled yet, checked" in odd and "Lost:" not in odd

    checked(client, db, tokens, "keptvid0001", "available", video=info("keptvid0001"))
    kept = text(client, "/watch?v=keptvid0001")
    assert re.search(
        r'class="availability online" id="availability">Still online, checked <time', kept
    )
    checked(client, db, tokens, "keptvid0001", "unavailable", "copyright-claim")
    doubted = text(client, "/watch?v=keptvid0001")
    assert "Still online" in doubted  # one answer is not enough
    assert "1 of 2 checks needed found it" in doubted
    assert "(removed after a copyright claim)" in doubted

    row = lose(client, db, tokens, "lostvid0001", "removed-by-uploader")
    lost = text(client, "/watch?v=lostvid0001")
    assert row.since is not None
    assert (
        f'<strong>Lost:</strong> removed by the uploader, since <time datetime="'
        f'{row.since.isoformat()}">{row.since:%Y-%m-%d}</time>'
    ) in lost
    assert 'href="/lost">all lost media</a>' in lost and "Still online" not in lost


def test_the_watch_page_history_shows_each_version_and_the_newest_checks(
    client: FlaskClient, db: Database, tokens: Tokens
) -> None:
    archived(client, tokens, "editvid0001", title="Old <em>title</em>", thumbnail=OLD_URL)
    fresh = info("editvid0001", title="New title", thumbnail="https://i.example/2.jpg")
    checked(client, db, tokens, "editvid0001", "available", video=fresh, thumbnail=b"\xff\xd8 new")
    checked(client, db, tokens, "editvid0001", "inconclusive", "rate-limited")
    page = text(client, "/watch?v=editvid0001")
    history = page[page.index('id="h-history"') :].split("</section>", 1)[0]
    assert re.findall(r'<li id="version-(\d+)">', history) == ["2", "1"]  # newest first
    assert "changed: title, thumbnail" in history
    assert "<del>Old &lt;em&gt;title&lt;/em&gt;</del> → <ins>New title</ins>" in history
    assert 'href="/media/history/editvid0001/1/metadata">info.json</a>' in history
    assert 'href="/media/history/editvid0001/1/thumbnail">thumbnail</a>' in history
    assert 'href="/media/history/editvid0001/2/thumbnail">thumbnail</a>' in history
    assert "as archived" in history
    checks = history[history.index('aria-label="Checks"') :]
    outcomes = re.findall(r'<li class="outcome-(\w+)">', checks)
    assert outcomes == ["inconclusive", "available"]  # newest first
    assert "could not tell</strong>: rate limited (HTTP 429)" in checks
    assert "by worker-a" in checks
    assert "The newest 2 of 2." in history


def test_a_checked_video_with_one_version_shows_its_checks_only(
    client: FlaskClient, db: Database, tokens: Tokens
) -> None:
    archived(client, tokens, "samevid0001")
    checked(client, db, tokens, "samevid0001", "available", video=info("samevid0001"))
    page = text(client, "/watch?v=samevid0001")
    assert 'id="h-history"' in page and 'aria-label="Checks"' in page
    assert "Metadata versions" not in page
    assert 'id="h-history"' not in text(client, "/watch?v=pwnothing01", 404)


def test_the_history_of_a_checked_video_costs_one_read_transaction(
    client: FlaskClient, db: Database, tokens: Tokens, count_statements: CountStatements
) -> None:
    """Beside the page of a video never checked: one more transaction (history_of's)."""
    archived(client, tokens, "newvid00001")
    archived(client, tokens, "editvid0001")
    renamed = info("editvid0001", title="New title")
    checked(client, db, tokens, "editvid0001", "available", video=renamed)
    bot = {"User-Agent": "Googlebot"}  # no view is written: only the reads are measured
    client.get("/watch?v=newvid00001", headers=bot)  # the discover strip, cached from now on
    measured = []
    for video_id in ("newvid00001", "editvid0001"):
        with count_statements(db) as counted:
            assert client.get(f"/watch?v={video_id}", headers=bot).status_code == 200
        measured.append((counted.transactions, counted.statements))
    (unchecked_transactions, unchecked_statements), (transactions, statements) = measured
    assert transactions - unchecked_transactions <= 1, measured
    # history_of: the video, its versions, its newest checks, their count
    assert statements - unchecked_statements <= 4, measured
