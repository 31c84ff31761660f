"""Every error leaves as JSON ``{"error": "..."}`` with the right status, never a traceback.

One handler, :func:`answer_error`, answers every :class:`~patchwork.errors.PatchworkError`
a view lets through with what the error itself declares: its status, the message it shows
(a fixed text where the message names internals: storage keys, database hosts), its headers
(``Retry-After``, ``Content-Range``) and any extra fields. Views do not map errors. What a
surface words its own way is one handler it registers on its blueprint (the two storage
wordings below); SQLAlchemy's ``OperationalError`` is answered as the database being down.

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

from patchwork.db import DatabaseUnavailable
from patchwork.errors import PatchworkError
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
    """The one answer to a domain or HTTP-layer error: what the error declares."""
    if exc.status >= 500:
        # The shown text hides the details (hosts, keys); the log keeps them.
        detail = str(exc).splitlines()[0] if str(exc) else ""
        log.error("%s on %s: %s", type(exc).__name__, request.path, detail)
    response = error_response(exc.status, exc.shown_message(), exc.extra)
    response.headers.update(exc.headers())
    return response


def database_unavailable(exc: OperationalError) -> Response:
    return answer_error(DatabaseUnavailable(str(exc)))


def storage_failure_serving_files(exc: StorageError) -> Response:
    """How /media words a storage error: a key the backend refuses is a missing file.

    The keys /media serves come from the archive's rows, never from the request, so a key
    the backend cannot use (e.g. a symlink out of a local archive) names no servable file.
    """
    if isinstance(exc, InvalidKey):
        return answer_error(ObjectNotFound(str(exc)))
    return answer_error(exc)


def storage_failure_of_a_job(exc: StorageError) -> Response:
    """How the worker API words a storage error: 503 naming its class, no ``Retry-After``.

    Every storage error, a missing object included: on a job's route it means storage lost
    what it held, and a 404 would tell the worker its lease is gone. Without ``Retry-After``
    the worker retries on its own backoff, as it always has.
    """
    log.error("storage failed on %s: %s", request.path, exc)
    return error_response(503, f"{StorageError.public_message}: {type(exc).__name__}")


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
