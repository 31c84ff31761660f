"""Acceptance (issue 15), on loopback only: subscribe with ``patchwork sources add``, then
``patchwork worker --once`` scans each source and archives every entry byte for byte; a new
feed item is the only thing the next scan queues; filters drop what they should."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from patchwork.db import Database
from patchwork.db.models import Job, SourceEntry, Video
from support.worker_fixtures import MP4, WEBM, LiveServer, Source, page_with_video
from support.worker_process import finish, patchwork, start_worker

WEBM2 = (Path(__file__).parents[2] / "src/patchwork/demo/pwdemo00002.webm").read_bytes()


def feed(source: Source, songs: list[str]) -> None:
    items = "".join(
        f"<item><title>Song {name}</title><link>{source.url(f'/p/{name}.html')}</link></item>"
        for name in songs
    )
    source.files["/feed.xml"] = (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>Songs</title>{items}'
        "</channel></rss>"
    ).encode()


def archived(live: LiveServer, db: Database) -> dict[str, bytes]:
    """Each archived video's source URL -> the bytes the archive serves for it."""
    with db.reading() as session:
        rows = session.execute(select(Video.video_id, Video.source_url)).all()
    found = {}
    for video_id, url in rows:
        response = live.get(f"/media/video/{video_id}")
        assert response.status_code == 200, video_id
        found[url] = response.content
    return found


def archive_targets(db: Database) -> list[str]:
    with db.reading() as session:
        return sorted(session.scalars(select(Job.target).where(Job.mode == 0)))


def show(cli_env: dict[str, str], source_id: int) -> dict[str, Any]:
    shown: dict[str, Any] = json.loads(
        patchwork(cli_env, "sources", "show", str(source_id), "--json")
    )
    return shown


def test_subscribe_scan_archive_then_only_the_new_item(
    live: LiveServer, source: Source, db: Database, cli_env: dict[str, str], tmp_path: Path
) -> None:
    page_with_video(source, "a", "webm", WEBM)
    page_with_video(source, "b", "mp4", MP4)
    feed(source, ["b", "a"])
    source.files["/clips.html"] = (
        b"<html><head><title>Clips</title></head><body>"
        b'<a href="/m/c.webm">Clip C</a> <a href="/m/d.mp4">Trailer D</a>'
        b' <a href="/about.html">About us</a></body></html>'
    )
    source.files["/m/c.webm"] = WEBM2
    source.files["/m/d.mp4"] = MP4
    patchwork(cli_env, "sources", "add", source.url("/feed.xml"))
    patchwork(cli_env, "sources", "add", source.url("/clips.html"), "--exclude", "trailer")
    listed = json.loads(patchwork(cli_env, "sources", "list", "--json"))
    feed_id, clips_id = (s["id"] for s in sorted(listed, key=lambda s: s["id"]))

    code, output = finish(start_worker(live, tmp_path / "work", "subscriber"))
    assert code == 0, output
    expected = {
        source.url("/p/a.html"): WEBM,
        source.url("/p/b.html"): MP4,
        source.url("/m/c.webm"): WEBM2,
    }
    assert archived(live, db) == expected  # every entry, byte for byte; the trailer not
    assert archive_targets(db) == sorted(expected)
    clips = show(cli_env, clips_id)
    assert (clips["counts"]["found"], clips["counts"]["filtered"]) == (2, 1)
    assert (clips["counts"]["archived"], clips["last_scan_entries"]) == (1, 2)

    # A new item on top of the feed: the next scan queues it and nothing else.
    page_with_video(source, "e", "webm", WEBM2)
    feed(source, ["e", "b", "a"])
    patchwork(cli_env, "sources", "scan", "--all")
    code, output = finish(start_worker(live, tmp_path / "work", "subscriber"))
    assert code == 0, output
    assert archive_targets(db) == sorted([*expected, source.url("/p/e.html")])
    assert archived(live, db) == {**expected, source.url("/p/e.html"): WEBM2}
    shown = show(cli_env, feed_id)
    assert (shown["counts"]["found"], shown["counts"]["archived"]) == (3, 3)
    with db.reading() as session:
        per_source = dict(
            session.execute(
                select(SourceEntry.source_id, func.count()).group_by(SourceEntry.source_id)
            ).all()
        )
        scans = session.scalars(select(Job.state).where(Job.mode == 3)).all()
    assert per_source == {feed_id: 3, clips_id: 2}
    assert list(scans) == ["done"] * 4
