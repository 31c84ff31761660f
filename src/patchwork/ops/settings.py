"""What the operations surface runs with: logs, metrics, rate limits, trusted proxies.

These are settings like any other, declared (name, default, check) in patchwork.config's
table and read and checked at start-up with all the others; this is their view for the
modules here. Every name is documented in README ("Settings", "Operating Patchwork").
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask

from patchwork.config import LogFormat, Settings
from patchwork.state import app_state


@dataclass(frozen=True)
class OpsSettings:
    log_format: LogFormat
    metrics_token: str | None
    rate_limits: bool
    # Each budget: None is no limit.
    read_limit: str | None
    search_limit: str | None
    write_limit: str | None
    worker_limit: str | None
    auth_failure_limit: str | None
    limits_storage_url: str
    trusted_proxies: int


def from_settings(settings: Settings) -> OpsSettings:
    return OpsSettings(
        log_format=settings.log_format,
        metrics_token=settings.metrics_token,
        rate_limits=settings.rate_limits,
        read_limit=settings.rate_limit_read,
        search_limit=settings.rate_limit_search,
        write_limit=settings.rate_limit_write,
        worker_limit=settings.rate_limit_worker,
        auth_failure_limit=settings.rate_limit_auth_failures,
        # Shared counters across processes and servers when Redis is there; else per process.
        limits_storage_url=settings.rate_limit_storage or settings.redis_url or "memory://",
        trusted_proxies=settings.trusted_proxies,
    )


def ops_settings(app: Flask) -> OpsSettings:
    return from_settings(app_state(app).settings)
