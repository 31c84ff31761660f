"""The upload and claim services without Flask: a real database and each storage backend."""

from __future__ import annotations

import hashlib
import io
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from patchwork.archive.queue import lifecycle, staging, uploads, worker_clients
from patchwork.archive.queue.records import Actor, JobConflict, JobInfo, JobNotFound
from patchwork.archive.tokens import create_token
from patchwork.db import Database
from patchwork.db.models import Worker
from patchwork.db.types import utcnow
from patchwork.storage import Storage

LEASE = 600
LIMIT = 1000
GOOD = b"good video bytes"


def _actor(db: Database, name: str) -> Actor:
    token, _secret = create_token(db, "worker", name=name)
    return Actor(token.id, token.name)


@pytest.fixture
def worker(db: Database) -> Actor:
    return _actor(db, "worker-a")


@pytest.fixture
def job(db: Database, storage: Storage, worker: Actor) -> JobInfo:
    lifecycle.enqueue(db, "https://youtu.be/dQw4w9WgXcQ", 0, worker)
    claimed = uploads.claim_job(
        db, storage, worker, client="tests", owner=None, lease_seconds=LEASE
    )
    assert claimed is not None
    return claimed


def _receive(
    db: Database,
    storage: Storage,
    actor: Actor,
    job: JobInfo,
    data: bytes,
    *,
    kind: str = "video",
    ext: str = "webm",
    size: int | None = -1,
    sha256: str | None = "",
    limit: int = LIMIT,
) -> uploads.StagedUpload:
    return uploads.receive_upload(
        db,
        storage,
        actor,
        job.id,
        kind,
        ext,
        io.BytesIO(data),
        expected_size=len(data) if size == -1 else size,
        expected_sha256=hashlib.sha256(data).hexdigest() if sha256 == "" else sha256,
        content_type="application/octet-stream",
        limit=limit,
        lease_seconds=LEASE,
    )


def _staged_keys(storage: Storage, job: JobInfo) -> list[str]:
    return sorted(o.key for o in storage.list(staging.staging_prefix(job.id)))


def test_a_verified_upload_is_staged_and_extends_the_lease(
    db: Database, storage: Storage, worker: Actor, job: JobInfo
) -> None:
    staged = _receive(db, storage, worker, job, GOOD)
    assert (staged.kind, staged.ext, staged.size) == ("video", "webm", len(GOOD))
    assert staged.sha256 == hashlib.sha256(GOOD).hexdigest()
    assert staged.key.startswith(staging.staging_prefix(job.id, job.attempts))
    assert b"".join(storage.iter_object(staged.key)) == GOOD
    assert staging.staged_files(storage, job.id, job.attempts)["video"].key == staged.key
    after = lifecycle.get_job(db, job.id)
    assert after.lease_expires_at is not None and job.lease_expires_at is not None
    assert after.lease_expires_at >= job.lease_expires_at


def test_a_newer_upload_retires_the_older_one_of_its_kind(
    db: Database, storage: Storage, worker: Actor, job: JobInfo
) -> None:
    first = _receive(db, storage, worker, job, GOOD)
    second = _receive(db, storage, worker, job, b"newer", ext="mp4")
    assert _staged_keys(storage, job) == [second.key]
    assert first.key != second.key


@pytest.mark.parametrize(
    ("data", "checks", "message"),
    [
        (GOOD, {"sha256": "0" * 64}, "X-Content-SHA256 does not match the bytes received"),
        (b"", {}, "The video file is empty"),
        (GOOD, {"size": len(GOOD) + 5}, "The upload is incomplete: received 16 bytes, but"),
    ],
    ids=["digest", "empty", "short"],
)
def test_a_refused_body_keeps_nothing_and_the_good_upload_survives(
    db: Database,
    storage: Storage,
    worker: Actor,
    job: JobInfo,
    data: bytes,
    checks: dict[str, object],
    message: str,
) -> None:
    good = _receive(db, storage, worker, job, GOOD)
    with pytest.raises(uploads.UploadRejected) as refused:
        _receive(db, storage, worker, job, data, **checks)  # type: ignore[arg-type]
    assert refused.value.status == 400
    assert str(refused.value).startswith(message)
    assert _staged_keys(storage, job) == [good.key]


def test_an_oversized_body_is_413_and_keeps_nothing(
    db: Database, storage: Storage, worker: Actor, job: JobInfo
) -> None:
    with pytest.raises(staging.UploadTooLarge) as refused:
        _receive(db, storage, worker, job, b"x" * 50, size=None, limit=10)
    assert refused.value.status == 413
    assert str(refused.value) == "The file is larger than the limit of 10 bytes"
    assert _staged_keys(storage, job) == []


class _Untouchable(io.RawIOBase):
    """A body that must not be read: the refusal comes first."""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        raise AssertionError("the body was read")


def _receive_untouchable(db: Database, storage: Storage, actor: Actor, job_id: int) -> None:
    uploads.receive_upload(
        db,
        storage,
        actor,
        job_id,
        "video",
        "webm",
        io.BufferedReader(_Untouchable()),
        expected_size=None,
        expected_sha256=None,
        content_type=None,
        limit=LIMIT,
        lease_seconds=LEASE,
    )


def test_the_lease_is_checked_before_a_byte_is_read(
    db: Database, storage: Storage, job: JobInfo
) -> None:
    with pytest.raises(JobConflict):
        _receive_untouchable(db, storage, _actor(db, "worker-b"), job.id)
    with pytest.raises(JobNotFound):
        _receive_untouchable(db, storage, _actor(db, "worker-c"), job.id + 1000)
    assert _staged_keys(storage, job) == []


def test_a_file_the_jobs_kind_takes_none_of_is_refused_before_a_byte_is_read(
    db: Database, storage: Storage, worker: Actor
) -> None:
    # A delete job's worker has nothing to upload (its kind declares no file it may take):
    # a video sent for it would sit in staging, never used.
    lifecycle.enqueue(db, "dQw4w9WgXcQ", 2, worker)
    claimed = uploads.claim_job(
        db, storage, worker, client="tests", owner=None, lease_seconds=LEASE
    )
    assert claimed is not None
    with pytest.raises(uploads.UploadRejected, match="A delete job takes no video file"):
        _receive_untouchable(db, storage, worker, claimed.id)
    assert _staged_keys(storage, claimed) == []


def test_a_claim_without_the_client_header_is_refused_and_marked(
    db: Database, storage: Storage, worker: Actor
) -> None:
    lifecycle.enqueue(db, "https://youtu.be/dQw4w9WgXcQ", 0, worker)
    with pytest.raises(uploads.OriginalWorker) as refused:
        uploads.claim_job(db, storage, worker, client=None, owner="old", lease_seconds=LEASE)
    assert refused.value.status == 403
    [queued] = lifecycle.list_jobs(db, ["queued"])
    assert queued.attempts == 0  # the queue was not touched
    with db.reading() as session:
        marked = session.scalars(
            select(Worker.client).where(Worker.token_id == worker.token_id)
        ).one()
    assert marked == worker_clients.INCOMPATIBLE


def test_a_new_claim_drops_earlier_attempts_staging(
    db: Database, storage: Storage, worker: Actor, job: JobInfo
) -> None:
    _receive(db, storage, worker, job, GOOD)
    # Failed an hour ago: its backoff is over, so the next claim takes it again.
    an_hour_ago = utcnow() - timedelta(hours=1)
    lifecycle.fail_job(db, worker, job.id, error="try again", retryable=True, now=an_hour_ago)
    again = uploads.claim_job(db, storage, worker, client="tests", owner=None, lease_seconds=LEASE)
    assert again is not None and again.id == job.id and again.attempts == job.attempts + 1
    assert _staged_keys(storage, job) == []


def test_an_empty_queue_claims_nothing(db: Database, storage: Storage, worker: Actor) -> None:
    assert uploads.claim_job(db, storage, worker, client="t", owner=None, lease_seconds=1) is None
