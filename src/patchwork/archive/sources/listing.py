"""Sources as they are read: their records (:class:`SourceInfo` with its counts), built for a
page of sources in one pass, and the JSON shape the API and the CLI's ``--json`` show.

What a source's scans found is counted on its row as pages arrive (found, filtered, already
known); what became of the archive jobs it queued is counted from ``jobs`` by
``(source_id, state)``, an index range per source, so a listing never reads the entries.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from patchwork.archive.queue.states import ACTIVE_STATES, JobState
from patchwork.archive.sources.rules import ArchiveOptions, SourceFilters
from patchwork.db.models import Job, Source


@dataclass(frozen=True)
class SourceCounts:
    found: int = 0  # entries its scans reported, each once
    filtered: int = 0  # dropped by its filters
    known: int = 0  # archived, queued or failed already when found
    queued: int = 0  # its archive jobs waiting or running now
    archived: int = 0  # its archive jobs done
    failed: int = 0  # its archive jobs failed for good
    cancelled: int = 0


@dataclass(frozen=True)
class SourceInfo:
    id: int
    url: str
    url_key: str
    name: str
    scan_every_seconds: int
    enabled: bool
    first_scan_limit: int | None
    filters: SourceFilters
    options: ArchiveOptions
    next_scan_at: datetime
    last_scan_at: datetime | None
    last_scan_entries: int | None
    scan_job_id: int | None
    scan_state: str | None  # the newest scan job's state
    scan_position: int
    last_error: str | None
    created_at: datetime
    counts: SourceCounts = field(default_factory=SourceCounts)

    @property
    def scanning(self) -> bool:
        return self.scan_state in ACTIVE_STATES


def filters_of(source: Source) -> SourceFilters:
    return SourceFilters(
        title_include=source.title_include,
        title_exclude=source.title_exclude,
        min_duration=source.min_duration,
        max_duration=source.max_duration,
        uploaded_after=source.uploaded_after,
        skip_shorts=source.skip_shorts,
        skip_live=source.skip_live,
        skip_upcoming=source.skip_upcoming,
    )


def info_of(session: Session, source: Source) -> SourceInfo:
    return infos_of(session, [source])[0]


def infos_of(session: Session, sources: Sequence[Source]) -> list[SourceInfo]:
    if not sources:
        return []
    ids = [s.id for s in sources]
    states: dict[int, dict[str, int]] = {i: {} for i in ids}
    for source_id, state, n in session.execute(
        select(Job.source_id, Job.state, func.count())
        .where(Job.source_id.in_(ids))
        .group_by(Job.source_id, Job.state)
    ):
        states[int(source_id or 0)][str(state)] = int(n)
    scan_ids = [s.scan_job_id for s in sources if s.scan_job_id is not None]
    scans: dict[int, tuple[str, str | None]] = {}
    if scan_ids:
        for job_id, state, error in session.execute(
            select(Job.id, Job.state, Job.last_error).where(Job.id.in_(scan_ids))
        ):
            scans[int(job_id)] = (str(state), error)
    found: list[SourceInfo] = []
    for source in sources:
        by_state = states[source.id]
        scan_state, scan_error = scans.get(source.scan_job_id or -1, (None, None))
        counts = SourceCounts(
            found=source.entries_found,
            filtered=source.entries_filtered,
            known=source.entries_known,
            queued=by_state.get(JobState.QUEUED, 0) + by_state.get(JobState.LEASED, 0),
            archived=by_state.get(JobState.DONE, 0),
            failed=by_state.get(JobState.FAILED, 0),
            cancelled=by_state.get(JobState.CANCELLED, 0),
        )
        found.append(
            SourceInfo(
                id=source.id,
                url=source.url,
                url_key=source.url_key,
                name=source.name,
                scan_every_seconds=source.scan_every_seconds,
                enabled=source.enabled,
                first_scan_limit=source.first_scan_limit,
                filters=filters_of(source),
                options=ArchiveOptions.from_json(source.archive_options),
                next_scan_at=source.next_scan_at,
                last_scan_at=source.last_scan_at,
                last_scan_entries=source.last_scan_entries,
                scan_job_id=source.scan_job_id,
                scan_state=scan_state,
                scan_position=source.scan_position,
                # An error of the newest scan that did not end well (failed, or retrying).
                last_error=scan_error if scan_state != JobState.DONE else None,
                created_at=source.created_at,
                counts=counts,
            )
        )
    return found


def describe(info: SourceInfo) -> dict[str, Any]:
    """A source as the API and the CLI's ``--json`` show it."""

    def iso(value: datetime | None) -> str | None:
        return value.isoformat() if value is not None else None

    return {
        "id": info.id,
        "url": info.url,
        "name": info.name,
        "scan_every_seconds": info.scan_every_seconds,
        "enabled": info.enabled,
        "first_scan_limit": info.first_scan_limit,
        "filters": info.filters.as_dict(),
        "options": {k: v for k, v in info.options.as_dict().items() if v is not None},
        "next_scan_at": iso(info.next_scan_at),
        "last_scan_at": iso(info.last_scan_at),
        "last_scan_entries": info.last_scan_entries,
        "scanning": info.scanning,
        "scan_job_id": info.scan_job_id,
        "scan_state": info.scan_state,
        "scan_position": info.scan_position,
        "last_error": info.last_error,
        "created_at": iso(info.created_at),
        "counts": {
            "found": info.counts.found,
            "filtered": info.counts.filtered,
            "known": info.counts.known,
            "queued": info.counts.queued,
            "archived": info.counts.archived,
            "failed": info.counts.failed,
            "cancelled": info.counts.cancelled,
        },
    }
