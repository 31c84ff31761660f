"""The ``check_counts`` counters: checks ended per outcome, checks queued, ever.

The migration writes one row per counter; a row gone missing (an emptied table, a restore)
is written again by the first transaction that needs it, so neither the metrics nor the
schedulers' lock depend on it surviving. Callers run inside ``retrying(...,
duplicates=True)``: two transactions writing the same missing row, one is run again.
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from patchwork.db.models import CheckCount

QUEUED = "queued"


def bump(session: Session, name: str, by: int = 1) -> None:
    result = session.execute(
        update(CheckCount).where(CheckCount.outcome == name).values(count=CheckCount.count + by)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        session.add(CheckCount(outcome=name, count=by))
        session.flush()


def lock_scheduling(session: Session) -> None:
    """Take the lock every scheduler of checks takes turns on: the ``queued`` counter's
    row (``FOR UPDATE``; SQLite's write transactions already run one at a time)."""
    row = session.scalars(
        select(CheckCount).where(CheckCount.outcome == QUEUED).with_for_update()
    ).first()
    if row is None:
        session.add(CheckCount(outcome=QUEUED, count=0))
        session.flush()  # the new row's lock, or a duplicate error that runs us again
