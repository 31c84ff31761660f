"""The two-answer rule: how one observation moves a video's availability.

A definitive answer that agrees with the state confirms it (and ends any run of answers
that disagreed). One that disagrees starts or extends a run; when ``confirmations``
consecutive definitive answers agree on the same outcome, the state becomes it, ``since``
the first of them. Only an ``unknown`` video becomes available on one answer: believing a
video is still there loses nothing, believing it is gone on one glitch would (decision
0119). An inconclusive answer changes nothing but the time of the last check; it neither
counts in a run nor breaks one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from patchwork.archive.availability.policy import CheckPolicy
from patchwork.archive.availability.reasons import Outcome, State
from patchwork.db.models import VideoAvailability


@dataclass(frozen=True)
class Observation:
    outcome: Outcome
    reason: str | None
    seen_at: datetime


def observe(row: VideoAvailability, seen: Observation, policy: CheckPolicy) -> bool:
    """Apply ``seen`` to ``row`` and schedule its next check; whether the state changed."""
    row.last_checked_at = seen.seen_at
    row.checks = (row.checks or 0) + 1
    if seen.outcome == Outcome.INCONCLUSIVE:
        _due_in(row, seen.seen_at, policy, soon=True)
        return False
    state = State(seen.outcome)
    if row.state == state:
        if state == State.UNAVAILABLE:
            row.reason = seen.reason  # still gone; the site may now say why differently
        _end_streak(row)
        _due_in(row, seen.seen_at, policy, soon=False)
        return False
    if row.streak_outcome == seen.outcome:
        row.streak_count = (row.streak_count or 0) + 1
        row.streak_reason = seen.reason
    else:
        row.streak_outcome = seen.outcome
        row.streak_reason = seen.reason
        row.streak_count = 1
        row.streak_since = seen.seen_at
    needed = 1 if row.state == State.UNKNOWN and state == State.AVAILABLE else policy.confirmations
    if row.streak_count < needed:
        _due_in(row, seen.seen_at, policy, soon=True)  # confirm soon, not in a month
        return False
    row.state = state
    row.reason = seen.reason if state == State.UNAVAILABLE else None
    row.since = row.streak_since or seen.seen_at
    _end_streak(row)
    _due_in(row, seen.seen_at, policy, soon=False)
    return True


def _end_streak(row: VideoAvailability) -> None:
    row.streak_outcome = None
    row.streak_reason = None
    row.streak_count = 0
    row.streak_since = None


def _due_in(row: VideoAvailability, now: datetime, policy: CheckPolicy, *, soon: bool) -> None:
    # check_from is when the interval counts from: "checked now" puts the video a whole
    # interval away; "soon" moves its start back so it is due after recheck_after.
    row.check_from = now - (policy.every - policy.recheck_after) if soon else now
