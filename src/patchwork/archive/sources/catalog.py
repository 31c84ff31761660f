"""Sources as services: add, change, pause, resume, remove, read one, list them in keyset
pages, total them. Their records and counts are built by :mod:`.listing`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, func, select, update
from sqlalchemy.orm import Session

from patchwork.archive.ingest.targets import TargetError
from patchwork.archive.queue import lifecycle
from patchwork.archive.queue.records import SYSTEM, Actor
from patchwork.archive.queue.states import ACTIVE_STATES
from patchwork.archive.sources.listing import SourceInfo, filters_of, info_of, infos_of
from patchwork.archive.sources.rules import (
    ArchiveOptions,
    InvalidRule,
    SourceFilters,
    check_filters,
    check_options,
)
from patchwork.archive.sources.scan_jobs import scan_target
from patchwork.archive.sources.urls import normalise_source_url
from patchwork.db import Database
from patchwork.db.models import Job, Source
from patchwork.db.retry import retrying
from patchwork.db.types import utcnow
from patchwork.errors import Conflict, InvalidInput, NotFound

DEFAULT_INTERVAL = 6 * 3600
MIN_INTERVAL = 60
MAX_INTERVAL = 366 * 24 * 3600
MAX_NAME_LENGTH = 255
MAX_FIRST_SCAN = 1_000_000
MAX_LISTED = 500


class SourceNotFound(NotFound):
    """No source has this id: 404."""


class SourceExists(Conflict):
    """A source with the same normalised URL exists: 409; :attr:`source_id` names it."""

    def __init__(self, message: str, source_id: int = 0) -> None:
        super().__init__(message)
        self.source_id = source_id
        # Answered beside the error: a client adding a list of URLs wants the id.
        self.extra = {"source_id": source_id}


@dataclass(frozen=True)
class SourceSpec:
    """What someone asks a source to be; ``None`` fields keep their value when changing.

    ``filter_changes`` and ``option_changes`` change only the fields they name, merged onto
    the source's current filters and options under its row lock (``PATCH /api/sources``), so
    two changes at once never undo each other.
    """

    url: str | None = None
    name: str | None = None
    scan_every_seconds: int | None = None
    enabled: bool | None = None
    first_scan_limit: int | None = None  # 0: the whole listing
    filters: SourceFilters | None = None
    options: ArchiveOptions | None = None
    filter_changes: Mapping[str, Any] = field(default_factory=dict)
    option_changes: Mapping[str, Any] = field(default_factory=dict)


def default_name(url: str) -> str:
    """``@handle``, the playlist id, or the URL's last path segment (or host)."""
    tail = url.split("://", 1)[-1].rstrip("/")
    if "list=" in tail:
        return tail.rsplit("list=", 1)[-1][:MAX_NAME_LENGTH]
    segments = tail.split("?", 1)[0].split("/")
    meaningful = [s for s in segments[1:] if s not in ("videos", "shorts", "streams", "channel")]
    return (meaningful[-1] if meaningful else segments[0])[:MAX_NAME_LENGTH] or url[:255]


def check_spec(spec: SourceSpec) -> SourceSpec:
    """``spec`` if each value given is acceptable; else :class:`InvalidRule`."""
    if spec.name is not None and not spec.name.strip():
        raise InvalidRule("name must not be empty")
    if spec.name is not None and len(spec.name) > MAX_NAME_LENGTH:
        raise InvalidRule(f"name is too long (at most {MAX_NAME_LENGTH} characters)")
    every = spec.scan_every_seconds
    if every is not None and not MIN_INTERVAL <= every <= MAX_INTERVAL:
        raise InvalidRule(f"the scan interval must be between {MIN_INTERVAL} s and 366 days")
    first = spec.first_scan_limit
    if first is not None and not 0 <= first <= MAX_FIRST_SCAN:
        raise InvalidRule(f"first_scan_limit must be between 0 (all) and {MAX_FIRST_SCAN}")
    if spec.filters is not None:
        check_filters(spec.filters)
    if spec.options is not None:
        check_options(spec.options)
    return spec


def add_source(
    db: Database, spec: SourceSpec, actor: Actor, *, now: datetime | None = None
) -> SourceInfo:
    """Add a source, due for its first scan at once; :class:`SourceExists` if it is known."""
    if spec.url is None:
        raise InvalidInput("url is required")
    check_spec(spec)
    try:
        address = normalise_source_url(spec.url)
    except TargetError as exc:
        raise InvalidRule(str(exc)) from None
    now = now or utcnow()
    filters = spec.filters or SourceFilters()
    options = spec.options or ArchiveOptions()

    def run() -> SourceInfo:
        with db.transaction() as session:
            existing = session.scalar(select(Source.id).where(Source.url_key == address.key))
            if existing is not None:
                raise SourceExists(f"source {existing} already follows {address.url}", existing)
            source = Source(
                url=address.url,
                url_key=address.key,
                name=(spec.name or default_name(address.url)).strip(),
                scan_every_seconds=spec.scan_every_seconds or DEFAULT_INTERVAL,
                enabled=True if spec.enabled is None else spec.enabled,
                first_scan_limit=spec.first_scan_limit or None,
                archive_options=options.as_json(),
                next_scan_at=now,
                scan_full=False,
                scan_retry_failed=False,
                scan_position=0,
                scan_known_run=0,
                entries_found=0,
                entries_filtered=0,
                entries_known=0,
                created_by_token_id=actor.token_id,
                created_at=now,
                updated_at=now,
            )
            _write_filters(source, filters)
            session.add(source)
            session.flush()
            return info_of(session, source)

    # Another caller adding the same URL at once: run again, find theirs, refuse.
    return retrying(run, duplicates=True)


def change_source(
    db: Database, source_id: int, spec: SourceSpec, *, now: datetime | None = None
) -> SourceInfo:
    """Change what ``spec`` gives (the URL is the source's identity and does not change)."""
    if spec.url is not None:
        raise InvalidInput("a source's url cannot change: add a new source")
    check_spec(spec)
    now = now or utcnow()

    def run() -> SourceInfo:
        with db.transaction() as session:
            source = _locked(session, source_id)
            if spec.name is not None:
                source.name = spec.name.strip()
            if spec.scan_every_seconds is not None:
                source.scan_every_seconds = spec.scan_every_seconds
                if source.last_scan_at is not None:
                    # The new interval counts from the last scan, not after the old wait.
                    source.next_scan_at = source.last_scan_at + timedelta(
                        seconds=spec.scan_every_seconds
                    )
            if spec.enabled is not None:
                source.enabled = spec.enabled
            if spec.first_scan_limit is not None:
                source.first_scan_limit = spec.first_scan_limit or None
            if spec.filters is not None or spec.filter_changes:
                filters = replace(spec.filters or filters_of(source), **spec.filter_changes)
                _write_filters(source, check_filters(filters))
            if spec.options is not None or spec.option_changes:
                current = spec.options or ArchiveOptions.from_json(source.archive_options)
                options = replace(current, **spec.option_changes)
                source.archive_options = check_options(options).as_json()
            source.updated_at = now
            session.flush()
            return info_of(session, source)

    return retrying(run)


def set_enabled(db: Database, source_id: int, enabled: bool) -> SourceInfo:
    return change_source(db, source_id, SourceSpec(enabled=enabled))


def remove_source(db: Database, source_id: int, *, now: datetime | None = None) -> None:
    """Remove a source and its entries; its waiting scan is cancelled, the archive jobs it
    queued stay (they are someone's wish to archive a video) and forget the source."""
    now = now or utcnow()

    def run() -> list[int]:
        with db.transaction() as session:
            _locked(session, source_id)
            scans = list(
                session.scalars(
                    select(Job.id).where(
                        Job.target == scan_target(source_id), Job.state.in_(ACTIVE_STATES)
                    )
                )
            )
            session.execute(update(Job).where(Job.source_id == source_id).values(source_id=None))
            session.execute(delete(Source).where(Source.id == source_id))
            return scans

    for job_id in retrying(run):
        lifecycle.cancel_job(db, SYSTEM, job_id, now=now)


def get_source(db: Database, source_id: int) -> SourceInfo:
    with db.reading() as session:
        source = session.get(Source, source_id)
        if source is None:
            raise SourceNotFound(f"no source {source_id}")
        return info_of(session, source)


def list_sources(db: Database, *, after_id: int = 0, limit: int = 100) -> list[SourceInfo]:
    """Sources in id order after ``after_id`` (a keyset page), with their counts."""
    return page_of_sources(db, after_id=after_id, limit=limit).sources


@dataclass(frozen=True)
class SourcePage:
    sources: list[SourceInfo]
    next_after: int | None  # the ``after_id`` of the next page; None: this is the last


def page_of_sources(db: Database, *, after_id: int = 0, limit: int = 100) -> SourcePage:
    """A keyset page of sources with their counts, and whether another follows (one more id
    is read to tell, so a client never fetches an empty page to learn the listing ended)."""
    limit = max(1, min(limit, MAX_LISTED))
    with db.reading() as session:
        query = select(Source).where(Source.id > after_id).order_by(Source.id)
        rows = list(session.scalars(query.limit(limit + 1)))
        shown = rows[:limit]
        more = len(rows) > limit
        return SourcePage(infos_of(session, shown), shown[-1].id if more else None)


def is_due(now: datetime) -> ColumnElement[bool]:
    """A source whose scan should be queued at ``now``: enabled, its next scan time passed
    (``ix_sources_due``)."""
    return and_(Source.enabled.is_(True), Source.next_scan_at <= now)


def source_totals(db: Database, *, now: datetime | None = None) -> dict[str, int]:
    """``{"enabled", "paused", "due"}``: the listing's totals and the metrics' gauges."""
    now = now or utcnow()
    with db.reading() as session:
        rows = session.execute(select(Source.enabled, func.count()).group_by(Source.enabled))
        by = {bool(enabled): int(n) for enabled, n in rows}
        due = session.scalar(select(func.count()).select_from(Source).where(is_due(now)))
    return {"enabled": by.get(True, 0), "paused": by.get(False, 0), "due": int(due or 0)}


def _locked(session: Session, source_id: int) -> Source:
    source = session.scalars(select(Source).where(Source.id == source_id).with_for_update()).first()
    if source is None:
        raise SourceNotFound(f"no source {source_id}")
    return source


def _write_filters(source: Source, filters: SourceFilters) -> None:
    source.title_include = filters.title_include or None
    source.title_exclude = filters.title_exclude or None
    source.min_duration = filters.min_duration
    source.max_duration = filters.max_duration
    source.uploaded_after = filters.uploaded_after
    source.skip_shorts = filters.skip_shorts
    source.skip_live = filters.skip_live
    source.skip_upcoming = filters.skip_upcoming
