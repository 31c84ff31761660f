"""How often videos are checked, how many checks an hour, how many answers move a state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from patchwork.config import Settings

#: After an answer that disagrees with the state (to confirm it) or an inconclusive one, the
#: video is due again this soon (or after the interval, if that is shorter).
RECHECK_AFTER = timedelta(days=1)


@dataclass(frozen=True)
class CheckPolicy:
    every: timedelta = timedelta(days=30)
    per_hour: int = 600  # 0: no scheduled checks (checks asked for by hand still run)
    confirmations: int = 2

    @classmethod
    def of(cls, settings: Settings) -> CheckPolicy:
        return cls(
            every=timedelta(days=settings.availability_check_days),
            per_hour=settings.availability_checks_per_hour,
            confirmations=settings.availability_confirmations,
        )

    @property
    def recheck_after(self) -> timedelta:
        return min(self.every, RECHECK_AFTER)


DEFAULT_POLICY = CheckPolicy()
