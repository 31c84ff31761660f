"""Issue 12, staging: a refused or older upload never erases a good one; claims and start-up
clear only what is dead."""

from __future__ import annotations

import hashlib
import io
import os
import threading
import time
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update
from werkzeug.test import TestResponse

from patchwork.app import create_app
from patchwork.archive.queue import staging
from patchwork.config import Settings
from patchwork.db import Database
from patchwork.db.models import Job
from patchwork.db.types import utcnow
from patchwork.state import app_state
from patchwork.storage import LocalStorage
from patchwork.storage.local import TMP_PREFIX
from support.queue_fixtures import Tokens, auth, claim, upload
from support.upload_bodies import (
    GOOD,
    Source,
    claimed_job,
    content_of,
    put_upload,
    staged_of,
    staging_entries,
    storage_of,
)


@pytest.mark.parametrize("ext", ["webm", "mp4"])
def test_wrong_digest_reupload_keeps_the_earlier_good_upload(
    app: Flask, client: FlaskClient, tokens: Tokens, ext: str
) -> None:
    job = claimed_job(client, tokens)
    assert upload(client, tokens.worker, job["job_id"], "video", GOOD, "webm").status_code == 201
    good = staged_of(app, job)["video"]
    answer = put_upload(
        client,
        tokens,
        job["job_id"],
        Source(b"other bytes"),
        ext=ext,
        length=11,
        headers={"X-Content-SHA256": hashlib.sha256(b"something else").hexdigest()},
    )
    assert answer.status_code == 400
    assert staged_of(app, job) == {"video": good}
    assert content_of(app, good.key) == GOOD
    assert len(staging_entries(app, job["job_id"])) == 1


def test_empty_video_reupload_keeps_the_earlier_good_upload(
    app: Flask, client: FlaskClient, tokens: Tokens
) -> None:
    job = claimed_job(client, tokens)
    assert upload(client, tokens.worker, job["job_id"], "video", GOOD, "webm").status_code == 201
    good = staged_of(app, job)["video"]
    assert upload(client, tokens.worker, job["job_id"], "video", b"", "webm").status_code == 400
    assert staged_of(app, job) == {"video": good}
    assert content_of(app, good.key) == GOOD


def test_a_good_reupload_replaces_the_earlier_one(
    app: Flask, client: FlaskClient, tokens: Tokens
) -> None:
    job = claimed_job(client, tokens)
    assert upload(client, tokens.worker, job["job_id"], "video", GOOD, "webm").status_code == 201
    assert upload(client, tokens.worker, job["job_id"], "video", b"newer", "mp4").status_code == 201
    staged = staged_of(app, job)["video"]
    assert (staged.ext, content_of(app, staged.key)) == ("mp4", b"newer")
    assert len(staging_entries(app, job["job_id"])) == 1  # the older one was retired


# -- 5. concurrent uploads of one kind cannot erase each other ------------------------------


class Held(io.RawIOBase):
    """A body whose first read says so, then waits until the test lets it go on."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)
        self.reading = threading.Event()
        self.go_on = threading.Event()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        self.reading.set()
        if not self.go_on.wait(30):
            raise AssertionError("the test never released this upload")
        return self._data.readinto(buffer)


def test_overlapping_uploads_of_one_kind_do_not_erase_each_other(
    app: Flask, client: FlaskClient, tokens: Tokens
) -> None:
    job = claimed_job(client, tokens)
    first_bytes, second_bytes = b"first upload, webm", b"second upload, mp4"
    held = Held(first_bytes)
    answers: list[TestResponse] = []

    def first() -> None:
        answers.append(put_upload(client, tokens, job["job_id"], held, length=len(first_bytes)))

    thread = threading.Thread(target=first)
    thread.start()
    try:
        assert held.reading.wait(30)  # the first upload has its key and is streaming
        second = upload(client, tokens.worker, job["job_id"], "video", second_bytes, "mp4")
        assert second.status_code == 201, second.get_json()
    finally:
        held.go_on.set()
        thread.join(30)
    assert [a.status_code for a in answers] == [201]
    # The upload that started last wins, whichever finished last; it was never deleted.
    staged = staged_of(app, job)["video"]
    assert (staged.ext, content_of(app, staged.key)) == ("mp4", second_bytes)


def test_a_newer_upload_is_never_retired_by_an_older_one(local_storage: LocalStorage) -> None:
    older = staging.staged_key(7, 1, "video", "webm")
    newer = staging.staged_key(7, 1, "video", "mp4")
    assert older != newer
    local_storage.write_bytes(newer, b"newer")
    local_storage.write_bytes(older, b"older")
    staging.drop_other_extensions(local_storage, 7, 1, "video", older)
    assert local_storage.exists(newer)
    assert staging.staged_files(local_storage, 7, 1)["video"].key == newer
    staging.drop_other_extensions(local_storage, 7, 1, "video", newer)
    assert not local_storage.exists(older)


# -- 6. leftovers of dead uploads are swept ------------------------------------------------


def test_a_new_claim_drops_earlier_attempts_staging(
    app: Flask, client: FlaskClient, tokens: Tokens, db: Database
) -> None:
    job = claimed_job(client, tokens)
    assert upload(client, tokens.worker, job["job_id"], "video", GOOD, "webm").status_code == 201
    storage = storage_of(app)
    assert isinstance(storage, LocalStorage)
    # What a server killed mid-upload leaves: a temp file no listing shows.
    folder = storage.root / staging.staging_prefix(job["job_id"], job["attempt"])
    (folder / f"{TMP_PREFIX}dead.tmp").write_bytes(b"half an upload")
    failed = client.post(
        f"/api/worker/jobs/{job['job_id']}/fail",
        json={"error": "boom", "retryable": True},
        headers=auth(tokens.worker),
    )
    assert failed.status_code == 200
    with db.transaction() as session:
        session.execute(
            update(Job)
            .where(Job.id == job["job_id"])
            .values(available_at=utcnow() - timedelta(seconds=1))
        )
    again = claim(client, tokens.worker2)
    assert again is not None and again["job_id"] == job["job_id"]
    assert again["attempt"] > job["attempt"]
    assert staging_entries(app, job["job_id"]) == []


def test_start_up_removes_only_old_temp_files_from_staging(settings: Settings) -> None:
    storage = LocalStorage(settings.storage_url.removeprefix("file://"))
    folder = storage.root / staging.staging_prefix(3, 1)
    folder.mkdir(parents=True)
    dead = folder / f"{TMP_PREFIX}dead.tmp"
    live_one = folder / f"{TMP_PREFIX}live.tmp"
    dead.write_bytes(b"x")
    live_one.write_bytes(b"y")
    long_ago = time.time() - 2 * 24 * 3600  # idle far longer than any live upload
    os.utime(dead, (long_ago, long_ago))
    started = create_app(settings)
    try:
        assert not dead.exists()
        assert live_one.exists()  # another server process may still be writing it
    finally:
        app_state(started).db.dispose()


# -- 7. deeply nested JSON ---------------------------------------------------------------
