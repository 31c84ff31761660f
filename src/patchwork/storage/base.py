"""The storage contract shared by every backend: data types, errors and key rules."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO, Protocol, runtime_checkable

from patchwork.errors import OUTAGE_RETRY_AFTER, InvalidInput, NotFound, Unavailable

#: Chunk size used when streaming objects in and out.  Large enough to keep syscall and
#: HTTP overhead low, small enough that many concurrent streams stay cheap.
CHUNK_SIZE = 1024 * 1024

#: S3 refuses keys longer than 1024 UTF-8 bytes; enforcing the same limit everywhere keeps
#: an archive portable between backends.
MAX_KEY_BYTES = 1024


class StorageError(Unavailable):
    """The backend failed (I/O error, unreachable service, permission denied ...): 503.

    Its message names keys and paths: the HTTP surfaces answer it with a fixed text.
    """

    public_message = "Storage unavailable"
    retry_after: int | None = OUTAGE_RETRY_AFTER


class ObjectNotFound(NotFound, StorageError):
    """The requested key does not exist: 404 (``NotFound`` first, so its status wins)."""

    public_message = "File not found"
    retry_after = None

    def __init__(self, key: str) -> None:
        super().__init__(f"object not found: {key!r}")
        self.key = key


class InvalidKey(InvalidInput, StorageError, ValueError):
    """The key is malformed or would escape the storage root: 400 (``InvalidInput`` first)."""

    public_message = "Invalid storage key"
    retry_after = None


@dataclass(frozen=True, slots=True)
class ObjectInfo:
    key: str
    size: int
    #: Last modification time, timezone-aware UTC.
    modified: datetime
    #: Opaque validator, usable as an HTTP ETag (quotes not included).
    etag: str
    #: ``None`` when the backend does not know it cheaply (e.g. S3 listings).
    content_type: str | None


@runtime_checkable
class Storage(Protocol):
    """An object store addressed by ``/``-separated relative keys.

    Readers return iterators that hold an open file or HTTP body; exhaust or ``close()``
    them to release it promptly.  Errors raised by the caller's own ``stream`` in
    :meth:`write` propagate unchanged; backend failures are :class:`StorageError`.
    """

    def stat(self, key: str) -> ObjectInfo | None: ...

    def exists(self, key: str) -> bool: ...

    def read_range(
        self, key: str, start: int, end: int, *, chunk_size: int = CHUNK_SIZE
    ) -> Iterator[bytes]:
        """Yield bytes ``start..end`` inclusive; ``end`` is clamped to the object's size.

        Raises :class:`ObjectNotFound` at call time (not on first iteration) and
        ``ValueError`` when the range is not satisfiable.
        """
        ...

    def iter_object(self, key: str, chunk_size: int = CHUNK_SIZE) -> Iterator[bytes]: ...

    def write(self, key: str, stream: BinaryIO, *, content_type: str | None = None) -> ObjectInfo:
        """Store everything ``stream.read(n)`` returns; readers never see a partial object."""
        ...

    def write_bytes(
        self, key: str, data: bytes, *, content_type: str | None = None
    ) -> ObjectInfo: ...

    def delete(self, key: str) -> None: ...

    def delete_prefix(self, prefix: str) -> int:
        """Delete every object whose key starts with ``prefix`` (non-empty); return the count."""
        ...

    def list(self, prefix: str = "") -> Iterator[ObjectInfo]:
        """Objects whose key starts with ``prefix`` (a plain string prefix, as in S3)."""
        ...

    def direct_url(self, key: str, *, expires_seconds: int = 3600) -> str | None: ...

    def local_path(self, key: str) -> Path | None: ...

    def check(self) -> None: ...

    def describe(self) -> str: ...


@runtime_checkable
class SweepsTempFiles(Protocol):
    """A backend whose writes can leave temp files behind when the process dies mid-write.

    (S3 cannot: an unfinished upload never becomes an object; a bucket lifecycle rule
    should abort incomplete multipart uploads.)
    """

    def remove_temp_files(self, prefix: str, older_than_seconds: float) -> int:
        """Remove temp files under the folder ``prefix`` not written to for that long."""
        ...


def validate_key(key: str) -> str:
    """Return ``key`` unchanged if it is a safe relative object key, else raise InvalidKey."""
    if not isinstance(key, str):
        raise InvalidKey(f"key must be a string, not {type(key).__name__}")
    if not key:
        raise InvalidKey("key must not be empty")
    if key.startswith("/"):
        raise InvalidKey(f"key must be relative: {key!r}")
    if key.endswith("/"):
        raise InvalidKey(f"key must not end with '/': {key!r}")
    _check_characters(key)
    for segment in key.split("/"):
        _check_segment(key, segment)
    return key


def validate_prefix(prefix: str) -> str:
    """Like :func:`validate_key` but allows ``""`` and a trailing ``/``."""
    if prefix == "":
        return prefix
    body = prefix[:-1] if prefix.endswith("/") else prefix
    if not body:
        raise InvalidKey(f"invalid prefix: {prefix!r}")
    # A partial last segment ("captions/ab") is fine, but ".." as a whole segment is not,
    # even as a prefix: nothing could legitimately match it.
    validate_key(body)
    return prefix


def _check_characters(key: str) -> None:
    if "\\" in key:
        # Windows tools and some HTTP clients treat it as a separator: ambiguous.
        raise InvalidKey(f"key must not contain a backslash: {key!r}")
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in key):
        # NUL truncates paths in C APIs; other control characters break headers and logs.
        raise InvalidKey(f"key must not contain control characters: {key!r}")
    try:
        encoded = key.encode("utf-8")
    except UnicodeEncodeError as exc:  # lone surrogates
        raise InvalidKey(f"key is not valid Unicode: {key!r}") from exc
    if len(encoded) > MAX_KEY_BYTES:
        raise InvalidKey(f"key longer than {MAX_KEY_BYTES} bytes")


def _check_segment(key: str, segment: str) -> None:
    if segment in ("", ".", ".."):
        # Empty and "." segments would make two spellings of one file on disk but two
        # different objects on S3; ".." escapes the root.
        raise InvalidKey(f"key has an empty, '.' or '..' segment: {key!r}")


def check_range(start: int, end: int) -> None:
    """Reject byte ranges that no object could satisfy (``end`` is inclusive)."""
    if start < 0 or end < start:
        raise ValueError(f"invalid byte range {start}-{end}")
