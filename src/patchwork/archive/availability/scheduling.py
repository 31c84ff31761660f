"""Due videos become check jobs as workers claim, within an hourly budget: no daemon.

Every claim first runs :func:`schedule_due_checks`. One indexed read asks whether any video
is due (its ``check_from`` an interval ago or more); one counts the check jobs queued in the
last hour and in its last tenth. Only if a video is due and the budget has room does a
transaction lock the ``queued`` counter (every scheduler, on every server, takes turns
there, so the budget is never overspent), lock the least recently checked due videos and
queue their checks. A tenth of the hourly budget at most per six minutes spreads the checks
over the hour instead of spending it in the first minute (decision 0119).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import ColumnElement, Select, func, select, update
from sqlalchemy.orm import Session

from patchwork.archive.availability import counters
from patchwork.archive.availability.check_jobs import check_target, check_url
from patchwork.archive.availability.policy import CheckPolicy
from patchwork.archive.availability.rows import unknown_availability
from patchwork.archive.ingest.targets import Target
from patchwork.archive.queue.queueing import insert_jobs, lock_targets
from patchwork.archive.queue.records import SYSTEM, Actor
from patchwork.archive.queue.states import JobMode
from patchwork.db import Database
from patchwork.db.dialect import claim_lock, read_committed
from patchwork.db.models import Job, Video, VideoAvailability
from patchwork.db.retry import retrying
from patchwork.db.types import utcnow

#: Checks scheduled per claim at most: a claim stays quick however many videos are due.
PER_CLAIM = 20
#: Attempts of a check job (a worker that crashed; an inconclusive answer completes it).
CHECK_ATTEMPTS = 3
HOUR = timedelta(hours=1)
#: Checks asked for with ``--all`` or ``--channel`` sort before every other due video.
FRONT_OF_THE_LINE = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Budget:
    """Checks queued in the last hour and in its last tenth, and the room left now."""

    last_hour: int
    last_tenth: int
    room: int


def budget_of(session: Session, policy: CheckPolicy, now: datetime) -> Budget:
    def queued_since(start: datetime) -> int:
        return (
            session.scalar(
                select(func.count())
                .select_from(Job)
                .where(Job.mode == int(JobMode.CHECK), Job.created_at > start)
            )
            or 0
        )

    hour, tenth = queued_since(now - HOUR), queued_since(now - HOUR / 10)
    room = min(policy.per_hour - hour, math.ceil(policy.per_hour / 10) - tenth)
    return Budget(hour, tenth, max(0, room))


def due_condition(policy: CheckPolicy, now: datetime) -> ColumnElement[bool]:
    return VideoAvailability.check_from <= now - policy.every


def next_due(policy: CheckPolicy, now: datetime, limit: int) -> Select[str]:
    """The ``limit`` least recently checked due videos, by ``ix_video_availability_due``."""
    return (
        select(VideoAvailability.video_id)
        .where(due_condition(policy, now))
        .order_by(VideoAvailability.check_from, VideoAvailability.video_id)
        .limit(limit)
    )


def schedule_due_checks(
    db: Database, policy: CheckPolicy, *, now: datetime | None = None, limit: int = PER_CLAIM
) -> list[int]:
    """Queue checks of the least recently checked due videos, within the budget; their
    new jobs' ids."""
    now = now or utcnow()
    if policy.per_hour <= 0:
        return []
    with db.reading() as session:
        due = session.scalar(
            select(VideoAvailability.video_id).where(due_condition(policy, now)).limit(1)
        )
        if due is None or budget_of(session, policy, now).room <= 0:
            return []

    def run() -> list[int]:
        with db.transaction() as session:
            read_committed(session)
            counters.lock_scheduling(session)
            room = min(limit, budget_of(session, policy, now).room)
            if room <= 0:
                return []
            video_ids = list(session.scalars(claim_lock(session, next_due(policy, now, room))))
            queued = queue_checks(session, video_ids, SYSTEM, now)
            return [job_id for job_id, created in queued.values() if created]

    return retrying(run, duplicates=True)


def queue_checks(
    session: Session, video_ids: Sequence[str], actor: Actor, now: datetime
) -> dict[str, tuple[int, bool]]:
    """Queue a check of each video (their availability rows locked by the caller) unless
    one is queued or running; by video id: its check job and whether it is new. A video
    with no page to check is passed over for an interval."""
    targets = {video_id: check_target(video_id) for video_id in video_ids}
    waiting = lock_targets(session, targets.values())
    # Only the columns a check's URL needs: a video's row carries its whole description.
    urls = {
        video_id: check_url(video_id, source_url, platform)
        for video_id, source_url, platform in session.execute(
            select(Video.video_id, Video.source_url, Video.platform).where(
                Video.video_id.in_(list(targets))
            )
        )
    }
    fresh: list[tuple[str, Target]] = []
    for video_id, key in targets.items():
        url = urls.get(video_id)
        if key not in waiting and url is not None:
            fresh.append((video_id, Target(key, url)))
    job_ids = insert_jobs(
        session, [t for _, t in fresh], JobMode.CHECK, actor, now, max_attempts=CHECK_ATTEMPTS
    )
    for (_, target), job_id in zip(fresh, job_ids, strict=True):
        waiting[target.key] = job_id
    if video_ids:
        # Not due again until an interval from now; the check's answer reschedules it.
        session.execute(
            update(VideoAvailability)
            .where(VideoAvailability.video_id.in_(list(video_ids)))
            .values(check_from=now)
        )
    if job_ids:
        counters.bump(session, counters.QUEUED, len(job_ids))
    created = set(job_ids)
    return {
        video_id: (waiting[key], waiting[key] in created)
        for video_id, key in targets.items()
        if key in waiting
    }


def request_checks(
    db: Database, video_ids: Iterable[str], actor: Actor, *, now: datetime | None = None
) -> dict[str, tuple[int, bool]]:
    """Check these videos now, outside the budget (an archivist asked); by video id: its
    check job and whether it is new. Unknown ids are left out of the answer."""
    now = now or utcnow()
    wanted = sorted(set(video_ids))

    def run() -> dict[str, tuple[int, bool]]:
        with db.transaction() as session:
            found = set(session.scalars(select(Video.video_id).where(Video.video_id.in_(wanted))))
            rows = set(
                session.scalars(
                    select(VideoAvailability.video_id)
                    .where(VideoAvailability.video_id.in_(sorted(found)))
                    .with_for_update()
                )
            )
            for video_id in sorted(found - rows):
                session.add(unknown_availability(video_id, now))
            session.flush()
            return queue_checks(session, sorted(found), actor, now)

    return retrying(run, duplicates=True)


def move_to_front(
    db: Database, *, channel_id: str | None = None, now: datetime | None = None
) -> int:
    """Make every video (of ``channel_id``) due before all others: the budget still paces
    them. How many videos that is."""

    def run() -> int:
        with db.transaction() as session:
            query = update(VideoAvailability).values(check_from=FRONT_OF_THE_LINE)
            if channel_id is not None:
                query = query.where(
                    VideoAvailability.video_id.in_(
                        select(Video.video_id).where(Video.channel_id == channel_id)
                    )
                )
            return int(session.execute(query).rowcount or 0)  # type: ignore[attr-defined]

    return retrying(run)
