"""How a scan job names its source, and the page size it is asked for.

Kept apart from the services so that the scan job kind (imported by the queue's registry)
depends on nothing that depends on the queue.
"""

from __future__ import annotations

from typing import Final

#: The page size a scanning worker is asked for.
PAGE_SIZE: Final = 100


def scan_target(source_id: int) -> str:
    """The queue target of a source's scan jobs: one active scan per source."""
    return f"source:{source_id}"


def source_of_job(target: str) -> int | None:
    """The source a scan job's target names (``None``: not a scan target)."""
    platform, _, rest = target.partition(":")
    return int(rest) if platform == "source" and rest.isdigit() else None
