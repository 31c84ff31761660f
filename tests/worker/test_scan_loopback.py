"""Scans with the real yt-dlp against a loopback source: an RSS feed, an HTML page of links,
and a scan job run end to end by the worker's loop against the app over real HTTP."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from patchwork.archive.queue.records import Actor
from patchwork.archive.sources import catalog
from patchwork.archive.sources.catalog import SourceSpec
from patchwork.archive.sources.rules import ArchiveOptions
from patchwork.db import Database
from patchwork.db.models import Job, Video
from patchwork.worker.client import ApiClient, Claimed, Mode
from patchwork.worker.config import WorkerConfig
from patchwork.worker.download import Downloader, DownloadFailed
from patchwork.worker.runner import Outcome, Runner
from patchwork.worker.scan import run_scan
from support.worker_fixtures import MP4, WEBM, LiveServer, Source

ADMIN = Actor(None, "test")
FEED = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Loopback feed</title><link>{base}/</link>
<description>songs</description>
<item><title>First song</title><link>{base}/p/first-song.html</link><guid>song-1</guid>
<pubDate>Wed, 03 Jan 2024 23:30:00 +0000</pubDate></item>
<item><title>Second song</title><link>{base}/p/second-song.html</link>
<pubDate>Tue, 02 Jan 2024 08:00:00 GMT</pubDate></item>
</channel></rss>"""


class Pages:
    """The server's side of a scan, recorded: every page, answered as a server would."""

    def __init__(self) -> None:
        self.pages: list[tuple[int, list[dict[str, Any]], str | None]] = []

    def report_entries(
        self, job_id: int, position: int, entries: list[dict[str, Any]], title: str | None = None
    ) -> dict[str, Any]:
        self.pages.append((position, entries, title))
        return {"position": position + len(entries), "stop": False}

    def entries(self) -> list[dict[str, Any]]:
        return [entry for _, page, _ in self.pages for entry in page]


@pytest.fixture
def feed(source: Source) -> str:
    """An RSS feed whose items link to pages that each hold a ``<video>``."""
    source.files["/feed.xml"] = FEED.format(base=source.base).encode()
    songs = (("first-song", "First song", "webm"), ("second-song", "Second song", "mp4"))
    for name, title, media in songs:
        source.files[f"/p/{name}.html"] = (
            f"<!DOCTYPE html><html><head><title>{title}</title></head><body>"
            f'<video src="/media/{name}.{media}"></video></body></html>'
        ).encode()
    source.files["/media/first-song.webm"] = WEBM
    source.files["/media/second-song.mp4"] = MP4
    return source.url("/feed.xml")


def scan(tmp_path: Path, url: str, **fields: Any) -> Pages:
    pages = Pages()
    job = Claimed(1, url, Mode.SCAN, "source:1", 1, scan={"url": url, "page_size": 100, **fields})
    run_scan(job, pages, Downloader(WorkerConfig(workdir=tmp_path), ffmpeg=False))
    return pages


def test_an_rss_feed_lists_its_items_as_their_links(
    tmp_path: Path, source: Source, feed: str
) -> None:
    pages = scan(tmp_path, feed)
    first, second = source.url("/p/first-song.html"), source.url("/p/second-song.html")
    assert pages.entries() == [  # the first item's guid is not smuggled onto its link
        {"url": first, "title": "First song", "upload_date": "20240103"},  # 23:30 UTC
        {"url": second, "title": "Second song", "upload_date": "20240102"},
    ]
    assert [(position, title) for position, _, title in pages.pages] == [(0, "Loopback feed")]
    assert [r for r in source.requests if "/p/" in r or "/media/" in r] == []  # listed, not read


def test_an_html_page_of_links_lists_its_media_files(tmp_path: Path, source: Source) -> None:
    source.files["/clips/index.html"] = (
        b"<html><head><title>Clips</title></head><body><ul>"
        b'<li><a href="/media/a.mp4">Clip <em>A</em></a> <a href="/about.html">About</a>'
        b'<li><a href="b.webm">Clip B</a> <a href="/media/a.mp4#start">Clip A again</a>'
        b'<li><a href="c.txt">Notes</a></ul></body></html>'
    )
    pages = scan(tmp_path, source.url("/clips/index.html"))
    assert pages.entries() == [
        {"url": source.url("/media/a.mp4"), "title": "Clip A"},
        {"url": source.url("/clips/b.webm"), "title": "Clip B"},
    ]
    assert pages.pages[0][2] == "Clips"
    assert not any(r.endswith((".mp4", ".webm")) for r in source.requests)

    resumed = scan(tmp_path, source.url("/clips/index.html"), resume_from=1)
    clip_b = {"url": source.url("/clips/b.webm"), "title": "Clip B"}
    assert resumed.pages == [(1, [clip_b], "Clips")]


def test_a_page_without_video_links_fails_for_good(tmp_path: Path, source: Source) -> None:
    source.files["/about.html"] = b'<html><body><a href="/contact.html">Contact</a></body></html>'
    with pytest.raises(DownloadFailed) as failed:
        scan(tmp_path, source.url("/about.html"))
    assert not failed.value.retryable and "Unsupported URL" in str(failed.value)


def test_a_scan_job_queues_the_feeds_videos_and_the_worker_archives_them(
    live: LiveServer, db: Database, feed: str, tmp_path: Path
) -> None:
    options = ArchiveOptions(max_height=480)
    added = catalog.add_source(db, SourceSpec(url=feed, options=options), ADMIN)
    config = WorkerConfig(
        server=live.base,
        token=live.worker_token,
        name="scanner",
        workdir=tmp_path / "work",
        once=True,
        pause=0,
        idle=0,
    )
    client = ApiClient(live.base, live.worker_token, "scanner", sleep=lambda s: None)
    runner = Runner(config, client, Downloader(config), sleep=lambda s: None, out=io.StringIO())
    try:
        assert runner.run() == 0
    finally:
        client.close()

    assert runner.stats[Outcome.SCANNED] == 1 and runner.stats[Outcome.ARCHIVED] == 2
    with db.reading() as session:
        jobs = [
            (job.mode, job.state, job.source_id, job.options)
            for job in session.scalars(select(Job).order_by(Job.id))
        ]
        videos = {vid: title for vid, title in session.execute(select(Video.video_id, Video.title))}
    queued = (0, "done", added.id, options.as_json())  # archived with the source's options
    assert jobs[0][:2] == (3, "done") and jobs[1:] == [queued, queued]
    titles = sorted(videos.values())  # the page's title (yt-dlp numbers a page's videos)
    assert len(titles) == 2 and titles[0].startswith("First song")
    assert titles[1].startswith("Second song")
    for video_id, title in videos.items():  # served back by the archive
        assert live.get(f"/api/video/{video_id}").json()["title"] == title
    scanned = catalog.get_source(db, added.id)
    assert scanned.last_scan_entries == 2 and scanned.name == "Loopback feed"


def test_a_page_with_one_video_is_a_listing_of_that_page(
    tmp_path: Path, source: Source, feed: str
) -> None:
    pages = scan(tmp_path, source.url("/p/first-song.html"))
    [entry] = pages.entries()
    assert entry["url"] == source.url("/p/first-song.html")  # the page, not its media file
    assert entry["title"].startswith("First song")
