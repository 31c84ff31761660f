"""The viewer pages through Flask's test client: status codes, content, escaping, sizes."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from patchwork.app import create_app
from patchwork.archive.catalog import videos
from patchwork.archive.queue.heartbeats import record_heartbeat
from patchwork.archive.queue.records import Actor
from patchwork.config import Settings
from patchwork.db import Database
from patchwork.db.models import Video
from patchwork.state import app_state
from support.web_samples import DEMO_CHANNEL, EVIL_CHANNEL, EVIL_ID, SUBRIP_ID, build_archive

BROWSER = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/120"}
PAGES = [
    "/",
    "/watch?v=pwdemo00001",
    f"/watch?v={EVIL_ID}",
    f"/channel/{DEMO_CHANNEL}",
    f"/channel/{EVIL_CHANNEL}",
    "/search?q=demo",
    "/search?q=evil&type=channels",
    "/radio",
    "/status",
    "/queue",
]


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return dataclasses.replace(settings, results_per_page_channel=3, results_per_page=4)


@pytest.fixture
def archive(app: Flask, db: Database) -> Database:
    build_archive(db, app_state(app).storage)
    return db


def text(client: FlaskClient, path: str, status: int = 200) -> str:
    response = client.get(path, headers=BROWSER)
    assert response.status_code == status, (path, response.status_code)
    assert response.mimetype == "text/html"
    return response.get_data(as_text=True)


def test_every_page_is_small_escaped_and_self_hosted(
    client: FlaskClient, archive: Database
) -> None:
    for path in PAGES:
        page = text(client, path)
        assert len(page.encode()) < 100_000, path
        assert "<script>alert" not in page and "<img src=x" not in page, path
        # Scripts, styles, fonts and images all come from Patchwork itself.
        for url in re.findall(r'(?:src|href)="([^"]+)"', page):
            if url.startswith(("http://", "https://")):
                # only links in the archive's text, and the canonical link to this page
                assert url.startswith(("https://example", "http://localhost/")), (path, url)
        for tag in re.findall(r"<(?:script|link|img|video|source|track)\b[^>]*>", page):
            assert "://" not in tag or 'rel="canonical"' in tag, (path, tag)
        assert 'href="/queue"' in page  # the portal is linked from the header
        assert '<meta name="viewport"' in page


def test_home_lists_videos_and_numbers(client: FlaskClient, archive: Database) -> None:
    page = text(client, "/")
    for heading in ("Daily featured", "Recently archived", "Discover", "Channels"):
        assert heading in page
    # Recently archived is the one section that is not a random pick: the 6 newest rows.
    with archive.reading() as session:
        newest = session.scalars(select(Video.video_id).order_by(Video.id.desc()).limit(6)).all()
    recent = page[page.index('id="h-recent"') :].split("</section>", 1)[0]
    assert len(newest) == 6 and all(f"/watch?v={key}" in recent for key in newest)
    assert "We have <strong>10</strong> videos from <strong>3</strong> channels" in page
    assert "Latest upload" in page and 'name="q"' in page


def test_watch_page(client: FlaskClient, archive: Database) -> None:
    assert videos.view_count(archive, "pwdemo00001") == 0
    page = text(client, "/watch?v=pwdemo00001")
    assert '<source src="/media/video/pwdemo00001" type="video/webm">' in page
    assert 'src="/watch/captions/pwdemo00001/en.vtt"' in page
    assert 'src="/watch/captions/pwdemo00001/ja.vtt"' in page
    assert 'href="/channel/UCpatchworkdemo000000000"' in page
    assert "2024-04-01" in page and "Download video" in page
    assert "https://example.invalid/patchwork-demo/pwdemo00001" in page
    assert "A test pattern with a 440 Hz tone.<br>" in page  # line breaks kept
    assert 'property="og:video" content="http://localhost/media/video/pwdemo00001"' in page
    assert 'property="og:image"' in page and 'name="twitter:card"' in page
    assert "1 view" in page
    assert videos.view_count(archive, "pwdemo00001") == 1
    client.get("/watch?v=pwdemo00001", headers={"User-Agent": "Twitterbot/1.0"})
    assert videos.view_count(archive, "pwdemo00001") == 1  # previews are no views


def test_watch_escapes_and_linkifies(client: FlaskClient, archive: Database) -> None:
    page = text(client, f"/watch?v={EVIL_ID}")
    assert (
        "&lt;script&gt;alert(&#34;owned&#34;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in page
    )
    assert (
        '<a href="https://example.com/a?b=1&amp;c=2" rel="nofollow noopener noreferrer">'
        "https://example.com/a?b=1&amp;c=2</a>" in page
    )
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert 'href="javascript' not in page
    assert "&lt;i&gt;Evil&lt;/i&gt; channel" in page


def test_unknown_ids_are_real_404_pages(client: FlaskClient, archive: Database) -> None:
    for path in (
        "/watch?v=doesnotexist",
        "/watch",
        "/watch?v=" + "x" * 300,
        "/channel/UCnobody",
    ):
        page = text(client, path, 404)
        assert "Not found" in page and 'href="/queue"' in page
    response = client.get("/watch/captions/pwdemo00001/xx.vtt")
    assert response.status_code == 404


def test_old_urls_redirect(client: FlaskClient, archive: Database) -> None:
    assert client.get("/video/pwdemo00001").headers["Location"] == "/watch?v=pwdemo00001"
    assert client.get("/results?search_query=demo&page=2").headers["Location"] == (
        "/search?q=demo&page=2"
    )


def test_channel_paginates_newest_first_with_aliases(
    client: FlaskClient, archive: Database
) -> None:
    first = text(client, f"/channel/{DEMO_CHANNEL}")
    assert "8 videos archived" in first
    assert "Also known as:" in first and "Patchwork Demo (old name)" in first
    ids = re.findall(r'class="title" href="/watch\?v=(\w+)"', first)
    assert ids == ["pwdemo00002", "pwdemo00001", "pwfill00004"]
    assert "Page 1 of 3" in first and 'rel="next" href="/channel/' in first
    last = text(client, f"/channel/{DEMO_CHANNEL}?page=3")
    assert re.findall(r'class="title" href="/watch\?v=(\w+)"', last) == ["pwfill00000", SUBRIP_ID]
    assert 'rel="prev"' in last and 'rel="next"' not in last
    assert "Nothing here yet." in text(client, f"/channel/{DEMO_CHANNEL}?page=9")
    text(client, f"/channel/{DEMO_CHANNEL}?page=abc")  # junk is page 1


def test_search_tabs_pages_and_no_results(client: FlaskClient, archive: Database) -> None:
    page = text(client, "/search?q=mandelbrot")
    assert "/watch?v=pwdemo00002" in page and "1 video" in page
    fillers = text(client, "/search?q=filler")
    assert "5 videos" in fillers and "Page 1 of 2" in fillers
    assert "Page 2 of 2" in text(client, "/search?q=filler&page=2")
    channels = text(client, "/search?q=signals&type=channels")
    assert 'href="/channel/UCtestsignals00000000000"' in channels
    assert 'aria-current="page">Channels' in channels
    none = text(client, "/search?q=nothingmatchesthis")
    assert 'id="no-results"' in none and "nothingmatchesthis" in none
    assert "<script>" not in text(client, "/search?q=%3Cscript%3E")
    too_long = text(client, "/search?q=" + "a" * 300, 400)
    assert "too long" in too_long
    assert "no-results" not in text(client, "/search")


def test_status_shows_workers_queue_and_storage(client: FlaskClient, archive: Database) -> None:
    empty = text(client, "/status")
    assert "No worker has sent a heartbeat yet." in empty and "Database online" in empty
    record_heartbeat(archive, Actor(None, "box"), name="<b>box-1</b>", status="Idle. Waiting")
    page = text(client, "/status")
    assert "&lt;b&gt;box-1&lt;/b&gt;" in page and "Idle. Waiting" in page
    assert 'class="worker online"' in page
    assert 'id="queued">0<' in page and 'id="failed">0<' in page
    assert "<dt>Videos</dt><dd>10</dd>" in page


def test_radio_starts_with_a_video(client: FlaskClient, db: Database, archive: Database) -> None:
    page = text(client, "/radio")
    assert re.search(r'src="/media/video/\w+"', page) and "radio.js" in page


def test_empty_archive_pages(client: FlaskClient) -> None:
    assert "Nothing here yet." in text(client, "/")
    assert "no videos yet" in text(client, "/radio")


def test_converted_captions(client: FlaskClient, archive: Database) -> None:
    srt = client.get(f"/watch/captions/{SUBRIP_ID}/en.vtt")
    assert srt.status_code == 200 and srt.mimetype == "text/vtt"
    body = srt.get_data(as_text=True)
    assert body.startswith("WEBVTT\n")
    assert "00:00:00.000 --> 00:00:02.000\n<i>Hello</i> from SubRip &amp; &lt;script&gt;" in body
    srv3 = client.get(f"/watch/captions/{SUBRIP_ID}/ja.vtt").get_data(as_text=True)
    assert "00:00:02.000 --> 00:00:03.500\ntwo &amp; more" in srv3
    page = text(client, f"/watch?v={SUBRIP_ID}")
    assert f'src="/watch/captions/{SUBRIP_ID}/en.vtt"' in page
    vtt = client.get("/watch/captions/pwdemo00001/en.vtt").get_data(as_text=True)
    assert vtt.startswith("WEBVTT") and "440 Hz" in vtt


def test_status_page_says_when_the_database_is_down(tmp_path: Path) -> None:
    broken = Settings(
        instance_path=tmp_path / "instance",
        database_url=f"sqlite:///{tmp_path}",  # a folder: never opens
        storage_url=f"file://{tmp_path / 'archive'}",
    )
    page = text(create_app(broken).test_client(), "/status")
    assert "Database offline" in page and "Website online" in page
