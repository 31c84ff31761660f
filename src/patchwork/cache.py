"""Answer cache for expensive, slowly-changing answers (discover, featured, popular, status).

Redis when ``PATCHWORK_REDIS_URL`` is set, so every server process shares one cache; an
in-process TTL cache otherwise. A cache is an optimisation: when Redis is down the answer
is computed again, never turned into an error.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

import redis

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


class RedisCache:
    """Values stored once as JSON under ``patchwork:<key>`` with ``SET … EX`` (one command)."""

    # After a failure, Redis is left alone this long so a dead server costs one timeout,
    # not one per request.
    RETRY_AFTER_SECONDS = 15.0

    def __init__(self, url: str, *, timeout_seconds: float = 0.5) -> None:
        self._client = redis.Redis.from_url(
            url, socket_timeout=timeout_seconds, socket_connect_timeout=timeout_seconds
        )
        self._down_until = 0.0

    @property
    def client(self) -> redis.Redis:
        return self._client

    def _available(self) -> bool:
        return time.monotonic() >= self._down_until

    def _failed(self, exc: Exception) -> None:
        self._down_until = time.monotonic() + self.RETRY_AFTER_SECONDS
        log.warning("redis cache unavailable, answering uncached: %s", exc)

    def get(self, key: str) -> tuple[bool, Any]:
        if not self._available():
            return False, None
        try:
            raw = self._client.get(KEY_PREFIX + key)
        except redis.RedisError as exc:
            self._failed(exc)
            return False, None
        if raw is None:
            return False, None
        try:
            return True, json.loads(raw)
        except (ValueError, TypeError):
            return False, None

    def set(self, key: str, value: Any, ttl_seconds: int) -> None:
        if not self._available():
            return
        try:
            self._client.set(KEY_PREFIX + key, json.dumps(value), ex=ttl_seconds)
        except redis.RedisError as exc:
            self._failed(exc)

    def clear(self) -> None:
        try:
            for key in self._client.scan_iter(match=KEY_PREFIX + "*", count=500):
                self._client.delete(key)
        except redis.RedisError as exc:
            self._failed(exc)


def open_cache(redis_url: str | None) -> AnswerCache:
    return RedisCache(redis_url) if redis_url else MemoryCache()
