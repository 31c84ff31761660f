"""Recount what the read path keeps in step with every write (channel names and counts,
availability counts), after writes that went around the ORM: bulk loads, manual SQL."""

from __future__ import annotations

from patchwork.archive.availability.totals import recount_availability
from patchwork.archive.catalog.channel_names import recount_channel_names
from patchwork.db import Database


def recount_summaries(db: Database) -> int:
    """Both recounts in one transaction; returns the channel names written."""
    with db.engine.begin() as connection:
        names = recount_channel_names(connection)
        recount_availability(connection)
        return names
