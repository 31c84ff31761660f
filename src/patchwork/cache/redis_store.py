"""The answer cache in Redis (``PATCHWORK_REDIS_URL``): one cache for every server process.

Its own module so that redis is imported only when configured (~6 MB a server process)."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import redis

log = logging.getLogger(__name__)


class RedisCache:
    """Values stored once as JSON under ``patchwork:<key>`` with ``SET … EX`` (one command)."""

    # After a failure, Redis is left alone this long so a dead server costs one timeout,
    # not one per request.
    RETRY_AFTER_SECONDS = 15.0

    def __init__(self, url: str, *, prefix: str, timeout_seconds: float = 0.5) -> None:
        self._client = redis.Redis.from_url(
            url, socket_timeout=timeout_seconds, socket_connect_timeout=timeout_seconds
        )
        self._down_until = 0.0
        self._prefix = prefix

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
            raw = self._client.get(self._prefix + key)
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
            self._client.set(self._prefix + key, json.dumps(value), ex=ttl_seconds)
        except redis.RedisError as exc:
            self._failed(exc)

    def clear(self) -> None:
        try:
            for key in self._client.scan_iter(match=self._prefix + "*", count=500):
                self._client.delete(key)
        except redis.RedisError as exc:
            self._failed(exc)
