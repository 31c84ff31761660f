"""Random rows in O(log n): no ``ORDER BY RAND()`` (a sort of the whole table), no ``COUNT``
(a full index scan on InnoDB and PostgreSQL), no ``OFFSET`` (a walk of that many rows).

A random id between the smallest and largest is drawn and the first row at or after it is
taken: one index seek per pick, after two seeks for the bounds. Gaps left by deleted rows make
picks slightly uneven, which is fine for "discover" strips.
"""

from __future__ import annotations

import random
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

M = TypeVar("M")


def pick_random(
    session: Session,
    model: type[M],
    count: int,
    *,
    rng: random.Random | None = None,
) -> list[M]:
    """Up to ``count`` distinct random rows of ``model`` (which must have an integer ``id``).

    Ids are drawn on the primary key alone and the picked rows read in one statement, so a
    pick reads ``count`` rows whatever the table's width."""
    rng = rng or random.Random()
    id_column: InstrumentedAttribute[Any] = model.id  # type: ignore[attr-defined]
    if count <= 0:
        return []
    # A table this small is all picked (it has at most count + 1 rows).
    few = list(session.scalars(select(id_column).order_by(id_column).limit(count + 1)))
    drawn = len(few) > count
    picked = _draw_ids(session, id_column, count, low=few[0], rng=rng) if drawn else few
    rows = {
        row.id: row  # type: ignore[attr-defined]
        for row in session.scalars(select(model).where(id_column.in_(picked)))
    }
    order = list(picked)
    rng.shuffle(order)
    return [rows[row_id] for row_id in order if row_id in rows]


def _draw_ids(
    session: Session,
    id_column: InstrumentedAttribute[Any],
    count: int,
    *,
    low: int,
    rng: random.Random,
) -> list[int]:
    high = session.scalar(select(func.max(id_column)))
    picked: dict[int, None] = {}
    attempts = 0
    while len(picked) < count and attempts < count * 8:
        attempts += 1
        start = rng.randint(low, high)
        found = session.scalar(
            select(id_column).where(id_column >= start).order_by(id_column).limit(1)
        )
        if found is not None:
            picked.setdefault(found, None)
    return list(picked)
