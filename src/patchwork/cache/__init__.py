"""Answer cache for expensive, slowly-changing answers (discover, featured, popular, status).

Redis when ``PATCHWORK_REDIS_URL`` is set, so every server process shares one cache; an
in-process TTL cache otherwise. A cache is an optimisation: when Redis is down the answer
is computed again, never turned into an error.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")
KEY_PREFIX = "patchwork:"
#: An empty answer (no views yet, an archive still filling) is kept at most this long, so
#: the first view or video shows up within a minute, not after the answer's full TTL. The
#: original treated a cached empty list as a miss; a short TTL keeps that promise while an
#: empty archive's traffic still hits the database once a minute, not on every request.
EMPTY_TTL_SECONDS = 60


class AnswerCache(Protocol):
    def get(self, key: str) -> tuple[bool, Any]:
        """``(True, value)`` on a hit, ``(False, None)`` on a miss."""
        ...

    def set(self, key: str, value: Any, ttl_seconds: int) -> None: ...

    def clear(self) -> None: ...


def remember(cache: AnswerCache, key: str, ttl_seconds: int, compute: Callable[[], T]) -> T:
    """The cached value for ``key``, computing and storing it on a miss; an empty list or
    dict is stored for at most EMPTY_TTL_SECONDS."""
    hit, value = cache.get(key)
    if hit:
        return value  # type: ignore[no-any-return]
    fresh = compute()
    cache.set(key, fresh, min(ttl_seconds, EMPTY_TTL_SECONDS) if is_empty(fresh) else ttl_seconds)
    return fresh


def is_empty(value: object) -> bool:
    return isinstance(value, (list, dict)) and not value


class MemoryCache:
    """A bounded per-process cache with expiry; ``clock`` (seconds) can be a test's own."""

    def __init__(
        self, max_entries: int = 2048, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._entries: OrderedDict[str, tuple[float, Any]] = OrderedDict()
        self._lock = threading.Lock()
        self._max = max_entries
        self._clock = clock

    def get(self, key: str) -> tuple[bool, Any]:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return False, None
            expires, value = entry
            if expires <= self._clock():
                del self._entries[key]
                return False, None
            return True, value

    def set(self, key: str, value: Any, ttl_seconds: int) -> None:
        with self._lock:
            self._entries[key] = (self._clock() + ttl_seconds, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def open_cache(redis_url: str | None) -> AnswerCache:
    if not redis_url:
        return MemoryCache()
    # Imported only when configured: redis costs each server process ~6 MB.
    from patchwork.cache.redis_store import RedisCache

    return RedisCache(redis_url, prefix=KEY_PREFIX)
