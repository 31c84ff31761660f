"""Errors that mean an HTTP status: raised by any room, answered by one handler.

A service raises the error that says what went wrong (``JobNotFound``, ``BadQuery``); its
class carries the status the HTTP surfaces answer with, so no view maps errors itself
(``patchwork.http.errors`` turns every :class:`PatchworkError` into ``{"error": message}``).
The message is shown to the client: it never holds a secret or a stack trace. The few errors
whose message names internals (storage keys and paths, database hosts) are answered with a
fixed text instead; ``patchwork.http.errors`` lists them.
"""

from __future__ import annotations


class PatchworkError(Exception):
    """An expected failure, safe to show; ``status`` is the HTTP status it answers with.

    A class attribute (each subclass says its status once), which an instance may override
    when its status is only known where it is raised (``patchwork.http.errors.ApiError``).
    """

    status: int = 400


class InvalidInput(PatchworkError):
    """The request itself is wrong (a field, a URL, a query): 400."""

    status = 400


class Forbidden(PatchworkError):
    """The caller is known but may not do this: 403."""

    status = 403


class NotFound(PatchworkError):
    """What the request names does not exist: 404."""

    status = 404


class Conflict(PatchworkError):
    """The request is valid but the state of what it names does not allow it: 409."""

    status = 409


class TooLarge(PatchworkError):
    """A body or file over its bound: 413."""

    status = 413


class NotSatisfiable(PatchworkError):
    """The byte range asked for lies beyond the end of the representation: 416."""

    status = 416


class Unavailable(PatchworkError):
    """A service the request needs is down (database, storage, a provider): 503."""

    status = 503
