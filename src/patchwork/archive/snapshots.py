"""Summarising answers (popular, storage numbers, discover strips, daily picks) computed off
the request path, one flight at a time, served stale while a newer one is computed.

Three layers, fastest first:

1. the answer cache (:mod:`patchwork.cache`: per process, or Redis), holding an answer while
   it is fresh (``max_age``);
2. ``answer_snapshots``, the last computed answer of every key in the database: shared by
   every server process and kept across restarts, so a restarted server answers at once;
3. computing it. Only for a key never computed (or whose answer is empty, which is cheap and
   must not linger) does a request wait, for one computation per process in a background
   thread, and at most ``FIRST_WAIT_SECONDS``: past that it gets :class:`AnswerPending` (503,
   Retry-After) and the computation goes on and stores the answer. A stale answer is served
   as it is, and one process, the one that takes the snapshot's lease
   (``refreshing_until``), computes the next in a background thread; the others keep serving
   the stale one, looking again every ``RECHECK_SECONDS``.

A refresh that fails (a stats provider down) is logged and keeps the stale answer; it is
tried again after ``RETRY_SECONDS``. Decision 0121 says why snapshots live in the database.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import SQLAlchemyError

from patchwork.cache import EMPTY_TTL_SECONDS, AnswerCache, is_empty
from patchwork.db import Database
from patchwork.db.dialect import insert_ignoring_duplicates
from patchwork.db.engine import DatabaseUnavailable
from patchwork.db.models import AnswerSnapshot
from patchwork.errors import Unavailable

log = logging.getLogger(__name__)

#: How long one process may compute a refresh before another may take it over.
LEASE_SECONDS = 300
#: A process that saw another one refreshing looks at the snapshot again after this long.
RECHECK_SECONDS = 5.0
#: After a failed refresh, the stale answer is kept this long before the next try.
RETRY_SECONDS = 60
#: How long a request waits for an answer never computed before it is told to come back.
FIRST_WAIT_SECONDS = 0.8
_FRONT_PREFIX = "snapshot:"


class AnswerPending(Unavailable):
    """An answer's first computation is still running: come back in a few seconds."""

    public_message = "This answer is being computed for the first time; try again shortly"
    retry_after = 5


class _Flight:
    """One first computation of a key, which the requests that asked for it wait on."""

    def __init__(self, version: str) -> None:
        self.version = version
        self.done = threading.Event()
        self.value: Any = None
        self.error: Exception | None = None


Background = Callable[[Callable[[], None]], None]


def in_thread(work: Callable[[], None]) -> None:
    threading.Thread(target=work, name="patchwork-snapshot", daemon=True).start()


def at_once(work: Callable[[], None]) -> None:
    """A :data:`Background` that runs the refresh before returning (tests, one-off tools)."""
    work()


@dataclass(frozen=True)
class Snapshot:
    value: Any
    computed_at: float  # seconds since the epoch
    version: str


class SnapshotAnswers:
    """The answers of one app (see the module docstring); ``clock`` is in epoch seconds."""

    def __init__(
        self,
        db: Database,
        cache: AnswerCache,
        *,
        clock: Callable[[], float] = time.time,
        background: Background = in_thread,
        first_background: Background = in_thread,
        first_wait: float | None = None,
    ) -> None:
        """``background`` runs refreshes, ``first_background`` first computations (a request
        waits ``first_wait`` seconds for those; default :data:`FIRST_WAIT_SECONDS`)."""
        self._db = db
        self._cache = cache
        self._clock = clock
        self._background = background
        self._lock = threading.Lock()
        self._first_background = first_background
        self._first_wait = FIRST_WAIT_SECONDS if first_wait is None else first_wait
        self._first_flights: dict[str, _Flight] = {}
        self._flights: set[str] = set()
        self._quiet_until: dict[str, float] = {}

    def get(self, key: str, max_age: int, compute: Callable[[], Any], *, version: str = "") -> Any:
        """The answer for ``key``: fresh from the cache, else the stored snapshot (refreshed
        in the background when older than ``max_age``), else computed now. A snapshot of
        another ``version`` (yesterday's daily picks) is no answer."""
        hit, front = self._cache.get(_FRONT_PREFIX + key)
        if hit and isinstance(front, dict) and front.get("version") == version:
            return front.get("value")
        stored = self._stored(key, version)
        if stored is None or is_empty(stored.value):
            return self._compute_now(key, max_age, compute, version)
        age = self._clock() - stored.computed_at
        if age < _fresh_for(stored.value, max_age):
            self._remember(key, stored, max_age, age)
        else:
            self._refresh_later(key, max_age, compute, version)
        return stored.value

    # ---- reading and writing snapshots -------------------------------------------------

    def _stored(self, key: str, version: str) -> Snapshot | None:
        with self._db.reading() as session:
            row = session.execute(
                select(
                    AnswerSnapshot.value, AnswerSnapshot.computed_at, AnswerSnapshot.version
                ).where(AnswerSnapshot.key == key)
            ).first()
        if row is None or row.version != version:
            return None
        try:
            value = json.loads(row.value)
        except ValueError:
            return None  # a snapshot that does not read back is no answer: compute it again
        return Snapshot(value, row.computed_at.timestamp(), row.version)

    def _store(self, key: str, snapshot: Snapshot) -> None:
        values = {
            "value": json.dumps(snapshot.value),
            "version": snapshot.version,
            "computed_at": _as_datetime(snapshot.computed_at),
            "refreshing_until": None,
        }
        with self._db.transaction() as session:
            done = session.execute(
                update(AnswerSnapshot).where(AnswerSnapshot.key == key).values(values)
            )
            if not done.rowcount:  # type: ignore[attr-defined]
                insert_ignoring_duplicates(
                    session,
                    AnswerSnapshot.__table__,  # type: ignore[arg-type]
                    [{"key": key, **values}],
                )

    def _remember(self, key: str, snapshot: Snapshot, max_age: int, age: float = 0.0) -> None:
        left = int(_fresh_for(snapshot.value, max_age) - age)
        if left > 0:
            front = {"value": snapshot.value, "version": snapshot.version}
            self._cache.set(_FRONT_PREFIX + key, front, left)

    # ---- computing ---------------------------------------------------------------------

    def _compute_now(self, key: str, max_age: int, compute: Callable[[], Any], version: str) -> Any:
        """The first answer of ``key``: computed by one flight per key and process, off the
        request thread. A request waits for it at most ``first_wait`` seconds; past that it
        is told to come back (:class:`AnswerPending`, a 503 with Retry-After) while the flight
        goes on and stores the answer, so no request waits for a slow pass (a count over a
        million rows, a bucket listing) and no client is held for it."""
        with self._lock:
            flight = self._first_flights.get(key)
            if flight is None or flight.version != version:
                flight = _Flight(version)
                self._first_flights[key] = flight
                starting = True
            else:
                starting = False
        if starting:

            def first() -> None:
                try:
                    snapshot = Snapshot(compute(), self._clock(), version)
                    self._store(key, snapshot)
                    self._remember(key, snapshot, max_age)
                    flight.value = snapshot.value
                except Exception as exc:  # raised to the requests still waiting, if any
                    log.warning("computing the answer %s failed: %s", key, exc)
                    flight.error = exc
                finally:
                    with self._lock:
                        if self._first_flights.get(key) is flight:
                            del self._first_flights[key]
                    flight.done.set()

            self._first_background(first)
        if not flight.done.wait(self._first_wait):
            raise AnswerPending(f"the answer {key} is being computed")
        if flight.error is not None:
            raise flight.error
        return flight.value

    def _refresh_later(
        self, key: str, max_age: int, compute: Callable[[], Any], version: str
    ) -> None:
        now = self._clock()
        with self._lock:
            if key in self._flights or self._quiet_until.get(key, 0.0) > now:
                return
            self._flights.add(key)
        try:
            claimed = self._claim(key, now, max_age)
        except (SQLAlchemyError, DatabaseUnavailable) as exc:
            log.warning("cannot claim the refresh of %s: %s", key, exc)
            claimed = False
        if not claimed:
            # Another process refreshes it (or just did): look again in a few seconds.
            with self._lock:
                self._flights.discard(key)
                self._quiet_until[key] = now + RECHECK_SECONDS
            return

        def refresh() -> None:
            try:
                snapshot = Snapshot(compute(), self._clock(), version)
                self._store(key, snapshot)
                self._remember(key, snapshot, max_age)
            except Exception:  # a background thread has nobody to raise to
                log.exception("refreshing the answer %s failed; the stale one stays", key)
                self._release(key, self._clock() + RETRY_SECONDS)
            finally:
                with self._lock:
                    self._flights.discard(key)

        self._background(refresh)

    def _claim(self, key: str, now: float, max_age: int) -> bool:
        """Take the snapshot's refresh lease: only while it is stale and nobody holds it."""
        moment = _as_datetime(now)
        with self._db.transaction() as session:
            taken = session.execute(
                update(AnswerSnapshot)
                .where(
                    AnswerSnapshot.key == key,
                    AnswerSnapshot.computed_at <= _as_datetime(now - max_age),
                    or_(
                        AnswerSnapshot.refreshing_until.is_(None),
                        AnswerSnapshot.refreshing_until < moment,
                    ),
                )
                .values(refreshing_until=_as_datetime(now + LEASE_SECONDS))
            )
            return bool(taken.rowcount)  # type: ignore[attr-defined]

    def _release(self, key: str, until: float) -> None:
        try:
            with self._db.transaction() as session:
                session.execute(
                    update(AnswerSnapshot)
                    .where(AnswerSnapshot.key == key)
                    .values(refreshing_until=_as_datetime(until))
                )
        except (SQLAlchemyError, DatabaseUnavailable) as exc:
            log.warning("cannot release the refresh of %s: %s", key, exc)

    def clear(self) -> None:
        """Forget every answer (tools that rewrote the archive under the server)."""
        with self._db.transaction() as session:
            session.execute(delete(AnswerSnapshot))
        self._cache.clear()


def _fresh_for(value: Any, max_age: int) -> int:
    return min(max_age, EMPTY_TTL_SECONDS) if is_empty(value) else max_age


def _as_datetime(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)
