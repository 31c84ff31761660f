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
    """Up to ``count`` distinct random rows of ``model`` (which must have an integer ``id``)."""
    rng = rng or random.Random()
    id_column: InstrumentedAttribute[Any] = model.id  # type: ignore[attr-defined]
    if count <= 0:
        return []
    # A table this small is read whole (at most count + 1 rows): its picks are all of it.
    few = list(session.scalars(select(model).order_by(id_column).limit(count + 1)).all())
    if len(few) <= count:
        rng.shuffle(few)
        return few
    low = few[0].id  # type: ignore[attr-defined]
    high = session.scalar(select(func.max(id_column)))
    picked: dict[int, M] = {}
    attempts = 0
    while len(picked) < count and attempts < count * 8:
        attempts += 1
        start = rng.randint(low, high)
        row = session.scalars(
            select(model).where(id_column >= start).order_by(id_column).limit(1)
        ).first()
        if row is not None:
            picked.setdefault(row.id, row)  # type: ignore[attr-defined]
    return list(picked.values())
