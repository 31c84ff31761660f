"""The pages of entries a scanning worker reports: new ones queued, the checkpoint kept.

A page says where in the listing it starts (``position``, counted from 0 over every entry the
worker enumerated). The source's ``scan_position`` is the scan's checkpoint: the part of a page
before it was handled already (a page sent again after a lost answer, or by the attempt that
resumes a killed scan) and is skipped; a page that starts after it would leave a hole and is
refused. Each new entry is recorded once per source (unique ``(source_id, entry_key)``), and an
archive job is queued only for an entry that passes the filters and whose video the archive
neither holds nor has queued, running or failed for good (the scan's ``retry_failed`` says
otherwise), all under the targets' locks, so nothing is ever queued twice.

An incremental scan stops after :data:`STOP_AFTER_KNOWN` entries in a row that the source
already knew (listings are newest first); a full one goes to the end; the first scan stops at
the source's ``first_scan_limit``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, or_, select
from sqlalchemy.orm import Session

from patchwork.archive.ingest.targets import Target, TargetError, normalise_url
from patchwork.archive.queue.queueing import insert_jobs, lock_targets
from patchwork.archive.queue.records import Actor, InvalidRequest, JobConflict, held_job
from patchwork.archive.queue.states import JobMode, JobState
from patchwork.archive.sources.catalog import default_name
from patchwork.archive.sources.listing import filters_of
from patchwork.archive.sources.rules import HELD, Entry, verdict
from patchwork.archive.sources.scan_jobs import source_of_job
from patchwork.db import Database
from patchwork.db.models import Source, SourceEntry, Video
from patchwork.db.retry import retrying
from patchwork.db.types import utcnow

MAX_PAGE = 1000
#: An incremental scan ends after this many entries in a row that its source already knew.
STOP_AFTER_KNOWN = 30


@dataclass(frozen=True)
class PageResult:
    received: int
    skipped: int  # before the checkpoint: handled by an earlier report
    new: int  # not seen by this source before
    queued: int  # archive jobs queued for them
    known: int  # new to the source, but archived, queued or failed already
    filtered: int
    held: int  # upcoming: seen again by the next scan
    invalid: int  # no usable URL
    position: int  # the checkpoint after this page
    stop: bool  # the scan has what it needs: the worker completes it now


def record_entries(
    db: Database,
    actor: Actor,
    job_id: int,
    *,
    position: int,
    entries: Sequence[Entry],
    lease_seconds: int,
    listing_title: str | None = None,
    now: datetime | None = None,
) -> PageResult:
    """Take one page of a scan job's entries (``actor`` holds its lease); see the module."""
    if position < 0:
        raise InvalidRequest("position must not be negative")
    if len(entries) > MAX_PAGE:
        raise InvalidRequest(f"a page holds at most {MAX_PAGE} entries")
    now = now or utcnow()

    def run() -> PageResult:
        with db.transaction() as session:
            job = held_job(session, job_id, actor, now)
            source_id = source_of_job(job.target)
            if job.mode != JobMode.SCAN or source_id is None:
                raise InvalidRequest(f"job {job_id} is not a scan job")
            source = session.scalars(
                select(Source).where(Source.id == source_id).with_for_update()
            ).first()
            if source is None:
                raise JobConflict(f"the source of job {job_id} was removed")
            if source.scan_job_id != job.id:
                # An older scan job queued again by hand (`patchwork jobs retry`): it becomes
                # the source's scan and starts from the top, as its claim said.
                source.scan_job_id, source.scan_position, source.scan_known_run = job.id, 0, 0
            result = _take_page(session, source, position, entries, now)
            job.lease_expires_at = now + timedelta(seconds=lease_seconds)
            job.progress_message = f"listed {result.position} entries, queued {result.queued}"
            job.updated_at = now
            if listing_title and source.name == default_name(source.url):
                source.name = listing_title.strip()[:255] or source.name
            session.flush()
            return result

    return retrying(run)


def _take_page(
    session: Session, source: Source, position: int, entries: Sequence[Entry], now: datetime
) -> PageResult:
    if position > source.scan_position:
        raise JobConflict(
            f"this page starts at entry {position}, but the scan has handled only "
            f"{source.scan_position}: resume from there"
        )
    skipped = min(source.scan_position - position, len(entries))
    fresh = list(entries[skipped:])
    stop = False
    limit = source.first_scan_limit if source.last_scan_at is None else None
    if limit is not None and source.scan_position + len(fresh) >= limit:
        fresh = fresh[: max(limit - source.scan_position, 0)]
        stop = True

    targets: list[Target | None] = []
    for entry in fresh:
        try:
            targets.append(normalise_url(entry.url))
        except TargetError:
            targets.append(None)
    keys = sorted({t.key for t in targets if t is not None})
    seen = _keys_seen(session, source.id, keys)

    filters = filters_of(source)
    run = source.scan_known_run
    handled = 0
    candidates: list[tuple[Entry, Target]] = []
    counts = {"new": 0, "filtered": 0, "held": 0, "invalid": 0}
    recorded: list[dict[str, Any]] = []
    for entry, target in zip(fresh, targets, strict=True):
        handled += 1
        if target is None:
            counts["invalid"] += 1
            continue
        if target.key in seen:
            run += 1
            if not source.scan_full and run >= STOP_AFTER_KNOWN:
                stop = True
                break
            continue
        run = 0
        why = verdict(filters, entry)
        if why == HELD:
            counts["held"] += 1
            continue
        seen.add(target.key)  # the same video twice in one listing is one entry
        counts["new"] += 1
        row = _entry_row(source.id, entry, target, now)
        recorded.append(row)
        if why is not None:
            row.update(status="filtered", reason=why)
            counts["filtered"] += 1
        else:
            candidates.append((entry, target))

    queued, known = _queue_candidates(session, source, candidates, recorded, now)
    if recorded:
        session.execute(insert(SourceEntry), recorded)
    source.scan_position += handled
    source.scan_known_run = run
    source.entries_found += counts["new"]
    source.entries_filtered += counts["filtered"]
    source.entries_known += known
    return PageResult(
        received=len(entries),
        skipped=skipped,
        new=counts["new"],
        queued=queued,
        known=known,
        filtered=counts["filtered"],
        held=counts["held"],
        invalid=counts["invalid"],
        position=source.scan_position,
        stop=stop,
    )


def _keys_seen(session: Session, source_id: int, keys: list[str]) -> set[str]:
    if not keys:
        return set()
    return set(
        session.scalars(
            select(SourceEntry.entry_key).where(
                SourceEntry.source_id == source_id, SourceEntry.entry_key.in_(keys)
            )
        )
    )


def _entry_row(source_id: int, entry: Entry, target: Target, now: datetime) -> dict[str, Any]:
    """A ``source_entries`` row, inserted with the page's others in one statement."""
    return {
        "source_id": source_id,
        "entry_key": target.key,
        "url": target.url,
        "title": entry.title,
        "duration": entry.duration,
        "upload_date": entry.upload_date,
        "live_status": entry.live_status,
        "status": "queued",
        "reason": None,
        "job_id": None,
        "found_at": now,
    }


def _queue_candidates(
    session: Session,
    source: Source,
    candidates: list[tuple[Entry, Target]],
    recorded: list[dict[str, Any]],
    now: datetime,
) -> tuple[int, int]:
    """Queue archive jobs for the entries whose video is new to the archive; (queued, known)."""
    if not candidates:
        return 0, 0
    keys = sorted({t.key for _, t in candidates})
    blocking = [JobState.QUEUED, JobState.LEASED, JobState.DONE]
    if not source.scan_retry_failed:
        blocking.append(JobState.FAILED)
    taken = set(lock_targets(session, keys, blocking))
    ids = sorted({e.video_id or t.video_id or "" for e, t in candidates} - {""})
    archived_ids: set[str] = set()
    conditions = [Video.source_target.in_(keys)]
    if ids:
        conditions.append(Video.video_id.in_(ids))
    for archived_id, source_target in session.execute(
        select(Video.video_id, Video.source_target).where(or_(*conditions))
    ):
        archived_ids.add(archived_id)
        if source_target:
            taken.add(source_target)
    by_key = {row["entry_key"]: row for row in recorded}
    fresh: list[Target] = []
    known = 0
    for entry, target in candidates:
        video_id = entry.video_id or target.video_id
        if target.key in taken or (video_id and video_id in archived_ids):
            by_key[target.key]["status"] = "known"
            known += 1
            continue
        taken.add(target.key)
        fresh.append(target)
    job_ids = insert_jobs(
        session,
        fresh,
        JobMode.ARCHIVE,
        Actor(None, f"source {source.id}"),
        now,
        source_id=source.id,
        options=source.archive_options,
    )
    for job_id, target in zip(job_ids, fresh, strict=True):
        by_key[target.key]["job_id"] = job_id
    return len(fresh), known
