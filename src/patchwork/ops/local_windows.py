"""Moving-window rate limit counters in this process's memory, without helper threads.

``limits``' own ``memory://`` store drops expired hits from a ``threading.Timer`` that runs
10 ms after it was started and is started again by the next hit that finds it finished: under
load a thread is created every ~10 ms, each run walks every client's hits, and the request that
starts it waits for the thread to come up (a tenth of a point read's time went there). Here a
client's expired hits are dropped when that client is counted again, and clients idle for a
whole window are forgotten by a sweep that the request finding it due runs, at most every
SWEEP_SECONDS. What is allowed and refused is the same moving window: at most ``limit`` hits
in any ``expiry`` seconds.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from limits.storage import MovingWindowSupport, Storage

#: How often the hits of clients gone quiet are forgotten (their memory, not their budget:
#: a forgotten client has no hit left inside its window).
SWEEP_SECONDS = 30.0


@dataclass
class _Window:
    expiry: float
    hits: deque[float] = field(default_factory=deque)  # times of the hits, oldest first

    def drop_before(self, edge: float) -> None:
        hits = self.hits
        while hits and hits[0] < edge:
            hits.popleft()


class LocalMovingWindows(Storage, MovingWindowSupport):
    """A ``limits`` store for the moving window strategy only (``MovingWindowRateLimiter``)."""

    # Not registered under a scheme: ``memory://`` keeps naming limits' own store.
    STORAGE_SCHEME = None

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        super().__init__(None)
        self._clock = clock
        self._lock = threading.Lock()
        self._windows: dict[str, _Window] = {}
        self._next_sweep = clock() + SWEEP_SECONDS

    def __len__(self) -> int:
        """How many clients' hits are held."""
        return len(self._windows)

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return ()

    def acquire_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        if amount > limit:
            return False
        now = self._clock()
        with self._lock:
            if now >= self._next_sweep:
                self._sweep(now)
            window = self._windows.get(key)
            if window is None:
                window = self._windows[key] = _Window(float(expiry))
            window.drop_before(now - expiry)
            if len(window.hits) + amount > limit:
                return False
            window.hits.extend([now] * amount)
            return True

    def get_moving_window(self, key: str, limit: int, expiry: int) -> tuple[float, int]:
        """The time of the oldest hit inside the window and how many hits it holds."""
        now = self._clock()
        with self._lock:
            window = self._windows.get(key)
            if window is None:
                return now, 0
            window.drop_before(now - expiry)
            if not window.hits:
                return now, 0
            return window.hits[0], len(window.hits)

    def _sweep(self, now: float) -> None:
        self._next_sweep = now + SWEEP_SECONDS
        idle = [k for k, w in self._windows.items() if not w.hits or w.hits[-1] < now - w.expiry]
        for key in idle:
            del self._windows[key]

    def check(self) -> bool:
        return True

    def reset(self) -> int | None:
        with self._lock:
            count = len(self._windows)
            self._windows.clear()
        return count

    def clear(self, key: str) -> None:
        with self._lock:
            self._windows.pop(key, None)

    # Counters of the fixed and sliding window strategies: never asked for by the moving
    # window limiter this store is built for.
    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        raise NotImplementedError("LocalMovingWindows counts moving windows only")

    def get(self, key: str) -> int:
        raise NotImplementedError("LocalMovingWindows counts moving windows only")

    def get_expiry(self, key: str) -> float:
        raise NotImplementedError("LocalMovingWindows counts moving windows only")
