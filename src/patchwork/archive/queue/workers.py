"""What the archive knows about its worker machines."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from patchwork.archive.catalog.records import WorkerStatus
from patchwork.archive.queue.worker_clients import INCOMPATIBLE, REASON
from patchwork.db import Database
from patchwork.db.models import Worker
from patchwork.db.types import utcnow

# A worker that missed this many heartbeats in a row is shown as offline.
MISSED_HEARTBEATS_OFFLINE = 3


def worker_statuses(
    db: Database, *, heartbeat_seconds: int, now: datetime | None = None
) -> list[WorkerStatus]:
    now = now or utcnow()
    cutoff = now - timedelta(seconds=heartbeat_seconds * MISSED_HEARTBEATS_OFFLINE)
    with db.reading() as session:
        rows = session.scalars(select(Worker).order_by(Worker.last_seen_at.desc(), Worker.id)).all()
        return [
            WorkerStatus(
                name=w.name,
                status=w.status,
                last_seen_at=w.last_seen_at,
                online=w.last_seen_at >= cutoff,
                current_job_id=w.current_job_id,
                progress_percent=w.progress_percent,
                client=w.client if w.client != INCOMPATIBLE else None,
                compatible=w.client != INCOMPATIBLE,
                incompatible_reason=REASON if w.client == INCOMPATIBLE else None,
            )
            for w in rows
        ]
