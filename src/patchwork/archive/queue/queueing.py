"""Adding jobs to the queue: the target locks that make it safe, and the rows it writes.

Every path that queues a job (an enqueue, a scan's page, the schedulers of scans and checks,
``jobs retry``) takes its targets' locks first (:func:`lock_targets`), checks that none has an
active job, then inserts (:func:`insert_job`, :func:`insert_jobs`) with a ``queued`` event.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from patchwork.archive.ingest.targets import Target
from patchwork.archive.queue.records import Actor, event_row, record_event
from patchwork.archive.queue.states import ACTIVE_STATES, JobEventName, JobMode, JobState
from patchwork.db.dialect import serialize_on
from patchwork.db.models import Job, JobEvent

DEFAULT_MAX_ATTEMPTS = 3


def insert_job(
    session: Session,
    target: Target,
    mode: JobMode,
    actor: Actor,
    now: datetime,
    *,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
) -> Job:
    """Add a queued job and its ``queued`` event; the caller has checked that ``target`` has
    no active job, under :func:`~patchwork.db.dialect.serialize_on` of its key."""
    job = Job(**_queued_row(target, mode, actor, now, max_attempts, None, None))
    session.add(job)
    session.flush()
    record_event(session, job.id, JobEventName.QUEUED, actor, now, _queued_message(mode, target))
    return job


def lock_targets(
    session: Session, keys: Iterable[str], states: Sequence[str] = ACTIVE_STATES
) -> dict[str, int]:
    """Take the lock of each target (in sorted order, so that concurrent callers take them in
    the same order) and read their jobs in ``states``, locked: target -> job id. Queueing a
    target's job is safe under these locks (:func:`insert_jobs`)."""
    ordered = sorted(set(keys))
    for key in ordered:
        serialize_on(session, f"patchwork-target:{key}")
    if not ordered:
        return {}
    return {
        target: job_id
        for target, job_id in session.execute(
            select(Job.target, Job.id)
            .where(Job.target.in_(ordered), Job.state.in_(states))
            .with_for_update()
        )
    }


def insert_jobs(
    session: Session,
    targets: Sequence[Target],
    mode: JobMode,
    actor: Actor,
    now: datetime,
    *,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    source_id: int | None = None,
    options: str | None = None,
) -> list[int]:
    """:func:`insert_job` for many targets at once, as two multi-row INSERTs: a scan's page
    queues up to 1,000 jobs, and a unit of work per job cost more than the database did.
    The new jobs' ids, in the order of ``targets``."""
    if not targets:
        return []
    rows = [_queued_row(t, mode, actor, now, max_attempts, source_id, options) for t in targets]
    inserted = session.execute(
        insert(Job).returning(Job.id, sort_by_parameter_order=True), rows
    ).scalars()
    ids = list(inserted)
    events = [
        event_row(job_id, JobEventName.QUEUED, actor, now, _queued_message(mode, target))
        for job_id, target in zip(ids, targets, strict=True)
    ]
    session.execute(insert(JobEvent), events)
    return ids


def _queued_message(mode: JobMode, target: Target) -> str:
    return f"mode {mode}: {target.url}"


def _queued_row(
    target: Target,
    mode: JobMode,
    actor: Actor,
    now: datetime,
    max_attempts: int,
    source_id: int | None,
    options: str | None,
) -> dict[str, object]:
    return {
        "url": target.url,
        "target": target.key,
        "mode": int(mode),  # a number: PyMySQL would send an IntEnum quoted ('2')
        "state": JobState.QUEUED.value,
        "attempts": 0,
        "max_attempts": max_attempts,
        "available_at": now,
        "created_by_token_id": actor.token_id,
        "created_at": now,
        "updated_at": now,
        "source_id": source_id,
        "options": options,
    }
