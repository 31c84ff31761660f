"""Bounded, chunked I/O between caller streams, files and the backends."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import io
import os
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from patchwork.errors import InvalidInput, TooLarge

from .base import CHUNK_SIZE, StorageError


def read_up_to(stream: BinaryIO, size: int) -> bytes:
    """Read until ``size`` bytes or EOF, asking ``stream`` for at most CHUNK_SIZE at a time.

    Socket-backed request streams return short reads; callers that need "exactly n unless
    at the end" (multipart part sizes) must loop.
    """
    parts: list[bytes] = []
    remaining = size
    while remaining > 0:
        chunk = stream.read(min(CHUNK_SIZE, remaining))
        if not chunk:
            break
        parts.append(chunk)
        remaining -= len(chunk)
    return b"".join(parts)


class ChainedReader:
    """A non-seekable reader: ``head`` (bytes already consumed from ``stream``), then the rest.

    ``read(n)`` returns exactly ``n`` bytes until the end, because s3transfer turns each
    read into one part and S3 rejects non-final parts under 5 MiB.
    """

    def __init__(self, head: bytes, stream: BinaryIO) -> None:
        self._head = head
        self._offset = 0
        self._stream = stream

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        # Keeps s3transfer from seeking/telling to measure the size up front.
        return False

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            size = 1 << 62
        out = bytearray()
        if self._offset < len(self._head):
            take = self._head[self._offset : self._offset + size]
            self._offset += len(take)
            out += take
            if self._offset >= len(self._head):
                self._head = b""  # release the buffer as soon as it has been handed over
                self._offset = 0
        out += read_up_to(self._stream, size - len(out))
        return bytes(out)


def iter_file(key: str, f: io.FileIO, start: int, length: int, chunk_size: int) -> Iterator[bytes]:
    with f:
        if start:
            f.seek(start)
        remaining = length
        while remaining > 0:
            chunk = f.read(min(chunk_size, remaining))
            if not chunk:
                # Writers replace files atomically, so this means someone truncated the
                # file in place; a short body would corrupt the HTTP response.
                raise StorageError(f"{key!r} shrank while being read")
            remaining -= len(chunk)
            yield chunk


def copy_stream(key: str, stream: BinaryIO, f: io.FileIO) -> None:
    while True:
        chunk = stream.read(CHUNK_SIZE)
        if not chunk:
            return
        view = memoryview(chunk)
        try:
            while view:
                written = f.write(view)
                view = view[written:]
        except OSError as exc:
            raise StorageError(f"cannot write {key!r}: {exc}") from exc


def unlink_quietly(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()


def fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return  # not supported on this platform/filesystem
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class StreamTooLarge(TooLarge):
    """More bytes arrived than the limit allows: 413."""


class StreamRejected(InvalidInput):
    """The bytes that arrived are not the ones the sender announced; nothing may keep them: 400.

    Raised from ``read`` *before* the end of the stream is reported, so a storage backend
    writing from the reader aborts (local: the temp file goes; S3: no object, the multipart
    upload is aborted) instead of committing a partial or wrong object.
    """


class StreamIncomplete(StreamRejected):
    """The stream broke or ended before the announced length (a cut or killed upload)."""


class StreamMismatch(StreamRejected):
    """The bytes do not hash to the announced SHA-256."""


class StreamEmpty(StreamRejected):
    """Nothing arrived where something must."""


class HashingReader:
    """A read-only binary stream over chunks that counts and hashes what passes through.

    ``limit`` makes it raise :class:`StreamTooLarge` as soon as more bytes arrive, so an
    oversized upload is stopped while streaming, whatever Content-Length claimed.
    ``expected_size``, ``expected_sha256`` and ``allow_empty`` are checked when the source
    ends; a failed check raises :class:`StreamRejected` instead of reporting the end, and
    so does, with ``from_client``, any error of the source itself (a client that disconnects,
    a cut chunked body).
    """

    def __init__(
        self,
        source: Iterator[bytes] | BinaryIO,
        *,
        limit: int | None = None,
        expected_size: int | None = None,
        expected_sha256: str | None = None,
        allow_empty: bool = True,
        from_client: bool = False,
    ) -> None:
        self._source = source
        self._buffer = b""
        self._done = False
        self._limit = limit
        self._expected_size = expected_size
        self._expected_sha256 = expected_sha256
        self._allow_empty = allow_empty
        self._from_client = from_client
        self._hash = hashlib.sha256()
        self.size = 0
        #: Why the stream was refused, kept in case a backend wraps the exception.
        self.rejected: StreamRejected | StreamTooLarge | None = None
        #: True once the source ended and every check passed.
        self.verified = False

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def hexdigest(self) -> str:
        return self._hash.hexdigest()

    def _refuse(self, error: StreamRejected | StreamTooLarge) -> None:
        self.rejected = error
        raise error

    def _pull(self, want: int) -> bytes:
        try:
            read = getattr(self._source, "read", None)
            if read is not None:  # file objects are iterators too, but of lines: read them
                data = read(want)
                return bytes(data) if data else b""
            return next(self._source, b"")
        except Exception as exc:
            if not self._from_client:
                raise  # e.g. a StorageError of a backend being copied: not the sender's fault
            # Whatever the server's stream raises for a broken body (werkzeug's
            # ClientDisconnected, gunicorn's NoMoreData, OSError), it is the sender's fault.
            self.rejected = StreamIncomplete("the body was cut off before its end")
            raise self.rejected from exc

    def _finish(self) -> None:
        if self._expected_size is not None and self.size != self._expected_size:
            self._refuse(
                StreamIncomplete(
                    f"received {self.size} bytes, but Content-Length said {self._expected_size}"
                )
            )
        if not self._allow_empty and self.size == 0:
            self._refuse(StreamEmpty("the body is empty"))
        if self._expected_sha256 is not None and not hmac.compare_digest(
            self._expected_sha256.encode("ascii", "replace"), self.hexdigest().encode("ascii")
        ):
            self._refuse(StreamMismatch("the bytes received do not match their SHA-256"))
        self.verified = True

    def read(self, size: int | None = -1) -> bytes:
        if self.rejected is not None:
            raise self.rejected
        want = 1024 * 1024 if size is None or size < 0 else size
        while not self._done and len(self._buffer) < want:
            chunk = self._pull(want - len(self._buffer))
            if not chunk:
                self._finish()
                self._done = True
                break
            self.size += len(chunk)
            if self._limit is not None and self.size > self._limit:
                self._refuse(StreamTooLarge(f"more than {self._limit} bytes"))
            if self._expected_size is not None and self.size > self._expected_size:
                self._refuse(StreamIncomplete("more bytes arrived than Content-Length said"))
            self._hash.update(chunk)
            self._buffer += chunk
        if size is None or size < 0:
            parts = [self._buffer]
            self._buffer = b""
            while not self._done:  # a loop, not recursion: "read all" may be gigabytes
                parts.append(self.read(1024 * 1024))
            return b"".join(parts)
        out, self._buffer = self._buffer[:size], self._buffer[size:]
        return out
