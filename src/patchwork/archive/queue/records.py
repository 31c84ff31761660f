"""Records, errors and lease checks of the archive queue, shared by its services."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, TypeVar

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from patchwork.archive.queue.states import JobEventName, JobMode, JobState
from patchwork.archive.tokens import Principal
from patchwork.db import Database
from patchwork.db.models import Job, JobEvent, Worker
from patchwork.db.types import utcnow
from patchwork.errors import Conflict, InvalidInput, NotFound, PatchworkError

log = logging.getLogger(__name__)
T = TypeVar("T")


class QueueError(PatchworkError):
    """A queue operation that cannot be done; the message is safe to show."""


class InvalidRequest(QueueError, InvalidInput):
    """Bad input (a URL, a mode, a value out of range): 400."""


class JobNotFound(QueueError, NotFound):
    """No job has this id: 404."""


class JobConflict(QueueError, Conflict):
    """The job is not in a state that allows this (e.g. the caller's lease lapsed): 409."""


@dataclass(frozen=True)
class Actor:
    """Who acts on a job, as recorded in its events."""

    token_id: int | None
    name: str

    @classmethod
    def of(cls, principal: Principal) -> Actor:
        return cls(principal.token_id, principal.name)


SYSTEM = Actor(None, "queue")


@dataclass(frozen=True)
class JobInfo:
    id: int
    url: str
    target: str
    mode: JobMode
    state: JobState
    attempts: int
    max_attempts: int
    available_at: datetime
    lease_owner: str | None
    lease_token_id: int | None
    lease_expires_at: datetime | None
    progress_percent: float | None
    progress_message: str | None
    last_error: str | None
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None
    options: str | None = None  # JSON: what the worker is asked for beyond its defaults

    @classmethod
    def of(cls, job: Job) -> JobInfo:
        return cls(
            job.id,
            job.url,
            job.target,
            JobMode(job.mode),
            JobState(job.state),
            job.attempts,
            job.max_attempts,
            job.available_at,
            job.lease_owner,
            job.lease_token_id,
            job.lease_expires_at,
            job.progress_percent,
            job.progress_message,
            job.last_error,
            job.created_at,
            job.updated_at,
            job.finished_at,
            job.options,
        )


@dataclass(frozen=True)
class EventInfo:
    job_id: int
    event: str
    actor_token_id: int | None
    actor_name: str | None
    message: str | None
    created_at: datetime


class JobAction(Protocol):
    def __call__(
        self, db: Database, actor: Actor, job_id: int, *, now: datetime | None = None
    ) -> JobInfo: ...


@dataclass(frozen=True)
class Enqueued:
    job: JobInfo
    created: bool


def record_event(
    session: Session,
    job_id: int,
    event: JobEventName,
    actor: Actor,
    now: datetime,
    message: str = "",
) -> None:
    session.add(JobEvent(**event_row(job_id, event, actor, now, message)))


def event_row(
    job_id: int, event: JobEventName, actor: Actor, now: datetime, message: str = ""
) -> dict[str, Any]:
    """A ``job_events`` row naming the actor's token id and name (never its secret)."""
    return {
        "job_id": job_id,
        "event": event.value,
        "actor_token_id": actor.token_id,
        "actor_name": actor.name[:255],
        "message": message or None,
        "created_at": now,
    }


def locked_job(session: Session, job_id: int) -> Job:
    """The job, locked for this transaction; JobNotFound when there is none."""
    job = session.scalars(select(Job).where(Job.id == job_id).with_for_update()).first()
    if job is None:
        raise JobNotFound(f"no job {job_id}")
    return job


def held_job(session: Session, job_id: int, actor: Actor, now: datetime) -> Job:
    """The job, locked, if ``actor`` holds a live lease on it; else JobNotFound/JobConflict."""
    job = locked_job(session, job_id)
    if job.state != JobState.LEASED or job.lease_token_id != actor.token_id:
        raise JobConflict(f"job {job_id} is not leased to you (it is {job.state})")
    assert job.lease_expires_at is not None
    if job.lease_expires_at <= now:
        raise JobConflict(
            f"your lease on job {job_id} expired at {job.lease_expires_at.isoformat()}"
        )
    return job


def check_lease(db: Database, actor: Actor, job_id: int, *, now: datetime | None = None) -> JobInfo:
    """Read-only version of :func:`held_job` for a quick refusal before a long upload."""
    now = now or utcnow()
    with db.reading() as session:
        job = session.get(Job, job_id)
        if job is None:
            raise JobNotFound(f"no job {job_id}")
        return refuse_unless_leased(JobInfo.of(job), actor, now)


def refuse_unless_leased(job: JobInfo, actor: Actor, now: datetime) -> JobInfo:
    """``job`` if ``actor`` holds a live lease on it (as read, unlocked); else JobConflict."""
    if job.state != JobState.LEASED or job.lease_token_id != actor.token_id:
        raise JobConflict(f"job {job.id} is not leased to you (it is {job.state})")
    if job.lease_expires_at is None or job.lease_expires_at <= now:
        raise JobConflict(f"your lease on job {job.id} has expired")
    return job


def clear_worker_job(session: Session, job_id: int) -> None:
    session.execute(
        update(Worker)
        .where(Worker.current_job_id == job_id)
        .values(current_job_id=None, progress_percent=None)
    )


def mark_worker(session: Session, actor: Actor, owner: str, job_id: int) -> None:
    """Show the job on the claiming worker's status row.

    The original worker's ``/next`` call names no worker, so without an exact name match
    the token's most recently seen worker is taken to be the one asking.
    """
    worker = session.scalars(
        select(Worker)
        .where(Worker.token_id == actor.token_id)
        .order_by((Worker.name == owner).desc(), Worker.last_seen_at.desc(), Worker.id)
        .limit(1)
    ).first()
    if worker is not None:
        worker.current_job_id = job_id
        worker.progress_percent = None
