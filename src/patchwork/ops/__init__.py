"""The operations surface: request logs, health checks, metrics, rate limits.

``register_ops(app)`` wires all of it into an app; each part lives in its own module.
"""

from __future__ import annotations

from flask import Flask

from patchwork.ops import health, limits, metrics, request_log, settings


def register_ops(app: Flask) -> None:
    ops_settings = settings.ops_settings(app)
    request_log.configure_logging(ops_settings.log_format)
    # Order matters: the rate limiter's before_request hook must see the route already.
    limits.register(app, ops_settings)
    metrics.register(app, ops_settings)
    health.register(app)
    # Outermost WSGI layer: it times the whole response, streaming included.
    request_log.install(app, observers=[metrics.observe])
