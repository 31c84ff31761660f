"""The server SIGKILLed between placing a replacement's files and committing its rows.

A real ``patchwork serve`` completes a mode-1 job while the test holds the job's row lock
(SQLite: the write lock), so the server stops exactly after placing the new objects, waiting
to commit. The test sees the new object in storage, kills the server's whole process group,
lets go of the lock and starts the server again: the old video is still served, byte for
byte, and its rows describe it.
"""

from __future__ import annotations

import hashlib
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from patchwork.db import Database
from patchwork.db.models import Job, StoredFile
from patchwork.state import app_state
from support.queue_fixtures import Tokens, auth, claim, enqueue, info, upload
from support.stored_files import file_key

DEADLINE = 60.0
VIDEO_ID = "killtest001"


def wait_for(condition: Callable[[], bool], what: str) -> None:
    """Check ``condition`` until it holds (another process is doing the work)."""
    deadline = time.monotonic() + DEADLINE
    pause = threading.Event()
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        pause.wait(0.02)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serving(env: dict[str, str], log: Path) -> Iterator[tuple[str, Callable[[], None]]]:
    """A real server on a free port: its base URL, and a function that SIGKILLs it."""
    port = free_port()
    args = [sys.executable, "-c", "from patchwork.cli import main; main()"]
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            [*args, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: SIGKILL reaches every process
        )
    base = f"http://127.0.0.1:{port}"

    def up() -> bool:
        if proc.poll() is not None:
            raise AssertionError(f"patchwork serve exited:\n{log.read_text()[-3000:]}")
        try:
            requests.get(f"{base}/api/recently_archived", timeout=2)
            return True
        except requests.ConnectionError:
            return False

    def kill() -> None:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=DEADLINE)

    try:
        wait_for(up, "patchwork serve to answer")
        yield base, kill
    finally:
        kill()


@contextmanager
def job_locked(database_url: str, job_id: int) -> Iterator[None]:
    """Hold the job's row lock (SQLite: the database's write lock) until the block ends."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        assert url.database
        connection = sqlite3.connect(url.database, isolation_level=None, timeout=30)
        try:
            connection.execute("BEGIN IMMEDIATE")
            yield
            connection.execute("ROLLBACK")
        finally:
            connection.close()
        return
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection, connection.begin() as transaction:
            connection.execute(
                text("SELECT id FROM jobs WHERE id = :id FOR UPDATE"), {"id": job_id}
            )
            yield
            transaction.rollback()
    finally:
        engine.dispose()


def test_server_killed_before_commit_keeps_the_old_video(
    app: Flask,
    client: FlaskClient,
    db: Database,
    tokens: Tokens,
    cli_env: dict[str, str],
    tmp_path: Path,
) -> None:
    storage = app_state(app).storage
    env = {
        **os.environ,
        **cli_env,
        "PATCHWORK_STORAGE_URL": app_state(app).settings.storage_url,
        "PATCHWORK_RATE_LIMITS": "off",
    }
    url = f"https://www.youtube.com/watch?v={VIDEO_ID}"
    # The original, archived through the in-process app (same database, same storage).
    enqueue(client, tokens.queue, url)
    first = claim(client, tokens.worker)
    assert first is not None
    assert (
        upload(client, tokens.worker, first["job_id"], "video", b"original", "webm").status_code
        == 201
    )
    done = client.post(
        f"/api/worker/jobs/{first['job_id']}/complete",
        json={"video": info(VIDEO_ID)},
        headers=auth(tokens.worker),
    )
    assert done.status_code == 200
    old_key = file_key(db, VIDEO_ID, "video")

    # A replacement, uploaded and then completed against the real server.
    enqueue(client, tokens.queue, url, mode=1)
    job = claim(client, tokens.worker)
    assert job is not None
    job_id, attempt = job["job_id"], job["attempt"]
    assert upload(client, tokens.worker, job_id, "video", b"replacement", "webm").status_code == 201
    new_prefix = f"video/{VIDEO_ID}.j{job_id}a{attempt}-"
    outcome: dict[str, Any] = {}

    def complete(base: str) -> None:
        try:
            outcome["response"] = requests.post(
                f"{base}/api/worker/jobs/{job_id}/complete",
                json={"video": info(VIDEO_ID, title="Replaced")},
                headers=auth(tokens.worker),
                timeout=DEADLINE,
            )
        except requests.RequestException as exc:
            outcome["error"] = exc

    def placed() -> bool:
        keys = {i.key for i in storage.list(f"video/{VIDEO_ID}.")}
        # A fresh version beside the old object (or, as before issue 12, the old one replaced).
        return any(k.startswith(new_prefix) for k in keys) or (
            b"".join(storage.iter_object(old_key)) != b"original"
        )

    log = tmp_path / "serve.log"
    with serving(env, log) as (base, kill), job_locked(env["PATCHWORK_DATABASE_URL"], job_id):
        caller = threading.Thread(target=complete, args=(base,))
        caller.start()
        wait_for(placed, "the replacement to be placed")
        kill()  # mid-completion, before the lock is let go: the commit never happens
        caller.join(timeout=DEADLINE)
    assert "error" in outcome, outcome  # the connection died with the server

    with serving(env, log) as (base, _):
        media = requests.get(f"{base}/media/video/{VIDEO_ID}", timeout=10)
        assert media.status_code == 200 and media.content == b"original"
        assert requests.get(f"{base}/api/video/{VIDEO_ID}", timeout=10).json()["title"] == (
            f"Song {VIDEO_ID}"
        )
        with db.reading() as session:
            row = session.scalars(
                select(StoredFile).where(
                    StoredFile.video_id == VIDEO_ID, StoredFile.kind == "video"
                )
            ).one()
            assert row.storage_key == old_key
            assert row.sha256 == hashlib.sha256(b"original").hexdigest()
            leased = session.get(Job, job_id)
            assert leased is not None and leased.state == "leased"
        # The worker retries its completion: now it lands, from the same staged upload.
        complete(base)
        assert outcome["response"].status_code == 200, outcome["response"].text
        media = requests.get(f"{base}/media/video/{VIDEO_ID}", timeout=10)
        assert media.content == b"replacement"
    assert not storage.exists(old_key)
