"""Transactions run again when the database aborted them to break a conflict.

MariaDB and PostgreSQL break a deadlock (or a serialization failure) by aborting one of the
transactions; the aborted one is safe to run again from the start. Which errors those are is
the dialect's knowledge (:mod:`patchwork.db.dialect`).
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import DBAPIError

from patchwork.db.dialect import is_transient_conflict, is_unique_violation

log = logging.getLogger(__name__)

T = TypeVar("T")

TRANSIENT_RETRIES = 8


def retrying(run: Callable[[], T], *, duplicates: bool = False) -> T:
    """Run a transaction again when the database broke a deadlock by aborting it.

    With ``duplicates``, also when a unique index refused a row that a concurrent
    transaction inserted first (a new channel or video of two completions): run again, the
    transaction finds that row and updates it instead.
    """
    for attempt in range(TRANSIENT_RETRIES):
        try:
            return run()
        except DBAPIError as exc:
            retry = is_transient_conflict(exc) or (duplicates and is_unique_violation(exc))
            if attempt == TRANSIENT_RETRIES - 1 or not retry:
                raise
            log.debug("transient conflict, retrying (%d)", attempt + 1)
            # Two transactions that deadlocked and retry at once tend to deadlock again;
            # a short random pause (growing with each attempt) lets one of them go first.
            time.sleep(random.uniform(0, 0.005 * 2**attempt))
    raise AssertionError("unreachable")
