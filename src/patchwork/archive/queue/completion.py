"""Completing a job: the lease is checked, then the job's kind turns its result into archive
state (:mod:`patchwork.archive.queue.kinds`).

Archive jobs (modes 0 and 1) copy their staged files into the archive layout and commit the
video with the job's ``done`` state in one transaction (:mod:`.kinds.archive`); delete jobs
(mode 2) drop the video's rows and objects, then mark the job done (:mod:`.kinds.delete`).
Completing a done job again is harmless: it reports the job as done and changes nothing.
"""

from __future__ import annotations

from datetime import datetime

from patchwork.archive.queue.kinds import kind_of
from patchwork.archive.queue.kinds.base import ChannelDetails, Completion, CompletionResult
from patchwork.archive.queue.records import Actor, JobConflict, JobInfo, JobNotFound
from patchwork.archive.queue.states import JobState
from patchwork.db import Database
from patchwork.db.models import Job
from patchwork.db.types import utcnow
from patchwork.storage import Storage

# The report and the answer, under the names the worker API builds and reads them by.
__all__ = ["ChannelDetails", "Completion", "CompletionResult", "complete_job"]


def complete_job(
    db: Database,
    storage: Storage,
    actor: Actor,
    job_id: int,
    completion: Completion,
    *,
    now: datetime | None = None,
) -> CompletionResult:
    now = now or utcnow()
    with db.reading() as session:
        job = session.get(Job, job_id)
        if job is None:
            raise JobNotFound(f"no job {job_id}")
        if job.state == JobState.DONE:
            return CompletionResult(JobInfo.of(job), already_done=True)
        info = JobInfo.of(job)
    # Refuse early without locking; the kind checks the lease again, locked, when committing.
    if info.state != JobState.LEASED or info.lease_token_id != actor.token_id:
        raise JobConflict(f"job {job_id} is not leased to you (it is {info.state})")
    if info.lease_expires_at is None or info.lease_expires_at <= now:
        raise JobConflict(f"your lease on job {job_id} has expired")
    return kind_of(info.mode).complete(db, storage, actor, info, completion, now)
