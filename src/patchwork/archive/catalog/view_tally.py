"""Views counted in memory and written in batches (decision 0122).

Written one by one, each view of ``/api/database/video_data`` and ``/watch`` cost the request a
write and a commit (a log flush on MariaDB and PostgreSQL): those two reads stayed under 200
req/s at a million videos while every other read did more. Each process now adds views to a
tally and writes it every ``PATCHWORK_VIEW_FLUSH_SECONDS``: one transaction, one upsert per
video, in key order so two processes flushing together do not deadlock. A flush that fails
puts its views back; a crash loses at most that many seconds of views (counts that order
"popular", not archived content), and a clean exit writes what is left. ``0`` writes each
view in the request, as before.
"""

from __future__ import annotations

import atexit
import logging
import threading
from collections import Counter

from sqlalchemy import select

from patchwork.db import Database
from patchwork.db.dialect import add_to_counter
from patchwork.db.models import Video, ViewCount

log = logging.getLogger(__name__)
_IDS_PER_READ = 500


class ViewTally:
    """One process's views not written yet; ``every_seconds`` 0 writes each at once."""

    def __init__(self, db: Database, every_seconds: float) -> None:
        self._db = db
        self._every = every_seconds
        self._pending: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._flushing = threading.Lock()  # one flush at a time: the timer's or exit's
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def add(self, video_id: str) -> int:
        """One view of a video the caller has just read (so it exists, or did). Returns the
        views of it this process has not written, this one included: a page that read the
        count before shows the count plus these."""
        if self._every <= 0:
            write_views(self._db, {video_id: 1})
            return 1
        with self._lock:
            self._pending[video_id] += 1
            if self._thread is None:
                self._start()
            return self._pending[video_id]

    def flush(self) -> int:
        """Write the tally now; returns how many views it took (those of videos deleted since
        are dropped), 0 when the write failed and the views were kept."""
        with self._flushing:
            with self._lock:
                batch, self._pending = self._pending, Counter()
            if not batch:
                return 0
            try:
                write_views(self._db, batch)
            except Exception:  # the database away, or anything else: the views are kept
                log.warning("views not written yet (kept for the next flush)", exc_info=True)
                with self._lock:
                    self._pending.update(batch)
                return 0
            return sum(batch.values())

    def close(self) -> None:
        """Stop the timer and write what is left (process exit)."""
        self._wake.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=self._every + 30)
        self.flush()

    def _start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="view-tally", daemon=True)
        self._thread.start()
        atexit.register(self.close)

    def _run(self) -> None:
        while not self._wake.wait(self._every):
            self.flush()


def write_views(db: Database, views: dict[str, int]) -> None:
    """Add ``views`` (video id -> count) in one transaction; videos deleted since are skipped."""
    ordered = sorted(views)
    with db.transaction() as session:
        for start in range(0, len(ordered), _IDS_PER_READ):
            chunk = ordered[start : start + _IDS_PER_READ]
            found = session.execute(
                select(Video.video_id, Video.id).where(Video.video_id.in_(chunk))
            )
            rows = {video_id: row for video_id, row in found}
            for video_id in chunk:
                if video_id in rows:
                    add_to_counter(
                        session,
                        ViewCount.__table__,  # type: ignore[arg-type]
                        {"video_id": video_id},
                        "count",
                        views[video_id],
                        first_values={"video_row": rows[video_id]},
                    )
