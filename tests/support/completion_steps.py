"""Steps of a worker's completion for the integrity tests: stage, complete, archive, race.

Plain helpers, imported by tests/archive/queue/test_integrity_completion.py and
test_integrity_identity.py.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from patchwork.db import Database
from patchwork.db.models import Caption, JobEvent, StoredFile
from patchwork.state import app_state
from support.queue_fixtures import Tokens, auth, claim, enqueue, info, upload

CHANNEL = "UCsharedchannel0000000"


def yt(video_id: str) -> str:
    return f"https://www.youtube.com/watch?v={video_id}"


def vid(n: int, prefix: str = "v") -> str:
    return f"{prefix}{n:0{11 - len(prefix)}d}"


def stage(
    client: FlaskClient,
    secret: str,
    job_id: int,
    video: bytes,
    *,
    thumbnail: bytes | None = b"\xff\xd8 thumb",
    captions: dict[str, bytes] | None = None,
) -> None:
    assert upload(client, secret, job_id, "video", video, "webm").status_code == 201
    if thumbnail is not None:
        assert upload(client, secret, job_id, "thumbnail", thumbnail, "jpg").status_code == 201
    for language, data in (captions or {}).items():
        assert (
            upload(client, secret, job_id, f"captions/{language}", data, "vtt").status_code == 201
        )


def complete(client: FlaskClient, secret: str, job_id: int, meta: dict[str, Any]) -> Any:
    return client.post(
        f"/api/worker/jobs/{job_id}/complete", json={"video": meta}, headers=auth(secret)
    )


def archive(
    client: FlaskClient,
    tokens: Tokens,
    video_id: str,
    video: bytes,
    *,
    url: str | None = None,
    mode: int = 0,
    meta: dict[str, Any] | None = None,
    **staged: Any,
) -> Any:
    """Queue, claim, upload and complete one job; returns the completion's answer."""
    assert enqueue(client, tokens.queue, url or yt(video_id), mode).status_code in (200, 201)
    job = claim(client, tokens.worker)
    assert job is not None
    stage(client, tokens.worker, job["job_id"], video, **staged)
    return complete(client, tokens.worker, job["job_id"], meta or info(video_id))


def served(client: FlaskClient, kind: str, video_id: str) -> tuple[int, bytes]:
    response = client.get(f"/media/{kind}/{video_id}")
    return response.status_code, response.get_data()


def assert_files_match_rows(app: Flask) -> int:
    """Every recorded file's object exists and hashes to its recorded sha256."""
    state = app_state(app)
    checked = 0
    with state.db.reading() as session:
        rows = [
            (r.storage_key, r.sha256)
            for r in session.scalars(select(StoredFile).where(StoredFile.kind != "metadata"))
        ] + [(c.storage_key, c.sha256) for c in session.scalars(select(Caption))]
    for key, digest in rows:
        data = b"".join(state.storage.iter_object(key))
        assert hashlib.sha256(data).hexdigest() == digest, key
        checked += 1
    return checked


def run_together(*calls: Callable[[], Any]) -> list[Any]:
    """Run the calls in threads released at once by a barrier; their results in order."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)
    errors: list[BaseException] = []

    def run(index: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=30)
            results[index] = call()
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    return results


def completer(app: Flask, secret: str, job_id: int, meta: dict[str, Any]) -> Callable[[], Any]:
    """A completion to run in its own thread, with its own test client."""
    return lambda: complete(app.test_client(), secret, job_id, meta)


def done_events(db: Database, job_id: int) -> int:
    with db.reading() as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(JobEvent)
                .where(JobEvent.job_id == job_id, JobEvent.event == "completed")
            )
            or 0
        )
