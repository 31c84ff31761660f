"""The import, table by table, in an order that satisfies the target's foreign keys."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from datetime import tzinfo

from sqlalchemy import select

from patchwork.archive.search.indexing import reindex
from patchwork.db import Database
from patchwork.db.models import Video
from patchwork.legacy import copy, copy_extras, copy_queue
from patchwork.legacy.report import ImportReport
from patchwork.legacy.source import LegacySource
from patchwork.legacy.tables import TABLES
from patchwork.legacy.writer import Progress, Writer

#: ``(label, total rows) -> context manager yielding a tick(n) callable``: a progress bar.
ProgressFactory = Callable[[str, int], AbstractContextManager[Progress]]


def _silent(_label: str, _total: int) -> AbstractContextManager[Progress]:
    return nullcontext(lambda _n: None)


def import_legacy(
    source: LegacySource,
    db: Database,
    *,
    tz: tzinfo,
    dry_run: bool = False,
    progress: ProgressFactory = _silent,
) -> ImportReport:
    """Copy everything; the source is only read. Safe to run again (it then writes nothing)."""
    source.check()
    report = ImportReport(dry_run=dry_run)
    for table in [t for t in TABLES if source.has(t)]:
        report.table(table)  # every table appears in the report, in this order
    writer = Writer(db, dry_run=dry_run)
    with db.reading() as session:
        empty = session.scalar(select(Video.id).limit(1)) is None
    if empty:
        # First import into an empty archive: build the search index once at the end.
        writer.info[copy.DEFER_SEARCH_INDEX] = True
    try:
        with progress(
            "tokens", _count(source, "archive_queue_auth", "archive_worker_auth")
        ) as tick:
            tokens = copy_queue.copy_tokens(source, writer, report, tick)
        steps: list[tuple[str, str, Callable[[Progress], None]]] = [
            ("songs", "videos", lambda t: copy.copy_songs(source, writer, report, t)),
            ("channels", "channels", lambda t: copy.copy_channels(source, writer, report, t)),
            ("files", "files", lambda t: copy_extras.copy_files(source, writer, report, t)),
            ("views", "views", lambda t: copy_extras.copy_views(source, writer, report, t)),
            ("kv", "kv", lambda t: copy_extras.copy_kv(source, writer, report, t)),
            ("archive_queue", "jobs", lambda t: copy_queue.copy_queue(source, writer, report, t)),
            (
                "archive_log",
                "job events",
                lambda t: copy_queue.copy_log(source, writer, report, t, tokens, tz),
            ),
            (
                "worker_status",
                "workers",
                lambda t: copy_queue.copy_workers(source, writer, report, t, tokens, tz),
            ),
        ]
        for table, label, step in steps:
            if not source.has(table):
                continue
            with progress(f"{table} → {label}", source.count(table)) as tick:
                step(tick)
        if empty and not dry_run:
            with progress("search index", source.count("songs")) as tick, db.transaction() as s:
                reindex(s.connection(), tick)
    finally:
        writer.close()
    return ImportReport(
        tables={k: v for k, v in report.tables.items() if k in source.tables},
        dry_run=dry_run,
    )


def _count(source: LegacySource, *tables: str) -> int:
    return sum(source.count(t) for t in tables)
