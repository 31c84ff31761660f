"""How many videos are in each availability state, by reason: ``availability_counts``.

Kept in the transaction of every change, so the lost page's totals and the metrics' gauge
read a few rows, never a ``GROUP BY`` over every video's availability. The ORM writes (new
videos, every observation, ORM deletes) are followed by a session flush hook registered with
the archive package, like the search index (decision 0301); bulk writes call
:func:`count_rows` (the legacy copy's inserts), :func:`forget_video` (the delete job) or,
after loads that bypass both, :func:`recount_availability`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, delete, event, func, insert, inspect, select
from sqlalchemy.orm import Session, UOWTransaction

from patchwork.archive.availability.reasons import State
from patchwork.db.dialect import add_to_counter
from patchwork.db.models import AvailabilityCount, VideoAvailability

NO_REASON = ""


def bump(session: Session, state: str, reason: str | None, delta: int) -> None:
    add_to_counter(
        session,
        AvailabilityCount.__table__,  # type: ignore[arg-type]
        {"state": state, "reason": reason or NO_REASON},
        "count",
        delta,
    )


def count_rows(session: Session, rows: list[dict[str, Any]]) -> None:
    """After a bulk insert of availability rows: one counter update per state and reason."""
    grouped: dict[tuple[str, str | None], int] = {}
    for row in rows:
        key = (row.get("state") or State.UNKNOWN.value, row.get("reason"))
        grouped[key] = grouped.get(key, 0) + 1
    for (state, reason), count in grouped.items():
        bump(session, state, reason, count)


def forget_video(session: Session, video_id: str) -> None:
    """Before a bulk delete of the video's availability row: take it off the counts."""
    row = session.execute(
        select(VideoAvailability.state, VideoAvailability.reason).where(
            VideoAvailability.video_id == video_id
        )
    ).first()
    if row is not None:
        bump(session, row.state, row.reason, -1)


def state_totals(session: Session) -> dict[str, int]:
    """Videos per state, every state present (zero or not)."""
    totals = dict.fromkeys((s.value for s in State), 0)
    for state, count in session.execute(select(AvailabilityCount.state, AvailabilityCount.count)):
        totals[state] = totals.get(state, 0) + int(count)
    return totals


def lost_reasons(session: Session) -> dict[str, int]:
    """Unavailable videos per reason ("unspecified" for none), reasons with none left out."""
    return {
        (reason or "unspecified"): int(count)
        for reason, count in session.execute(
            select(AvailabilityCount.reason, AvailabilityCount.count).where(
                AvailabilityCount.state == State.UNAVAILABLE.value, AvailabilityCount.count > 0
            )
        )
    }


def recount_availability(connection: Connection) -> None:
    """Rewrite the counts from ``video_availability`` (after loads that bypassed the ORM)."""
    connection.execute(delete(AvailabilityCount))
    rows = [
        {"state": state, "reason": reason or NO_REASON, "count": int(count)}
        for state, reason, count in connection.execute(
            select(VideoAvailability.state, VideoAvailability.reason, func.count()).group_by(
                VideoAvailability.state, VideoAvailability.reason
            )
        )
    ]
    if rows:
        connection.execute(insert(AvailabilityCount), rows)


def _before_flush(session: Session, _flush: UOWTransaction, _instances: Any) -> None:
    for obj in session.new:
        if isinstance(obj, VideoAvailability):
            bump(session, obj.state or State.UNKNOWN.value, obj.reason, +1)
    for obj in session.dirty:
        if not isinstance(obj, VideoAvailability):
            continue
        attrs = inspect(obj).attrs
        state, reason = attrs.state.history, attrs.reason.history
        if not (state.has_changes() or reason.has_changes()):
            continue
        bump(session, _before(state, obj.state), _before(reason, obj.reason), -1)
        bump(session, obj.state, obj.reason, +1)
    for obj in session.deleted:
        if isinstance(obj, VideoAvailability):
            attrs = inspect(obj).attrs
            state = _before(attrs.state.history, obj.state)
            bump(session, state, _before(attrs.reason.history, obj.reason), -1)


def _before(history: Any, current: Any) -> Any:
    """The value an attribute had when loaded (its history's deleted or unchanged part)."""
    old = history.deleted or history.unchanged
    return old[0] if old else current


def register() -> None:
    """Hook the counts onto every ORM session (idempotent)."""
    if not event.contains(Session, "before_flush", _before_flush):
        event.listen(Session, "before_flush", _before_flush)
