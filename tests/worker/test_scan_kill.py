"""Acceptance (issue 15): a scan whose worker is SIGKILLed mid-way resumes from its checkpoint
once the lease lapses, and queues nothing twice (every backend the suite runs on)."""

from __future__ import annotations

import io
import json
import signal
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, update

from patchwork.archive.queue.records import Actor
from patchwork.archive.sources import catalog
from patchwork.archive.sources.catalog import SourceSpec
from patchwork.archive.sources.rules import SourceFilters
from patchwork.db import Database
from patchwork.db.models import Job, Source, SourceEntry, Video
from patchwork.db.types import utcnow
from support.worker_fixtures import WEBM, LiveServer
from support.worker_fixtures import Source as MediaSource
from support.worker_process import DEADLINE, finish, start_worker

ITEMS = 250  # three pages of 100
KEPT = (7, 107, 207)  # one per page: the filter keeps these titles only


class PageGate:
    """WSGI wrapper: records each scan page's position; holds the ``hold``-th page (counting
    from 1) until ``release`` and then drops it, as if its worker died before sending it."""

    def __init__(self, hold: int) -> None:
        self.hold = hold
        self.positions: list[int] = []
        self.holding = threading.Event()
        self.release = threading.Event()

    def __call__(self, app: Callable[..., Iterable[bytes]]) -> Callable[..., Iterable[bytes]]:
        def wrapped(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
            if environ.get("PATH_INFO", "").endswith("/entries"):
                size = int(environ.get("CONTENT_LENGTH") or 0)
                body = environ["wsgi.input"].read(size)
                environ["wsgi.input"] = io.BytesIO(body)
                self.positions.append(json.loads(body)["position"])
                if len(self.positions) == self.hold:
                    self.holding.set()
                    self.release.wait(DEADLINE)
                    start_response("503 Service Unavailable", [("Content-Length", "0")])
                    return [b""]
            return app(environ, start_response)

        return wrapped


@pytest.fixture
def gate(live: LiveServer) -> Iterator[PageGate]:
    gate = PageGate(hold=2)
    live.wrap.append(gate)
    yield gate
    gate.release.set()


def test_a_killed_scan_resumes_from_its_last_page_and_queues_nothing_twice(
    live: LiveServer, source: MediaSource, gate: PageGate, db: Database, tmp_path: Path
) -> None:
    items = []
    for n in range(ITEMS):
        title = f"keep {n}" if n in KEPT else f"other {n}"
        items.append(
            f"<item><title>{title}</title><link>{source.url(f'/p/{n}.html')}</link></item>"
        )
    source.files["/feed.xml"] = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Big</title>'
        + "".join(items)
        + "</channel></rss>"
    ).encode()
    for n in KEPT:
        source.files[f"/p/{n}.html"] = (
            f'<html><head><title>keep {n}</title></head><body><video src="/m/{n}.webm">'
            "</video></body></html>"
        ).encode()
        source.files[f"/m/{n}.webm"] = WEBM
    filters = SourceFilters(title_include="^keep ")
    added = catalog.add_source(
        db, SourceSpec(url=source.url("/feed.xml"), filters=filters), Actor(None, "test")
    )
    workdir = tmp_path / "work"

    doomed = start_worker(live, workdir, "doomed")
    try:
        assert gate.holding.wait(DEADLINE), "the worker never sent its second page"
        doomed.kill()
        doomed.wait(DEADLINE)
    finally:
        gate.release.set()
    assert doomed.returncode == -signal.SIGKILL
    with db.reading() as session:
        source_row = session.get(Source, added.id)
        assert source_row is not None and source_row.scan_position == 100  # the checkpoint
        scan_state, scan_id = session.execute(select(Job.state, Job.id).where(Job.mode == 3)).one()
    assert scan_state == "leased"
    with db.transaction() as session:  # the lease lapses (instead of waiting for it)
        session.execute(
            update(Job).where(Job.id == scan_id).values(lease_expires_at=utcnow() - timedelta(1))
        )

    code, output = finish(start_worker(live, workdir, "rescuer"))
    assert code == 0, output
    # The rescuer's first page starts at the checkpoint, not at the top of the feed.
    assert gate.positions[2] == 100, gate.positions
    with db.reading() as session:
        scan = session.execute(select(Job.state, Job.attempts).where(Job.mode == 3)).one()
        assert tuple(scan) == ("done", 2)
        archives = Counter(session.scalars(select(Job.target).where(Job.mode == 0)))
        states = set(session.scalars(select(Job.state).where(Job.mode == 0)))
        entries = session.scalar(select(func.count()).select_from(SourceEntry))
        videos = session.execute(select(Video.video_id, Video.source_url)).all()
    assert archives == Counter({source.url(f"/p/{n}.html"): 1 for n in KEPT})
    assert states == {"done"} and entries == ITEMS
    assert sorted(url for _, url in videos) == sorted(archives)
    for video_id, _ in videos:
        assert live.get(f"/media/video/{video_id}").content == WEBM
