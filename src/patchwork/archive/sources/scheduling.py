"""Due sources become scan jobs as workers claim work: no scheduler daemon.

Every claim first runs :func:`schedule_due_scans`: one indexed read finds whether any enabled
source's ``next_scan_at`` has passed, and only then a transaction locks a few due sources
(``FOR UPDATE SKIP LOCKED`` where the database has it, so two servers pass over each other's
rows), moves each one's ``next_scan_at`` a full interval on and queues its scan job under the
scan target's lock. A source whose scan is still queued or running gets no second one; an
archive without workers makes no claims and so schedules nothing until one comes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from patchwork.archive.ingest.targets import Target
from patchwork.archive.queue.queueing import insert_jobs, lock_targets
from patchwork.archive.queue.records import SYSTEM, Actor
from patchwork.archive.queue.states import JobMode
from patchwork.archive.sources.catalog import SourceNotFound, is_due
from patchwork.archive.sources.scan_jobs import scan_target
from patchwork.db import Database
from patchwork.db.dialect import claim_lock, read_committed
from patchwork.db.models import Source
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
        due = session.scalar(select(Source.id).where(is_due(now)).limit(1))
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
                        .where(is_due(now))
                        .order_by(Source.next_scan_at, Source.id)
                        .limit(limit),
                    )
                )
            )
            scans = queue_scans(session, sources, SYSTEM, now)
            return [job_id for job_id, created in scans.values() if created]

    return retrying(run)


def queue_scans(
    session: Session,
    sources: Sequence[Source],
    actor: Actor,
    now: datetime,
    *,
    full: bool = False,
    retry_failed: bool = False,
) -> dict[int, tuple[int, bool]]:
    """Queue each source's next scan (their rows locked by the caller), in one INSERT.

    ``full`` and ``retry_failed`` (asked for by hand) apply to the new scan, or to the one
    already waiting: the server decides page by page where a scan stops and what it queues.
    By source id: its scan job, and whether it is new (``False``: one was waiting already).
    """
    keys = {source.id: scan_target(source.id) for source in sources}
    waiting = lock_targets(session, keys.values())
    fresh: list[Source] = []
    for source in sources:
        source.next_scan_at = now + timedelta(seconds=source.scan_every_seconds)
        if keys[source.id] in waiting:
            source.scan_full = source.scan_full or full
            source.scan_retry_failed = source.scan_retry_failed or retry_failed
        else:
            fresh.append(source)
    job_ids = insert_jobs(
        session,
        [Target(keys[source.id], source.url) for source in fresh],
        JobMode.SCAN,
        actor,
        now,
        max_attempts=SCAN_ATTEMPTS,
    )
    for source, job_id in zip(fresh, job_ids, strict=True):
        source.scan_job_id = job_id
        source.scan_position = 0
        source.scan_known_run = 0
        # The first scan lists everything (up to first_scan_limit); later ones are incremental.
        source.scan_full = full or source.last_scan_at is None
        source.scan_retry_failed = retry_failed
        waiting[keys[source.id]] = job_id
    session.flush()
    created = set(job_ids)
    return {
        source.id: (waiting[keys[source.id]], waiting[keys[source.id]] in created)
        for source in sources
    }


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
    ``retry_failed`` then apply to that scan's pages still to come.
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
            scans = queue_scans(session, sources, actor, now, full=full, retry_failed=retry_failed)
            return [job_id for job_id, _ in scans.values()]

    return retrying(run)
