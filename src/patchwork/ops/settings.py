"""Operations settings, read from ``PATCHWORK_*`` names kept in ``Settings.extra``.

They live here rather than as ``Settings`` fields so the operations surface can grow without
touching the core settings; every name is documented in README ("Operating Patchwork").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from flask import Flask

from patchwork.config import ConfigError
from patchwork.state import app_state

LOG_FORMATS = ("text", "json")
# Sized for one fast person on the reference frontend, counted in one server process (without
# Redis each process counts alone; docs/decisions/0110): a page view costs at most 5 reads and
# 2 searches (a results page fires search/results and search/channel), so a page a second for
# a minute is 300 reads or 120 searches. The rest is room for a second tab or a shared address.
DEFAULT_READ_LIMIT = "1200/minute"
DEFAULT_SEARCH_LIMIT = "180/minute"
DEFAULT_WRITE_LIMIT = "120/minute"
# Failed authentications (no token, unknown or revoked token) per client address. The reference
# worker stops at its first 401, so an honest client never comes near this.
DEFAULT_AUTH_FAILURE_LIMIT = "30/minute;300/hour"


@dataclass(frozen=True)
class OpsSettings:
    log_format: str = "text"
    metrics_token: str | None = None
    rate_limits: bool = True
    read_limit: str = DEFAULT_READ_LIMIT
    search_limit: str = DEFAULT_SEARCH_LIMIT
    write_limit: str = DEFAULT_WRITE_LIMIT
    worker_limit: str | None = None
    auth_failure_limit: str = DEFAULT_AUTH_FAILURE_LIMIT
    limits_storage_url: str = "memory://"
    trusted_proxies: int = 0


def parse(extra: Mapping[str, str], redis_url: str | None) -> OpsSettings:
    log_format = (extra.get("PATCHWORK_LOG_FORMAT") or "text").strip().lower()
    if log_format not in LOG_FORMATS:
        raise ConfigError(f"PATCHWORK_LOG_FORMAT must be text or json, not {log_format!r}")
    switch = (extra.get("PATCHWORK_RATE_LIMITS") or "on").strip().lower()
    if switch not in ("on", "off", "true", "false", "1", "0"):
        raise ConfigError(f"PATCHWORK_RATE_LIMITS must be on or off, not {switch!r}")
    return OpsSettings(
        log_format=log_format,
        metrics_token=extra.get("PATCHWORK_METRICS_TOKEN") or None,
        rate_limits=switch in ("on", "true", "1"),
        read_limit=extra.get("PATCHWORK_RATE_LIMIT_READ") or DEFAULT_READ_LIMIT,
        search_limit=extra.get("PATCHWORK_RATE_LIMIT_SEARCH") or DEFAULT_SEARCH_LIMIT,
        write_limit=extra.get("PATCHWORK_RATE_LIMIT_WRITE") or DEFAULT_WRITE_LIMIT,
        worker_limit=extra.get("PATCHWORK_RATE_LIMIT_WORKER") or None,
        auth_failure_limit=(
            extra.get("PATCHWORK_RATE_LIMIT_AUTH_FAILURES") or DEFAULT_AUTH_FAILURE_LIMIT
        ),
        # Shared counters across processes and servers when Redis is there; else per process.
        limits_storage_url=extra.get("PATCHWORK_RATE_LIMIT_STORAGE") or redis_url or "memory://",
        trusted_proxies=_trusted_proxies(extra.get("PATCHWORK_TRUSTED_PROXIES")),
    )


def _trusted_proxies(raw: str | None) -> int:
    """How many reverse proxies in front of the server append to ``X-Forwarded-For``."""
    text = (raw or "").strip().strip("\"'")
    if not text:
        return 0
    if not text.isdecimal() or not text.isascii():
        raise ConfigError(
            "PATCHWORK_TRUSTED_PROXIES must be the number of reverse proxies in front of "
            f"Patchwork (0 or more, e.g. 1 behind nginx), not {raw!r}"
        )
    return int(text)


def ops_settings(app: Flask) -> OpsSettings:
    settings = app_state(app).settings
    return parse(settings.extra, settings.redis_url)
