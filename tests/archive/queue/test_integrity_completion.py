"""A worker's completion and ``patchwork import`` never lose, corrupt or hand over a file.

Issue 12: concurrent completions, failed completions, re-archives without a thumbnail,
identity, on every database. Threads start together at a barrier; nothing sleeps.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from patchwork.db import Database
from patchwork.db.models import Channel, Job, Video
from patchwork.db.types import utcnow
from patchwork.state import app_state
from support.completion_steps import (
    archive,
    assert_files_match_rows,
    complete,
    completer,
    done_events,
    run_together,
    served,
    stage,
    vid,
    yt,
)
from support.queue_fixtures import Tokens, auth, claim, enqueue, info
from support.stored_files import file_key

# ---- concurrency ---------------------------------------------------------------------------


def test_completions_racing_for_a_new_channel_and_a_new_video(
    app: Flask, client: FlaskClient, db: Database, tokens: Tokens, backend: str
) -> None:
    """40 pairs sharing a new channel, 10 pairs reporting one new video: no 5xx, every
    served file is the one its row describes, every job done exactly once."""
    pairs = 40 if backend != "sqlite" else 10
    jobs: list[int] = []
    for n in range(pairs):
        channel = f"UCrace{n:016d}"
        prepared = []
        for side in (0, 1):
            video_id = vid(2 * n + side, "c")
            enqueue(client, tokens.queue, yt(video_id))
            job = claim(client, tokens.worker)
            assert job is not None
            body = f"video {video_id}".encode() * 50
            stage(client, tokens.worker, job["job_id"], body)
            prepared.append((job["job_id"], info(video_id, channel_id=channel, channel=f"C{n}")))
        answers = run_together(*(completer(app, tokens.worker, j, m) for j, m in prepared))
        assert [a.status_code for a in answers] == [200, 200], [a.get_json() for a in answers]
        jobs.extend(j for j, _ in prepared)
    for n in range(10):
        video_id = vid(n, "s")
        prepared = []
        for side in (0, 1):
            url = f"https://videos.example.org/watch/{n}/{side}"
            enqueue(client, tokens.queue, url, mode=side)  # one mode 0, one mode 1
            job = claim(client, tokens.worker)
            assert job is not None
            stage(client, tokens.worker, job["job_id"], f"copy {side} of {video_id}".encode())
            prepared.append((job["job_id"], info(video_id, extractor="generic", webpage_url=url)))
        answers = run_together(*(completer(app, tokens.worker, j, m) for j, m in prepared))
        codes = sorted(a.status_code for a in answers)
        # Both done, or the mode-1 job refused cleanly: its target is not the video's.
        assert codes in ([200, 200], [200, 409]), [a.get_json() for a in answers]
        for (job_id, _), answer in zip(prepared, answers, strict=True):
            if answer.status_code == 200:
                jobs.append(job_id)
        status, data = served(client, "video", video_id)
        assert status == 200 and data in {f"copy {side} of {video_id}".encode() for side in (0, 1)}
    # Each video has a video and a thumbnail row.
    assert assert_files_match_rows(app) == 2 * (2 * pairs + 10)
    for job_id in jobs:
        assert done_events(db, job_id) == 1
    with db.reading() as session:
        assert session.scalar(select(func.count()).select_from(Channel)) == pairs + 1
        assert session.scalar(select(func.count()).select_from(Video)) == 2 * pairs + 10


# ---- a failed completion changes nothing -------------------------------------------------


def _replacement_job(client: FlaskClient, tokens: Tokens, video_id: str) -> int:
    assert enqueue(client, tokens.queue, yt(video_id), 1).status_code == 201
    job = claim(client, tokens.worker)
    assert job is not None
    stage(client, tokens.worker, job["job_id"], b"the replacement", thumbnail=b"new thumb")
    return int(job["job_id"])


class InterruptedStorage:
    """The app's storage, running ``interrupt`` once, right after the first object of the
    archive layout is written: the moment between placing files and committing rows."""

    def __init__(self, inner: Any, interrupt: Callable[[], None]) -> None:
        self.inner = inner
        self.interrupt: Callable[[], None] | None = interrupt

    def write(self, key: str, stream: Any, **kwargs: Any) -> Any:
        written = self.inner.write(key, stream, **kwargs)
        if self.interrupt is not None and key.startswith("video/"):
            interrupt, self.interrupt = self.interrupt, None
            interrupt()
        return written

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


@pytest.mark.parametrize("how", ["cancelled", "lease lost"])
def test_a_failed_replacement_leaves_the_served_video_alone(
    app: Flask,
    client: FlaskClient,
    db: Database,
    tokens: Tokens,
    how: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    video_id = vid(1)
    assert archive(client, tokens, video_id, b"the original").status_code == 200
    before = file_key(db, video_id, "video")
    job_id = _replacement_job(client, tokens, video_id)

    def interrupt() -> None:
        if how == "cancelled":
            cancel = client.delete(f"/api/worker/queue/{job_id}", headers=auth(tokens.admin))
            assert cancel.status_code == 200, cancel.get_json()
            return
        with db.transaction() as session:
            session.execute(
                update(Job)
                .where(Job.id == job_id)
                .values(lease_expires_at=utcnow() - timedelta(seconds=1))
            )

    state = app_state(app)
    monkeypatch.setattr(state, "_storage", InterruptedStorage(state.storage, interrupt))
    answer = complete(client, tokens.worker, job_id, info(video_id))
    assert answer.status_code == 409, answer.get_json()
    assert served(client, "video", video_id) == (200, b"the original")
    assert served(client, "thumbnail", video_id) == (200, b"\xff\xd8 thumb")
    assert file_key(db, video_id, "video") == before
    assert assert_files_match_rows(app) == 2
    # The refused completion's objects are gone too: only the served version is left.
    keys = {i.key for i in state.storage.list(f"video/{video_id}.")}
    assert keys == {before}


def delete_now(client: FlaskClient, tokens: Tokens, video_id: str) -> None:
    """A second worker queues, claims and completes a delete of ``video_id``, to its end."""
    deleting = client.delete(
        "/api/storage/delete", data={"videoId": video_id}, headers=auth(tokens.worker2)
    )
    assert deleting.status_code in (200, 201), deleting.get_json()
    job = claim(client, tokens.worker2)
    assert job is not None and job["mode"] == 2
    done = client.post(
        f"/api/worker/jobs/{job['job_id']}/complete", json={}, headers=auth(tokens.worker2)
    )
    assert done.status_code == 200, done.get_json()


def test_a_delete_between_placing_and_committing_a_rearchive_leaves_no_dangling_row(
    app: Flask,
    client: FlaskClient,
    db: Database,
    tokens: Tokens,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A delete job runs to its end while a mode-1 re-archive of the same video has placed its
    # new objects but not committed: the delete sweeps them. The re-archive must then be
    # refused, not record rows for objects that are gone.
    video_id = vid(2)
    assert archive(client, tokens, video_id, b"the original").status_code == 200
    job_id = _replacement_job(client, tokens, video_id)

    state = app_state(app)
    monkeypatch.setattr(
        state,
        "_storage",
        InterruptedStorage(state.storage, lambda: delete_now(client, tokens, video_id)),
    )
    answer = complete(client, tokens.worker, job_id, info(video_id))
    assert answer.status_code == 409, answer.get_json()
    assert "deleted" in answer.get_json()["error"]
    assert client.get(f"/api/video/{video_id}").status_code == 404
    assert assert_files_match_rows(app) == 0
    assert not [
        i.key for p in ("video/", "thumbnails/", "metadata/") for i in state.storage.list(p)
    ]


def test_a_delete_of_a_video_never_archived_sweeps_no_new_version(
    app: Flask,
    client: FlaskClient,
    db: Database,
    tokens: Tokens,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The first archive of a video has placed its objects; a delete of that id (nothing to
    # delete yet) must not sweep them, so the archive completes whole.
    video_id = vid(3)
    assert enqueue(client, tokens.queue, yt(video_id)).status_code == 201
    job = claim(client, tokens.worker)
    assert job is not None
    stage(client, tokens.worker, job["job_id"], b"first copy")

    state = app_state(app)
    monkeypatch.setattr(
        state,
        "_storage",
        InterruptedStorage(state.storage, lambda: delete_now(client, tokens, video_id)),
    )
    answer = complete(client, tokens.worker, job["job_id"], info(video_id))
    assert answer.status_code == 200, answer.get_json()
    assert served(client, "video", video_id) == (200, b"first copy")
    assert assert_files_match_rows(app) == 2
