"""HTTP API blueprints; handlers parse input, call one service, shape the output."""

from __future__ import annotations

from flask import Flask

from patchwork.api import availability, catalog, media, sources, status
from patchwork.api import worker as worker_api
from patchwork.api.openapi.document import register as register_openapi
from patchwork.http.errors import register_error_handlers


def register_api(app: Flask) -> None:
    register_error_handlers(app)
    app.register_blueprint(catalog.bp)
    app.register_blueprint(status.bp)
    app.register_blueprint(media.bp)
    app.register_blueprint(worker_api.bp)
    app.register_blueprint(sources.bp)
    app.register_blueprint(availability.bp)
    register_openapi(app)  # /api/openapi.json and /api/docs describe the routes above
