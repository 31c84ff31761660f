"""How many jobs are in each state: the one count behind the status page, the queue portal
and the ``patchwork_queue_jobs`` gauge."""

from __future__ import annotations

from sqlalchemy import func, select

from patchwork.archive.queue.states import JobState
from patchwork.db import Database
from patchwork.db.models import Job


def jobs_per_state(db: Database) -> dict[str, int]:
    """Jobs in each state (0 for a state without jobs), in one ``GROUP BY`` query."""
    with db.reading() as session:
        rows = session.execute(select(Job.state, func.count()).group_by(Job.state)).all()
    counted = {str(state): int(count) for state, count in rows}
    return {state: counted.get(state, 0) for state in JobState}
