"""The one table of a job's moves, and the one place that writes a job's state.

Every change of ``jobs.state`` goes through :func:`move_job` (or, for a claim racing other
claims, :func:`move_job_if_unchanged`): it refuses a move the table does not list with
:class:`JobConflict`, keeps the columns that belong to a state in step with it, and appends
the move's ``job_events`` row. ``tests/archive/queue/test_job_states.py`` checks that no other
module writes the state, so the table cannot be bypassed.

The invariants kept here: only a ``leased`` job holds a lease (``lease_token_id``,
``lease_expires_at``; ``lease_owner`` stays, to show who had it); a job has ``finished_at``
exactly when it is in a final state; a ``failed`` job's ``last_error`` says why.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType

from sqlalchemy import update
from sqlalchemy.orm import Session

from patchwork.archive.queue.records import Actor, JobConflict, clear_worker_job, record_event
from patchwork.archive.queue.states import FINAL_STATES, JobEventName, JobState
from patchwork.db.models import Job


@dataclass(frozen=True)
class Transition:
    """A move: from any of ``sources`` to ``target``, recorded as its event's name."""

    sources: frozenset[JobState]
    target: JobState
    #: The conflict's message when the job is elsewhere: ``{job_id}`` and ``{state}``.
    refusal: str


def _move(sources: set[JobState], target: JobState, refusal: str) -> Transition:
    return Transition(frozenset(sources), target, refusal)


_NOT_LEASED = "job {job_id} is {state}, not leased"

#: Every move a job can make, by the event that records it. ``claimed`` from ``leased`` is
#: the takeover of a lapsed lease (the claim's query picks only lapsed ones, decision 0100);
#: ``retry`` is a failed attempt with attempts left, ``requeued`` is `patchwork jobs retry`.
TRANSITIONS: Mapping[JobEventName, Transition] = MappingProxyType(
    {
        JobEventName.CLAIMED: _move(
            {JobState.QUEUED, JobState.LEASED},
            JobState.LEASED,
            "job {job_id} is {state} and cannot be claimed",
        ),
        JobEventName.COMPLETED: _move({JobState.LEASED}, JobState.DONE, _NOT_LEASED),
        JobEventName.RETRY: _move({JobState.LEASED}, JobState.QUEUED, _NOT_LEASED),
        JobEventName.FAILED: _move({JobState.LEASED}, JobState.FAILED, _NOT_LEASED),
        JobEventName.CANCELLED: _move(
            {JobState.QUEUED, JobState.LEASED},
            JobState.CANCELLED,
            "job {job_id} is {state} and cannot be cancelled",
        ),
        JobEventName.REQUEUED: _move(
            {JobState.FAILED, JobState.CANCELLED},
            JobState.QUEUED,
            "job {job_id} is {state}; only failed or cancelled jobs can be retried",
        ),
    }
)


def check_move(job: Job, event: JobEventName) -> Transition:
    """The move ``event`` names, if ``job`` may make it now; else :class:`JobConflict`.

    Callers that must refuse before they do anything else (``retry_job`` before it takes the
    target's lock) call this first; :func:`move_job` checks again, so skipping it is safe.
    """
    transition = TRANSITIONS.get(event)
    if transition is None:  # a programming error, not a client's: an event that moves nothing
        raise ValueError(f"{event!r} is not a move of a job's state")
    if job.state not in transition.sources:
        raise JobConflict(transition.refusal.format(job_id=job.id, state=job.state))
    return transition


def move_job(
    session: Session,
    job: Job,
    event: JobEventName,
    actor: Actor,
    now: datetime,
    message: str = "",
) -> None:
    """Move a job (locked by the caller) as ``event`` says, and record the event.

    The columns a move sets beyond the state's own (``attempts``, ``available_at``) are the
    caller's; those the invariants above tie to the state are set here.
    """
    transition = check_move(job, event)
    if transition.target != JobState.LEASED:
        job.lease_token_id = None
        job.lease_expires_at = None
    job.state = transition.target
    job.finished_at = now if transition.target in FINAL_STATES else None
    if transition.target == JobState.FAILED:
        job.last_error = message or job.last_error
    job.updated_at = now
    record_event(session, job.id, event, actor, now, message)


def move_job_if_unchanged(
    session: Session,
    job: Job,
    event: JobEventName,
    actor: Actor,
    now: datetime,
    message: str,
    values: Mapping[str, object],
) -> bool:
    """:func:`move_job` as a compare-and-set: only if the row still has the state and the
    attempts ``job`` was read with. False (nothing written) when another transaction moved
    it first, which only a backend without row locks allows (SQLite, decision 0101).

    ``values`` are the other columns the move sets; ``job`` is refreshed when it moved.
    """
    transition = check_move(job, event)
    taken = session.execute(
        update(Job)
        .where(Job.id == job.id, Job.state == job.state, Job.attempts == job.attempts)
        .values(state=transition.target, updated_at=now, **values)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        return False
    session.refresh(job)
    record_event(session, job.id, event, actor, now, message)
    return True


def finish_job(session: Session, job: Job, actor: Actor, now: datetime, message: str = "") -> None:
    """Mark a held job done (used by the job kinds inside their completing transaction)."""
    clear_worker_job(session, job.id)
    move_job(session, job, JobEventName.COMPLETED, actor, now, message)
