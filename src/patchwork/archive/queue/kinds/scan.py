"""Scan jobs (mode 3): a worker lists a source and reports its entries in pages.

The job's target is ``source:<id>`` and its URL the source's. Scan jobs are queued by the
scheduler (:mod:`patchwork.archive.sources.scheduling`), never by ``POST /api/worker/queue``.
The claim's answer carries ``scan``: where to resume (the checkpoint the last attempt
reached), whether the scan is full, how many entries the first scan takes and the page size.
Pages go to ``POST /api/worker/jobs/<id>/entries`` (:mod:`patchwork.archive.sources.entries`);
completing with ``{}`` records the scan and when the next one is due. The worker uploads
nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import select

from patchwork.archive.availability.policy import DEFAULT_POLICY, CheckPolicy
from patchwork.archive.ingest.targets import Target, TargetError
from patchwork.archive.queue.kinds.base import Completion, CompletionResult
from patchwork.archive.queue.records import Actor, JobInfo, held_job
from patchwork.archive.queue.states import JobMode
from patchwork.archive.queue.transitions import finish_job
from patchwork.archive.sources.scan_jobs import PAGE_SIZE, source_of_job
from patchwork.db import Database
from patchwork.db.models import Source
from patchwork.db.retry import retrying
from patchwork.storage import Storage

NAME: Final = "scan"
MODES: Final[Mapping[JobMode, str]] = {JobMode.SCAN: "scan a source"}
REQUIRED_UPLOADS: Final[frozenset[str]] = frozenset()


def may_upload(file_kind: str) -> bool:
    return False  # a scan reports entries, never files


def target(raw: str) -> Target:
    raise TargetError("scan jobs are queued from sources: use patchwork sources scan ID")


def claim_answer(db: Database, job: JobInfo) -> Mapping[str, object]:
    source_id = source_of_job(job.target)
    with db.reading() as session:
        source = session.get(Source, source_id) if source_id is not None else None
        if source is None:
            return {"scan": {"source_id": source_id, "gone": True}}
        first = source.last_scan_at is None
        return {
            "scan": {
                "source_id": source.id,
                "url": source.url,
                # A scan job the source does not know as its newest (`jobs retry` of an old
                # one) starts from the top: the checkpoint belongs to the newest.
                "resume_from": source.scan_position if source.scan_job_id == job.id else 0,
                "full": source.scan_full,
                "limit": source.first_scan_limit if first else None,
                "page_size": PAGE_SIZE,
            }
        }


def complete(
    db: Database,
    storage: Storage,
    actor: Actor,
    job: JobInfo,
    report: Completion,
    now: datetime,
    policy: CheckPolicy = DEFAULT_POLICY,
) -> CompletionResult:
    source_id = source_of_job(job.target)

    def run() -> JobInfo:
        with db.transaction() as session:
            held = held_job(session, job.id, actor, now)
            source = session.scalars(
                select(Source).where(Source.id == source_id).with_for_update()
            ).first()
            if source is None:
                message = "the source was removed during its scan"
            else:
                source.last_scan_at = now
                source.last_scan_entries = source.scan_position
                source.next_scan_at = now + timedelta(seconds=source.scan_every_seconds)
                source.scan_full = False
                source.scan_retry_failed = False
                source.updated_at = now
                message = f"listed {source.scan_position} entries of {source.url}"
            finish_job(session, held, actor, now, message)
            session.flush()
            return JobInfo.of(held)

    return CompletionResult(retrying(run))
