"""A worker killed or stopped mid-job, run as a real process.

Nothing here sleeps: the tests wait on events set by the loopback servers, with deadlines.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from patchwork.db import Database
from patchwork.db.models import Job
from patchwork.db.types import utcnow
from support.worker_fixtures import WEBM, LiveServer, Source
from support.worker_process import finish, start_worker

DEADLINE = 60.0


class GatedUpload:
    """WSGI wrapper: the first video upload stops after its first KiB until ``release``."""

    def __init__(self) -> None:
        self.started = threading.Event()
        self.release = threading.Event()
        self.armed = True

    def __call__(self, app: Callable[..., Iterable[bytes]]) -> Callable[..., Iterable[bytes]]:
        def wrapped(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
            path = environ.get("PATH_INFO", "")
            if self.armed and environ["REQUEST_METHOD"] == "PUT" and path.endswith("/video"):
                self.armed = False
                stream = environ["wsgi.input"]
                head = stream.read(1024)
                self.started.set()
                self.release.wait(DEADLINE)
                environ["wsgi.input"] = _Prepended(head, stream)
            return app(environ, start_response)

        return wrapped


class _Prepended:
    def __init__(self, head: bytes, rest: Any) -> None:
        self.head = head
        self.rest = rest

    def read(self, size: int = -1) -> bytes:
        if self.head:
            out = self.head if size < 0 else self.head[:size]
            self.head = self.head[len(out) :]
            return out
        return bytes(self.rest.read(size))

    def readline(self, size: int = -1) -> bytes:
        return self.read(size)


@pytest.fixture
def gate(live: LiveServer) -> Iterator[GatedUpload]:
    gate = GatedUpload()
    live.wrap.append(gate)
    yield gate
    gate.release.set()


def test_sigkill_mid_upload_then_a_second_worker_archives_it(
    live: LiveServer, source: Source, gate: GatedUpload, db: Database, tmp_path: Path
) -> None:
    source.files["/v/clip.webm"] = WEBM
    job = live.enqueue(source.url("/v/clip.webm"))
    workdir = tmp_path / "work"

    first = start_worker(live, workdir, "doomed")
    try:
        assert gate.started.wait(DEADLINE), "the worker never started uploading"
        first.kill()
        first.wait(DEADLINE)
    finally:
        gate.release.set()
    assert first.returncode == -signal.SIGKILL
    assert any(workdir.iterdir())  # the killed worker's scratch folder is still there

    # Nothing half-archived is visible; the job is still leased to the dead worker.
    assert "error" in live.get("/api/video/clip").json()
    assert live.get("/media/video/clip").status_code == 404
    assert live.job(job["job_id"])["state"] == "leased"

    with db.transaction() as session:  # the lease lapses (instead of waiting an hour)
        session.execute(
            update(Job)
            .where(Job.id == job["job_id"])
            .values(lease_expires_at=utcnow() - timedelta(seconds=1))
        )

    code, output = finish(start_worker(live, workdir, "rescuer"))
    assert code == 0, output
    done = live.job(job["job_id"])
    assert (done["state"], done["attempts"]) == ("done", 2)
    assert live.get("/api/video/clip").json()["video_id"] == "clip"
    assert live.get("/media/video/clip").content == WEBM
    assert list(workdir.iterdir()) == []  # the stale scratch folder was removed too


def test_sigterm_mid_upload_finishes_the_job_and_exits_0(
    live: LiveServer, source: Source, gate: GatedUpload, tmp_path: Path
) -> None:
    source.files["/v/clip.webm"] = WEBM
    job = live.enqueue(source.url("/v/clip.webm"))
    proc = start_worker(live, tmp_path / "work", "polite")
    try:
        assert gate.started.wait(DEADLINE)
        proc.send_signal(signal.SIGTERM)
    finally:
        gate.release.set()
    code, output = finish(proc)
    assert code == 0, output
    assert live.job(job["job_id"])["state"] == "done"
    assert live.get("/media/video/clip").content == WEBM
    assert list((tmp_path / "work").iterdir()) == []


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_stop_signal_mid_download_hands_the_job_back_and_exits_0(
    live: LiveServer, source: Source, tmp_path: Path, signum: int
) -> None:
    source.files["/v/slow.webm"] = WEBM
    source.gate = threading.Event()
    job = live.enqueue(source.url("/v/slow.webm"))
    proc = start_worker(live, tmp_path / "work", "polite")
    try:
        assert source.waiting.wait(DEADLINE), "the download never started"
        proc.send_signal(signum)
    finally:
        source.gate.set()
    code, output = finish(proc)
    assert code == 0, output
    back = live.job(job["job_id"])
    assert (back["state"], back["attempts"]) == ("queued", 1)
    assert "stopped" in back["last_error"]
    assert "error" in live.get("/api/video/slow").json()
    assert list((tmp_path / "work").iterdir()) == []
