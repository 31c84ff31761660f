"""Errors that mean an HTTP status: raised by any room, answered by one handler.

A service raises the error that says what went wrong (``JobNotFound``, ``BadQuery``); its
class carries the status the HTTP surfaces answer with, so no view maps errors itself
(``patchwork.http.errors`` turns every :class:`PatchworkError` into ``{"error": message}``).
The message is shown to the client: it never holds a secret or a stack trace.
"""

from __future__ import annotations

from typing import ClassVar


class PatchworkError(Exception):
    """An expected failure, safe to show; ``status`` is the HTTP status it answers with."""

    status: ClassVar[int] = 400


class InvalidInput(PatchworkError):
    """The request itself is wrong (a field, a URL, a query): 400."""

    status = 400


class NotFound(PatchworkError):
    """What the request names does not exist: 404."""

    status = 404


class Conflict(PatchworkError):
    """The request is valid but the state of what it names does not allow it: 409."""

    status = 409


class TooLarge(PatchworkError):
    """A body or file over its bound: 413."""

    status = 413


class Unavailable(PatchworkError):
    """A service the request needs is down (database, storage, a provider): 503."""

    status = 503
