"""The archive queue: jobs move queued -> leased -> done | failed | cancelled.

Every transition is one of the table in :mod:`patchwork.archive.queue.transitions`, made by
its ``move_job``, and appends a ``job_events`` row naming the acting token's id and name (never
its secret). A claim is a lease: progress extends it, and a lapsed lease is reclaimed by the
next claim (attempts + 1), so no background daemon is needed. Completing and failing live in
:mod:`patchwork.archive.queue.completion`; they use the lease checks defined here.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select, update

from patchwork.archive.ingest.targets import Target, TargetError
from patchwork.archive.queue.kinds import kind_of
from patchwork.archive.queue.queueing import DEFAULT_MAX_ATTEMPTS, insert_job
from patchwork.archive.queue.records import (
    SYSTEM,
    Actor,
    Enqueued,
    EventInfo,
    InvalidRequest,
    JobConflict,
    JobInfo,
    JobNotFound,
    clear_worker_job,
    held_job,
    locked_job,
    mark_worker,
    record_event,
)
from patchwork.archive.queue.states import ACTIVE_STATES, JobEventName, JobMode, JobState
from patchwork.archive.queue.transitions import check_move, move_job, move_job_if_unchanged
from patchwork.db import Database
from patchwork.db.dialect import claim_lock, read_committed, serialize_on
from patchwork.db.models import Job, JobEvent, Worker
from patchwork.db.retry import retrying
from patchwork.db.types import utcnow

MAX_ERROR_LENGTH = 4000
MAX_OWNER_LENGTH = 255
MAX_RETRY_AFTER = 7 * 24 * 3600  # a worker may ask for a longer wait (bot checks, 429)


def target_for(raw: str, mode: int) -> Target:
    """What a job of ``mode`` for ``raw`` stands for, as its kind reads it."""
    kind = kind_of(mode)
    try:
        return kind.target(raw)
    except TargetError as exc:
        raise InvalidRequest(str(exc)) from None


def enqueue(
    db: Database,
    raw: str,
    mode: int,
    actor: Actor,
    *,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    now: datetime | None = None,
) -> Enqueued:
    """Queue a URL (or, for mode 2, a video id); a target already waiting is not queued twice."""
    target = target_for(raw, mode)
    mode = JobMode(mode)
    now = now or utcnow()

    def run() -> Enqueued:
        with db.transaction() as session:
            serialize_on(session, f"patchwork-target:{target.key}")
            existing = session.scalars(
                select(Job)
                .where(Job.target == target.key, Job.state.in_(ACTIVE_STATES))
                .order_by(Job.id)
                .limit(1)
                .with_for_update()
            ).first()
            if existing is not None:
                return Enqueued(JobInfo.of(existing), created=False)
            job = insert_job(session, target, mode, actor, now, max_attempts=max_attempts)
            return Enqueued(JobInfo.of(job), created=True)

    return retrying(run)


def list_jobs(
    db: Database,
    states: Sequence[str] = ACTIVE_STATES,
    *,
    limit: int = 100,
    newest_first: bool = False,
) -> list[JobInfo]:
    order = (Job.id.desc(),) if newest_first else (Job.id,)
    with db.reading() as session:
        rows = session.scalars(
            select(Job).where(Job.state.in_(list(states))).order_by(*order).limit(limit)
        ).all()
        return [JobInfo.of(j) for j in rows]


def get_job(db: Database, job_id: int) -> JobInfo:
    with db.reading() as session:
        job = session.get(Job, job_id)
        if job is None:
            raise JobNotFound(f"no job {job_id}")
        return JobInfo.of(job)


def job_events(db: Database, job_id: int) -> list[EventInfo]:
    with db.reading() as session:
        rows = session.scalars(
            select(JobEvent).where(JobEvent.job_id == job_id).order_by(JobEvent.id)
        ).all()
        return [
            EventInfo(e.job_id, e.event, e.actor_token_id, e.actor_name, e.message, e.created_at)
            for e in rows
        ]


def claim_next_job(
    db: Database,
    actor: Actor,
    *,
    lease_seconds: int,
    owner: str | None = None,
    now: datetime | None = None,
) -> JobInfo | None:
    """Lease the next job to ``actor``: a lapsed lease first, else the oldest queued job.

    Atomic on every backend: the candidate row is locked (``SKIP LOCKED`` where available,
    see :func:`patchwork.db.dialect.claim_lock`) and the update is guarded by its old state.
    """
    now = now or utcnow()
    owner = (owner or actor.name)[:MAX_OWNER_LENGTH]
    expires = now + timedelta(seconds=lease_seconds)

    def run() -> JobInfo | None:
        with db.transaction() as session:
            read_committed(session)
            while True:
                job = session.scalars(
                    claim_lock(
                        session,
                        select(Job)
                        .where(Job.state == JobState.LEASED, Job.lease_expires_at <= now)
                        .order_by(Job.lease_expires_at, Job.id)
                        .limit(1),
                    )
                ).first()
                if job is not None:
                    lapsed_owner = job.lease_owner
                    record_event(
                        session,
                        job.id,
                        JobEventName.LEASE_EXPIRED,
                        SYSTEM,
                        now,
                        f"attempt {job.attempts} by {lapsed_owner} lapsed",
                    )
                    clear_worker_job(session, job.id)
                    if job.attempts >= job.max_attempts:
                        move_job(
                            session,
                            job,
                            JobEventName.FAILED,
                            SYSTEM,
                            now,
                            f"lease expired on all {job.attempts} attempts",
                        )
                        continue
                else:
                    job = session.scalars(
                        claim_lock(
                            session,
                            select(Job)
                            .where(Job.state == JobState.QUEUED, Job.available_at <= now)
                            .order_by(Job.available_at, Job.id)
                            .limit(1),
                        )
                    ).first()
                    if job is None:
                        return None
                attempt = job.attempts + 1
                taken = move_job_if_unchanged(
                    session,
                    job,
                    JobEventName.CLAIMED,
                    actor,
                    now,
                    f"attempt {attempt} by {owner}, lease until {expires.isoformat()}",
                    {
                        "attempts": attempt,
                        "lease_token_id": actor.token_id,
                        "lease_owner": owner,
                        "lease_expires_at": expires,
                        "progress_percent": None,
                        "progress_message": None,
                    },
                )
                if not taken:
                    continue  # someone else's; only possible without row locks
                mark_worker(session, actor, owner, job.id)
                return JobInfo.of(job)

    return retrying(run)


def report_progress(
    db: Database,
    actor: Actor,
    job_id: int,
    *,
    lease_seconds: int,
    percent: float | None = None,
    message: str | None = None,
    now: datetime | None = None,
) -> JobInfo:
    """Record progress (when given) and extend the lease by ``lease_seconds`` from now."""
    now = now or utcnow()
    if percent is not None and not 0 <= percent <= 100:
        raise InvalidRequest("percent must be between 0 and 100")

    def run() -> JobInfo:
        with db.transaction() as session:
            job = held_job(session, job_id, actor, now)
            job.lease_expires_at = now + timedelta(seconds=lease_seconds)
            job.updated_at = now
            if message is not None:
                job.progress_message = message[:MAX_ERROR_LENGTH]
            if percent is not None:
                job.progress_percent = percent
                session.execute(
                    update(Worker)
                    .where(Worker.current_job_id == job.id, Worker.token_id == actor.token_id)
                    .values(progress_percent=percent)
                )
            session.flush()
            return JobInfo.of(job)

    return retrying(run)


def backoff(attempts: int) -> timedelta:
    """Wait before retrying a failed attempt: 30 s, 60 s, 120 s … at most an hour."""
    return timedelta(seconds=min(3600, 30 * 2 ** max(0, attempts - 1)))


def fail_job(
    db: Database,
    actor: Actor,
    job_id: int,
    *,
    error: str,
    retryable: bool = True,
    retry_after: int = 0,
    now: datetime | None = None,
) -> JobInfo:
    """The lease holder gives up: back to the queue after a backoff, or failed for good.

    ``retry_after`` (seconds) lengthens the backoff, e.g. after a site's bot check.
    """
    now = now or utcnow()
    error = (error or "unspecified error")[:MAX_ERROR_LENGTH]

    def run() -> JobInfo:
        with db.transaction() as session:
            job = held_job(session, job_id, actor, now)
            job.last_error = error
            clear_worker_job(session, job.id)
            if retryable and job.attempts < job.max_attempts:
                delay = max(
                    backoff(job.attempts),
                    timedelta(seconds=min(max(retry_after, 0), MAX_RETRY_AFTER)),
                )
                move_job(
                    session,
                    job,
                    JobEventName.RETRY,
                    actor,
                    now,
                    f"attempt {job.attempts} failed, "
                    f"retry in {int(delay.total_seconds())} s: {error}",
                )
                job.available_at = now + delay
            else:
                move_job(session, job, JobEventName.FAILED, actor, now, error)
            session.flush()
            return JobInfo.of(job)

    return retrying(run)


def cancel_job(db: Database, actor: Actor, job_id: int, *, now: datetime | None = None) -> JobInfo:
    """Cancel a queued or leased job; the lease holder's next report gets a conflict."""
    now = now or utcnow()

    def run() -> JobInfo:
        with db.transaction() as session:
            job = locked_job(session, job_id)
            if job.state == JobState.CANCELLED:
                return JobInfo.of(job)
            check_move(job, JobEventName.CANCELLED)  # refused before anything is written
            clear_worker_job(session, job.id)
            move_job(session, job, JobEventName.CANCELLED, actor, now)
            session.flush()
            return JobInfo.of(job)

    return retrying(run)


def retry_job(db: Database, actor: Actor, job_id: int, *, now: datetime | None = None) -> JobInfo:
    """Put a failed or cancelled job back in the queue with a fresh set of attempts."""
    now = now or utcnow()

    def run() -> JobInfo:
        with db.transaction() as session:
            job = locked_job(session, job_id)
            check_move(job, JobEventName.REQUEUED)  # refused before the target's lock is taken
            serialize_on(session, f"patchwork-target:{job.target}")
            waiting = session.scalar(
                select(Job.id).where(
                    Job.target == job.target, Job.state.in_(ACTIVE_STATES), Job.id != job.id
                )
            )
            if waiting is not None:
                raise JobConflict(f"job {waiting} for the same target is already queued")
            move_job(session, job, JobEventName.REQUEUED, actor, now)
            job.attempts = 0
            job.available_at = now
            session.flush()
            return JobInfo.of(job)

    return retrying(run)
