"""SQL conditions the search plans share: term ranges, escaped ``LIKE``, availability."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, not_, select

from patchwork.archive.availability.reasons import State
from patchwork.archive.search.terms import Requirement
from patchwork.db.models import Video, VideoAvailability


def availability_condition(state: State) -> ColumnElement[bool]:
    """Whether the joined video is in ``state``: one primary-key probe of
    ``video_availability`` per candidate row, so the plan stays driven by the postings. A
    video without an availability row (none should lack one) counts as unknown, as the API
    answers it."""

    def in_states(*states: State) -> ColumnElement[bool]:
        return (
            select(VideoAvailability.video_id)
            .where(
                VideoAvailability.video_id == Video.video_id,
                VideoAvailability.state.in_([s.value for s in states]),
            )
            .exists()
        )

    if state == State.UNKNOWN:
        return not_(in_states(State.AVAILABLE, State.UNAVAILABLE))
    return in_states(state)


def successor(prefix: str) -> str | None:
    """The smallest string above every string that starts with ``prefix`` (code point order)."""
    while prefix:
        code = ord(prefix[-1]) + 1
        if 0xD800 <= code <= 0xDFFF:
            code = 0xE000
        if code <= 0x10FFFF:
            return prefix[:-1] + chr(code)
        prefix = prefix[:-1]
    return None


def term_matches(column: Any, req: Requirement) -> ColumnElement[bool]:
    if not req.prefix:
        return column == req.term  # type: ignore[no-any-return]
    upper = successor(req.term)
    lower = column >= req.term
    return and_(lower, column < upper) if upper is not None else lower


def like_condition(column: Any, pattern: str) -> ColumnElement[bool]:
    escaped = pattern.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return column.like(f"%{escaped}%", escape="\\")  # type: ignore[no-any-return]
