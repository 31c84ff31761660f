"""What a job is and what happens to it, as types: its state, its mode, its events' names.

Each value is exactly what the database stores (``jobs.state``, ``jobs.mode``,
``job_events.event``) and what the API answers, so no migration and no client sees a
difference: a ``StrEnum`` member *is* its string and an ``IntEnum`` member *is* its number
(they compare, hash, format and serialise to JSON as the value, and the drivers bind them as
the value). Which state may follow which is declared once, in
:mod:`patchwork.archive.queue.transitions`.
"""

from __future__ import annotations

import enum


class JobState(enum.StrEnum):
    """Where a job is: ``queued -> leased -> done | failed | cancelled``."""

    QUEUED = "queued"
    LEASED = "leased"  # a worker holds it until its lease lapses
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


class JobMode(enum.IntEnum):
    """What a job asks for; each mode is run by one job kind (:mod:`.kinds`)."""

    ARCHIVE = 0  # archive the video unless the archive holds it already
    REARCHIVE = 1  # archive it again, replacing what the archive holds
    DELETE = 2  # delete the video (the job's target is its id)
    SCAN = 3  # list a source's entries and queue the new ones (the target is source:<id>)
    CHECK = 4  # re-extract a video's metadata: is it still on its site? (check:<video_id>)


class JobEventName(enum.StrEnum):
    """What a ``job_events`` row says happened to its job."""

    QUEUED = "queued"  # enqueued (its message names the mode and URL)
    IMPORTED = "imported"  # copied from the original's queue by the legacy import
    CLAIMED = "claimed"
    LEASE_EXPIRED = "lease_expired"  # a lapsed lease was taken back (no state change by itself)
    RETRY = "retry"  # an attempt failed and the job waits for another one
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"
    REQUEUED = "requeued"  # `patchwork jobs retry`: a failed or cancelled job queued again


#: A job in one of these still needs doing; a target has at most one such job (decision 0103).
ACTIVE_STATES: tuple[JobState, ...] = (JobState.QUEUED, JobState.LEASED)
#: A job in one of these is over: it has a ``finished_at`` and holds no lease.
FINAL_STATES: frozenset[JobState] = frozenset({JobState.DONE, JobState.FAILED, JobState.CANCELLED})
