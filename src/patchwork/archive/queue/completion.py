"""Completing a job: the lease is checked, then the job's kind turns its result into archive
state (:mod:`patchwork.archive.queue.kinds`).

Archive jobs (modes 0 and 1) copy their staged files into the archive layout and commit the
video with the job's ``done`` state in one transaction (:mod:`.kinds.archive`); delete jobs
(mode 2) drop the video's rows and objects, then mark the job done (:mod:`.kinds.delete`).
Completing a done job again is harmless: it reports the job as done and changes nothing.
"""

from __future__ import annotations

from datetime import datetime

from patchwork.archive.availability.policy import DEFAULT_POLICY, CheckPolicy
from patchwork.archive.queue.kinds import kind_of
from patchwork.archive.queue.kinds.base import Completion, CompletionResult
from patchwork.archive.queue.records import Actor, JobInfo, JobNotFound, refuse_unless_leased
from patchwork.archive.queue.states import JobState
from patchwork.db import Database
from patchwork.db.models import Job
from patchwork.db.types import utcnow
from patchwork.storage import Storage


def complete_job(
    db: Database,
    storage: Storage,
    actor: Actor,
    job_id: int,
    completion: Completion,
    *,
    now: datetime | None = None,
    policy: CheckPolicy = DEFAULT_POLICY,
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
    refuse_unless_leased(info, actor, now)
    return kind_of(info.mode).complete(db, storage, actor, info, completion, now, policy)
