"""Every error leaves as JSON ``{"error": "..."}`` with the right status, never a traceback.

One handler, :func:`answer_error`, answers every :class:`~patchwork.errors.PatchworkError`
a view lets through: the status its class declares and its message. Views do not map errors
themselves. The exceptions, all here:

- the database being down: 503 "Database unavailable" with ``Retry-After`` (its message
  may name the host), also for SQLAlchemy's ``OperationalError``;
- storage failures: a fixed text (their messages name keys and paths), worded per surface
  (:func:`storage_failure`, and the two wordings a blueprint picks for itself:
  :func:`storage_failure_serving_files`, :func:`storage_failure_of_a_job`);
- :data:`PREFIXES`: errors whose message reads after a few words saying what failed;
- a range not satisfiable carries ``Content-Range`` (RFC 9110).

:class:`ApiError` is what the HTTP layer itself refuses (a missing field, a token of the wrong
role): its status is per instance, and it may add fields and ``Retry-After``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from flask import Flask, Response, jsonify, request
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from patchwork.archive.maintenance.stats import StatsUnavailable
from patchwork.db import DatabaseUnavailable
from patchwork.errors import PatchworkError
from patchwork.http.ranges import RangeNotSatisfiable
from patchwork.storage import InvalidKey, ObjectNotFound, StorageError

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
DATABASE_UNAVAILABLE = "Database unavailable"
STORAGE_UNAVAILABLE = "Storage unavailable"
FILE_NOT_FOUND = "File not found"
INVALID_STORAGE_KEY = "Invalid storage key"
#: Seconds a client should wait after the database or storage failed.
RETRY_AFTER_OUTAGE = 30

#: Errors shown after a few words saying what failed (the message alone reads as a detail).
PREFIXES: Mapping[type[PatchworkError], str] = {
    StatsUnavailable: "Storage statistics unavailable: ",
}


class ApiError(PatchworkError):
    """An expected failure of the HTTP layer with a status and a message safe to show.

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


def answer_error(exc: PatchworkError) -> Response:
    """The one answer to a domain or HTTP-layer error (see the module docstring)."""
    if isinstance(exc, DatabaseUnavailable):
        return database_unavailable(exc)
    if isinstance(exc, StorageError):
        return storage_failure(exc)
    if isinstance(exc, ApiError):
        response = error_response(exc.status, exc.message, exc.extra)
        if exc.retry_after is not None:
            response.headers["Retry-After"] = str(exc.retry_after)
        return response
    if isinstance(exc, RangeNotSatisfiable):
        # The message names the size, which Content-Range already says.
        response = error_response(exc.status, MESSAGES[416])
        response.headers["Content-Range"] = exc.content_range
        response.headers["Accept-Ranges"] = "bytes"
        return response
    prefix = next((text for cls, text in PREFIXES.items() if isinstance(exc, cls)), "")
    return error_response(exc.status, f"{prefix}{exc}")


def database_unavailable(exc: Exception) -> Response:
    log.error("database unavailable: %s", str(exc).splitlines()[0] if str(exc) else exc)
    response = error_response(503, DATABASE_UNAVAILABLE)
    response.headers["Retry-After"] = str(RETRY_AFTER_OUTAGE)
    return response


def storage_failure(exc: StorageError) -> Response:
    """A storage error's status with a fixed text: its message names keys and paths."""
    if isinstance(exc, ObjectNotFound):
        return error_response(exc.status, FILE_NOT_FOUND)
    if isinstance(exc, InvalidKey):
        return error_response(exc.status, INVALID_STORAGE_KEY)
    log.error("storage failed on %s: %s", request.path, exc)
    response = error_response(exc.status, STORAGE_UNAVAILABLE)
    response.headers["Retry-After"] = str(RETRY_AFTER_OUTAGE)
    return response


def storage_failure_serving_files(exc: StorageError) -> Response:
    """How /media words a storage error: a key the backend refuses is a missing file.

    The keys /media serves come from the archive's rows, never from the request, so a key
    the backend cannot use (e.g. a symlink out of a local archive) names no servable file.
    """
    if isinstance(exc, InvalidKey):
        return error_response(404, FILE_NOT_FOUND)
    return storage_failure(exc)


def storage_failure_of_a_job(exc: StorageError) -> Response:
    """How the worker API words a storage error: 503 naming its class, no ``Retry-After``.

    Every storage error, a missing object included: on a job's route it means storage lost
    what it held, and a 404 would tell the worker its lease is gone. Without ``Retry-After``
    the worker retries on its own backoff, as it always has.
    """
    log.error("storage failed on %s: %s", request.path, exc)
    return error_response(503, f"{STORAGE_UNAVAILABLE}: {type(exc).__name__}")


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(PatchworkError, answer_error)
    app.register_error_handler(OperationalError, database_unavailable)

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

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        log.exception("unhandled error")
        return error_response(500, "Internal server error")
