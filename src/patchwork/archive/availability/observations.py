"""A worker's answer to a check, kept as evidence and applied to the video's availability."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from patchwork.archive.availability import counters
from patchwork.archive.availability.policy import CheckPolicy
from patchwork.archive.availability.reasons import (
    INCONCLUSIVE_REASONS,
    UNAVAILABLE_REASONS,
    Outcome,
)
from patchwork.archive.availability.rows import unknown_availability
from patchwork.archive.availability.rule import Observation, observe
from patchwork.db.models import AvailabilityCheck, VideoAvailability
from patchwork.errors import InvalidInput

MAX_MESSAGE = 2000


class BadCheckReport(InvalidInput):
    """A check's answer with an unknown outcome or reason: 400."""


@dataclass(frozen=True)
class CheckReport:
    """What a worker saw when it checked a video (the ``check`` object of its completion)."""

    outcome: Outcome
    reason: str | None = None
    message: str | None = None

    @classmethod
    def parse(cls, outcome: str, reason: str | None, message: str | None) -> CheckReport:
        """A report from its words; :class:`BadCheckReport` saying what is wrong."""
        try:
            seen = Outcome(outcome)
        except ValueError:
            raise BadCheckReport(
                f"check.outcome must be one of {', '.join(o.value for o in Outcome)}"
            ) from None
        if seen == Outcome.AVAILABLE:
            if reason is not None:
                raise BadCheckReport("an available check has no reason")
        elif seen == Outcome.UNAVAILABLE:
            if reason not in UNAVAILABLE_REASONS:
                raise BadCheckReport(
                    f"check.reason of an unavailable video must be one of "
                    f"{', '.join(UNAVAILABLE_REASONS)}"
                )
        else:
            reason = reason or "unknown"
            if reason not in INCONCLUSIVE_REASONS:
                raise BadCheckReport(
                    f"check.reason of an inconclusive check must be one of "
                    f"{', '.join(INCONCLUSIVE_REASONS)}"
                )
        return cls(seen, reason, (message or None) and message[:MAX_MESSAGE])


def record_observation(
    session: Session,
    video_id: str,
    report: CheckReport,
    policy: CheckPolicy,
    now: datetime,
    *,
    job_id: int | None = None,
    token_id: int | None = None,
    worker_name: str | None = None,
) -> tuple[VideoAvailability, bool]:
    """Keep ``report`` and apply it (the two-answer rule); the locked row and whether the
    video's state changed. The caller owns the transaction."""
    row = session.scalars(
        select(VideoAvailability).where(VideoAvailability.video_id == video_id).with_for_update()
    ).first()
    if row is None:  # a row lost to some outside hand: the video is not left unscheduled
        row = unknown_availability(video_id, now)
        session.add(row)
    session.add(
        AvailabilityCheck(
            video_id=video_id,
            checked_at=now,
            outcome=report.outcome.value,
            reason=report.reason,
            message=report.message,
            job_id=job_id,
            token_id=token_id,
            worker_name=worker_name,
        )
    )
    changed = observe(row, Observation(report.outcome, report.reason, now), policy)
    counters.bump(session, report.outcome.value)
    session.flush()
    return row, changed
