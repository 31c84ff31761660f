"""The OpenAPI 3.1 document at ``/api/openapi.json`` and its reference page at ``/api/docs``.

The document is written as code next to the handlers' bounds (see ``paths.py``,
``worker_paths.py``, ``source_paths.py`` and ``availability_paths.py``);
``tests/api/test_openapi.py`` walks the app's URL map and fails on any route or query
parameter it lacks, and the fuzz test checks every answer against it.
"""

from __future__ import annotations

import copy
import functools
from typing import Any

from flask import Blueprint, Flask, Response, jsonify

from patchwork import __version__
from patchwork.api.openapi.availability_paths import AVAILABILITY_SCHEMAS, availability_paths
from patchwork.api.openapi.docs_page import DOCS_HTML
from patchwork.api.openapi.paths import catalog_paths, media_paths, ops_paths, status_paths
from patchwork.api.openapi.schemas import SCHEMAS
from patchwork.api.openapi.source_paths import SOURCE_SCHEMAS, scan_worker_paths, source_paths
from patchwork.api.openapi.worker_paths import queue_paths, worker_paths

bp = Blueprint("ops_openapi", __name__)

DESCRIPTION = """\
Patchwork archives online videos and serves them back. The read API keeps the paths and field
names of the original Patchwork backend; errors are always JSON `{"error": "..."}`.

Queue and worker endpoints need a token (`patchwork tokens create --role queue|worker|admin`),
sent as `X-AUTHENTICATION: <secret>` (the original's header) or `Authorization: Bearer <secret>`.
Writes, searches and reads under /api are rate limited per client address (429 with
Retry-After); workers' job endpoints are exempt from those limits.
"""


@functools.cache
def _document() -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for part in (
        catalog_paths,
        status_paths,
        queue_paths,
        worker_paths,
        scan_worker_paths,
        source_paths,
        availability_paths,
        media_paths,
        ops_paths,
    ):
        paths.update(part())
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Patchwork",
            "version": __version__,
            "description": DESCRIPTION,
            "license": {"name": "MIT", "identifier": "MIT"},
        },
        "servers": [{"url": "/"}],
        "tags": [
            {"name": name, "description": text}
            for name, text in (
                ("catalog", "Videos and channels (the original's read API)."),
                ("search", "Search videos and channels."),
                ("status", "Workers, storage and database status."),
                ("queue", "Queue videos to archive (queue token)."),
                ("worker", "Claim, upload, complete (worker token)."),
                (
                    "sources",
                    "Subscriptions: channels, playlists and feeds scanned on a schedule "
                    "(read: queue token; change: admin token).",
                ),
                (
                    "availability",
                    "Lost media: whether archived videos are still on their site, why they "
                    "left, and every version of their metadata.",
                ),
                ("media", "Archived files with HTTP ranges and validators."),
                ("operations", "Health, readiness, metrics and this document."),
            )
        ],
        "paths": paths,
        "components": {
            "schemas": {**SCHEMAS, **SOURCE_SCHEMAS, **AVAILABILITY_SCHEMAS},
            "securitySchemes": {
                "token": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "X-AUTHENTICATION",
                    "description": "A token's secret (the original's header).",
                },
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "The same secret as `Authorization: Bearer <secret>`.",
                },
            },
        },
    }


def document() -> dict[str, Any]:
    """A copy of the OpenAPI document (callers may change it freely)."""
    return copy.deepcopy(_document())


@bp.get("/api/openapi.json")
def openapi_json() -> Response:
    response = jsonify(_document())
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.get("/api/docs")
def docs() -> Response:
    return Response(
        DOCS_HTML,
        mimetype="text/html",
        headers={
            # Everything the page needs is in it: no CDN, no other origin.
            "Content-Security-Policy": "default-src 'none'; script-src 'unsafe-inline'; "
            "style-src 'unsafe-inline'; connect-src 'self'",
            "Cache-Control": "public, max-age=300",
        },
    )


def register(app: Flask) -> None:
    app.register_blueprint(bp)
