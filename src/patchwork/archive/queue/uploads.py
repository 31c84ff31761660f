"""A worker's files for a job, as services: claiming makes room for them, uploading stages one.

:func:`receive_upload` streams one upload into staging (:mod:`patchwork.archive.queue.staging`):
the caller's lease is checked before a byte is read, the body goes to a key of its own, and it
is counted and hashed on the way, so a short, cut, oversized, empty or mismatching body never
becomes an object, not even for a moment; only a verified upload retires the older ones of its
kind and extends the lease. :func:`claim_job` leases a job to Patchwork's worker and clears
what earlier attempts left in staging.

No Flask here: the worker API parses a request into these arguments and shapes the answer;
refusals are :class:`~patchwork.errors.PatchworkError` subclasses, whose messages are the
API's texts.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import IO, BinaryIO, cast

from patchwork.archive.availability.policy import DEFAULT_POLICY, CheckPolicy
from patchwork.archive.availability.scheduling import schedule_due_checks
from patchwork.archive.queue import lifecycle, staging, worker_clients
from patchwork.archive.queue.kinds import kind_of
from patchwork.archive.queue.records import Actor, JobInfo, check_lease
from patchwork.archive.sources import scheduling
from patchwork.db import Database
from patchwork.errors import Forbidden, InvalidInput
from patchwork.storage import Storage, StorageError
from patchwork.storage.streams import (
    HashingReader,
    StreamEmpty,
    StreamIncomplete,
    StreamMismatch,
    StreamRejected,
    StreamTooLarge,
)

log = logging.getLogger(__name__)


class UploadRejected(InvalidInput):
    """The body is not what the worker announced (cut, short, empty, another digest): 400.

    Nothing of it was kept.
    """


class OriginalWorker(Forbidden):
    """A claim without ``X-Patchwork-Worker``: the original worker, told how to switch: 403."""


@dataclass(frozen=True)
class StagedUpload:
    """One verified upload, waiting in staging for the job's completion."""

    kind: str
    ext: str
    key: str
    size: int
    sha256: str


def claim_job(
    db: Database,
    storage: Storage,
    actor: Actor,
    *,
    client: str | None,
    owner: str | None,
    lease_seconds: int,
    checks: CheckPolicy = DEFAULT_POLICY,
) -> JobInfo | None:
    """Lease the next job to ``actor`` (``None``: the queue is empty).

    ``client`` is the caller's ``X-Patchwork-Worker``; without it the caller is the original
    worker, which cannot complete a job: its status row is marked and it is refused before
    the queue is touched (no lease, no attempt, nothing to come back). After a claim, earlier
    attempts' staging goes; if storage fails there the claim stands, since leftovers only
    cost space and the next claim tries again.
    """
    if client is None:
        worker_clients.mark_incompatible(db, actor, owner)
        raise OriginalWorker(worker_clients.FIX)
    # Due subscriptions become scan jobs now, and due videos check jobs (within ``checks``'
    # hourly budget), as lapsed leases are reclaimed: no daemon.
    scheduling.schedule_due_scans(db)
    schedule_due_checks(db, checks)
    job = lifecycle.claim_next_job(db, actor, lease_seconds=lease_seconds, owner=owner)
    if job is None:
        return None
    try:
        staging.drop_older_attempts(storage, job.id, job.attempts)
    except StorageError as exc:
        log.warning("job %d: could not drop earlier attempts' staging: %s", job.id, exc)
    return job


def receive_upload(
    db: Database,
    storage: Storage,
    actor: Actor,
    job_id: int,
    kind: str,
    ext: str,
    stream: IO[bytes],
    *,
    expected_size: int | None,
    expected_sha256: str | None,
    content_type: str | None,
    limit: int,
    lease_seconds: int,
) -> StagedUpload:
    """Stage ``stream`` as the job's ``kind`` file (``kind``/``ext`` as
    :func:`staging.upload_name` checked them) for the lease holder ``actor``.

    Raises ``JobNotFound``/``JobConflict`` (no job, not the caller's lease) before reading,
    :class:`~patchwork.archive.queue.staging.UploadTooLarge` past ``limit`` bytes,
    :class:`UploadRejected` for a file the job's kind takes none of or a body that is not the
    announced one (``expected_size``,
    ``expected_sha256``; a video may not be empty), and ``StorageError`` when storage fails.
    """
    job = check_lease(db, actor, job_id)
    job_kind = kind_of(job.mode)
    if not job_kind.may_upload(kind):
        # Before a byte is read: a file its kind would never use is refused, not kept.
        raise UploadRejected(f"A {job_kind.NAME} job takes no {kind} file")
    # A key of its own: until this upload is verified, nothing else staged is touched.
    key = staging.staged_key(job.id, job.attempts, kind, ext)
    # Checked when the body ends, before the backend commits, so a refused body never
    # becomes an object.
    reader = HashingReader(
        stream,
        limit=limit,
        expected_size=expected_size,
        expected_sha256=expected_sha256,
        allow_empty=kind != "video",
        from_client=True,
    )
    try:
        storage.write(key, cast("BinaryIO", reader), content_type=content_type)
    except StreamTooLarge:
        raise staging.UploadTooLarge(limit) from None
    except StreamRejected as exc:
        raise UploadRejected(_rejection(exc)) from None
    except StorageError:
        if reader.rejected is None:
            raise
    if reader.rejected is not None or not reader.verified:
        # A backend that wrapped the reader's refusal, or stopped reading before the end.
        storage.delete(key)
        if isinstance(reader.rejected, StreamTooLarge):
            raise staging.UploadTooLarge(limit)
        raise UploadRejected(_rejection(reader.rejected))
    staging.drop_other_extensions(storage, job.id, job.attempts, kind, key)
    lifecycle.report_progress(db, actor, job_id, lease_seconds=lease_seconds)
    return StagedUpload(kind, ext, key, reader.size, reader.hexdigest())


def _rejection(exc: StreamRejected | None) -> str:
    """The API's text for a refused body (the worker shows it in the job's error)."""
    if isinstance(exc, StreamMismatch):
        return "X-Content-SHA256 does not match the bytes received"
    if isinstance(exc, StreamEmpty):
        return "The video file is empty"
    if isinstance(exc, StreamIncomplete):
        return f"The upload is incomplete: {exc}"
    return "The upload was not received completely"
