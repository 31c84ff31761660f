"""Due sources become scan jobs as workers claim work: no scheduler daemon.

Every claim first runs :func:`schedule_due_scans`: one indexed read finds whether any enabled
source's ``next_scan_at`` has passed, and only then a transaction locks a few due sources
(``FOR UPDATE SKIP LOCKED`` where the database has it, so two servers pass over each other's
rows), moves each one's ``next_scan_at`` a full interval on and queues its scan job under the
scan target's lock. A source whose scan is still queued or running gets no second one; an
archive without workers makes no claims and so schedules nothing until one comes.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from patchwork.archive.ingest.targets import Target
from patchwork.archive.queue.lifecycle import insert_job
from patchwork.archive.queue.records import SYSTEM, Actor
from patchwork.archive.queue.states import ACTIVE_STATES, JobMode
from patchwork.archive.sources.catalog import SourceNotFound
from patchwork.archive.sources.scan_jobs import scan_target
from patchwork.db import Database
from patchwork.db.dialect import claim_lock, read_committed, serialize_on
from patchwork.db.models import Job, Source
from patchwork.db.retry import retrying
from patchwork.db.types import utcnow

#: Sources scheduled per claim at most: a claim stays quick when thousands fall due at once
#: (the rest are scheduled by the claims that follow).
PER_CLAIM = 20
#: Attempts of a scan job: each resumes from the checkpoint the last one reached.
SCAN_ATTEMPTS = 5


def schedule_due_scans(
    db: Database, *, now: datetime | None = None, limit: int = PER_CLAIM
) -> list[int]:
    """Queue a scan job for each due source (at most ``limit``); the new jobs' ids."""
    now = now or utcnow()
    with db.reading() as session:
        due = session.scalar(
            select(Source.id).where(Source.enabled.is_(True), Source.next_scan_at <= now).limit(1)
        )
    if due is None:
        return []

    def run() -> list[int]:
        with db.transaction() as session:
            read_committed(session)
            sources = list(
                session.scalars(
                    claim_lock(
                        session,
                        select(Source)
                        .where(Source.enabled.is_(True), Source.next_scan_at <= now)
                        .order_by(Source.next_scan_at, Source.id)
                        .limit(limit),
                    )
                )
            )
            created = []
            for source in sources:
                job = queue_scan(session, source, SYSTEM, now)
                if job is not None:
                    created.append(job)
            return created

    return retrying(run)


def queue_scan(session: Session, source: Source, actor: Actor, now: datetime) -> int | None:
    """Queue ``source``'s next scan (its row locked by the caller); ``None`` if one waits."""
    source.next_scan_at = now + timedelta(seconds=source.scan_every_seconds)
    key = scan_target(source.id)
    serialize_on(session, f"patchwork-target:{key}")
    waiting = session.scalar(
        select(Job.id)
        .where(Job.target == key, Job.state.in_(ACTIVE_STATES))
        .limit(1)
        .with_for_update()
    )
    if waiting is not None:
        # What was asked for applies to the waiting scan: the server decides, page by page,
        # where a scan stops and what it queues.
        source.scan_full = source.scan_full or source.full_scan_requested
        source.scan_retry_failed = source.scan_retry_failed or source.retry_failed_requested
        source.full_scan_requested = False
        source.retry_failed_requested = False
        return None
    job = insert_job(
        session,
        Target(key, source.url),
        JobMode.SCAN,
        actor,
        now,
        max_attempts=SCAN_ATTEMPTS,
    )
    source.scan_job_id = job.id
    source.scan_position = 0
    source.scan_known_run = 0
    # The first scan lists everything (up to first_scan_limit); later ones are incremental.
    source.scan_full = source.full_scan_requested or source.last_scan_at is None
    source.scan_retry_failed = source.retry_failed_requested
    source.full_scan_requested = False
    source.retry_failed_requested = False
    session.flush()
    return job.id


def request_scan(
    db: Database,
    source_id: int | None,
    actor: Actor,
    *,
    full: bool = False,
    retry_failed: bool = False,
    now: datetime | None = None,
) -> list[int]:
    """Scan one source (or, with ``None``, every enabled one) now; the scan jobs' ids.

    A source whose scan is already queued or running is not scanned twice: ``full`` and
    ``retry_failed`` then apply to the next scan.
    """
    now = now or utcnow()

    def run() -> list[int]:
        with db.transaction() as session:
            query = select(Source).order_by(Source.id).with_for_update()
            if source_id is not None:
                query = query.where(Source.id == source_id)
            else:
                query = query.where(Source.enabled.is_(True))
            sources = list(session.scalars(query))
            if source_id is not None and not sources:
                raise SourceNotFound(f"no source {source_id}")
            jobs: list[int] = []
            for source in sources:
                source.full_scan_requested = source.full_scan_requested or full
                source.retry_failed_requested = source.retry_failed_requested or retry_failed
                job = queue_scan(session, source, actor, now)
                jobs.append(job if job is not None else source.scan_job_id or 0)
            return [j for j in jobs if j]

    return retrying(run)


def due_count(db: Database, *, now: datetime | None = None) -> int:
    """Enabled sources whose next scan time has passed (the ``sources due`` metric)."""
    now = now or utcnow()
    with db.reading() as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(Source)
                .where(Source.enabled.is_(True), Source.next_scan_at <= now)
            )
            or 0
        )
