"""Worker heartbeats: one row per (token, worker name), written in one transaction.

The original wrote three separate UPDATEs (or an INSERT that failed on its own schema); here
the row is updated, or inserted when missing, atomically. A heartbeat also extends the
leases the worker holds, so a long download does not lose its job between progress reports.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update

from patchwork.archive.queue.records import Actor
from patchwork.archive.queue.states import JobState
from patchwork.db import Database
from patchwork.db.dialect import insert_ignoring_duplicates
from patchwork.db.models import Job, Worker
from patchwork.db.retry import retrying
from patchwork.db.types import utcnow

MAX_NAME_LENGTH = 255
MAX_STATUS_LENGTH = 2000


def record_heartbeat(
    db: Database,
    actor: Actor,
    *,
    name: str | None,
    status: str | None,
    lease_seconds: int | None = None,
    client: str | None = None,
    now: datetime | None = None,
) -> None:
    """Upsert the worker's status row and extend its live leases by ``lease_seconds``.

    ``client`` is the ``X-Patchwork-Worker`` a Patchwork worker sends: recorded (clearing an
    incompatible mark, :mod:`worker_clients`); the original's heartbeats, without one, leave
    the column as it is."""
    now = now or utcnow()
    name = (name or "").strip()[:MAX_NAME_LENGTH] or actor.name
    status = status[:MAX_STATUS_LENGTH] if status is not None else None

    def run() -> None:
        with db.transaction() as session:
            where = (Worker.token_id == actor.token_id, Worker.name == name)
            values: dict[str, Any] = {"status": status, "last_seen_at": now}
            if client is not None:
                values["client"] = client
            changed = session.execute(update(Worker).where(*where).values(**values))
            if changed.rowcount == 0:  # type: ignore[attr-defined]
                row = {"name": name, "token_id": actor.token_id, **values}
                insert_ignoring_duplicates(session, Worker.__table__, [row])  # type: ignore[arg-type]
                # A racing first heartbeat may have inserted it: make ours the last word.
                session.execute(update(Worker).where(*where).values(**values))
            if lease_seconds is not None:
                session.execute(
                    update(Job)
                    .where(
                        Job.state == JobState.LEASED,
                        Job.lease_token_id == actor.token_id,
                        Job.lease_owner == name,
                        Job.lease_expires_at > now,
                    )
                    .values(lease_expires_at=now + timedelta(seconds=lease_seconds))
                )

    retrying(run)
