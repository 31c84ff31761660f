"""Every error leaves as JSON ``{"error": "..."}`` with the right status, never a traceback."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from flask import Flask, Response, jsonify
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from patchwork.db import DatabaseUnavailable

log = logging.getLogger(__name__)

MESSAGES = {
    400: "Bad request",
    401: "Authentication required",
    403: "Forbidden",
    404: "Page not found",  # the original's text for unknown routes
    405: "Method not allowed",
    409: "Conflict",
    413: "Request body too large",
    416: "Range not satisfiable",
    429: "Too many requests",
    503: "Service unavailable",
}


class ApiError(Exception):
    """An expected failure with a status and a message safe to show.

    ``extra`` adds fields to the body beside ``error``: clients that read an answer's fields
    without checking its status (the reference frontend) get the shape they expect.
    """

    def __init__(
        self,
        status: int,
        message: str,
        *,
        retry_after: int | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.retry_after = retry_after
        self.extra = dict(extra or {})


def error_response(status: int, message: str, extra: Mapping[str, Any] | None = None) -> Response:
    # "error" last, so an extra field can never replace the message.
    response = jsonify({**(extra or {}), "error": message})
    response.status_code = status
    return response


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def _api_error(exc: ApiError) -> Response:
        response = error_response(exc.status, exc.message, exc.extra)
        if exc.retry_after is not None:
            response.headers["Retry-After"] = str(exc.retry_after)
        return response

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Response:
        status = exc.code or 500
        message = MESSAGES.get(status) or exc.name
        response = error_response(status, message)
        # Keep headers Werkzeug set on purpose (Allow on 405, WWW-Authenticate on 401).
        for name, value in exc.get_headers():
            if name.lower() != "content-type":
                response.headers[name] = value
        return response

    @app.errorhandler(DatabaseUnavailable)
    @app.errorhandler(OperationalError)
    def _database_down(exc: Exception) -> Response:
        log.error("database unavailable: %s", str(exc).splitlines()[0] if str(exc) else exc)
        response = error_response(503, "Database unavailable")
        response.headers["Retry-After"] = "30"
        return response

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        log.exception("unhandled error")
        return error_response(500, "Internal server error")
