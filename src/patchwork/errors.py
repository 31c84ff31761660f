"""Errors that mean an HTTP status: raised by any room, answered by one handler.

A service raises the error that says what went wrong (``JobNotFound``, ``BadQuery``); its
class carries the status the HTTP surfaces answer with, so no view maps errors itself
(``patchwork.http.errors`` turns every :class:`PatchworkError` into ``{"error": message}``).
The message is shown to the client: it never holds a secret or a stack trace. An error whose
message names internals (storage keys and paths, database hosts) declares the fixed text shown
instead (:attr:`PatchworkError.public_message`); one that asks the client to come back later
declares when (:attr:`PatchworkError.retry_after`).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

#: Seconds a client should wait after the database or storage failed.
OUTAGE_RETRY_AFTER = 30


class PatchworkError(Exception):
    """An expected failure, safe to show; ``status`` is the HTTP status it answers with.

    Class attributes (each subclass says them once), which an instance may override when they
    are only known where it is raised (``patchwork.http.errors.ApiError``).
    """

    status: int = 400
    #: Shown in place of the message, for errors whose message names internals.
    public_message: str | None = None
    #: ``Retry-After`` seconds, for errors that will pass.
    retry_after: int | None = None
    #: Fields of the answer beside ``error`` (clients that read fields without the status).
    extra: Mapping[str, Any] = MappingProxyType({})

    def shown_message(self) -> str:
        return self.public_message or str(self)

    def headers(self) -> dict[str, str]:
        """The answer's headers this error needs."""
        return {} if self.retry_after is None else {"Retry-After": str(self.retry_after)}


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
