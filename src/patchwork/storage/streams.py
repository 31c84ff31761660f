"""Bounded, chunked I/O between caller streams, files and the backends."""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

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


class StreamTooLarge(Exception):
    """More bytes arrived than the limit allows."""


class HashingReader:
    """A read-only binary stream over chunks that counts and hashes what passes through.

    ``limit`` makes it raise :class:`StreamTooLarge` as soon as more bytes arrive, so an
    oversized upload is stopped while streaming, whatever Content-Length claimed.
    """

    def __init__(self, source: Iterator[bytes] | BinaryIO, *, limit: int | None = None) -> None:
        self._source = source
        self._buffer = b""
        self._done = False
        self._limit = limit
        self._hash = hashlib.sha256()
        self.size = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def hexdigest(self) -> str:
        return self._hash.hexdigest()

    def _pull(self, want: int) -> bytes:
        read = getattr(self._source, "read", None)
        if read is not None:  # file objects are iterators too, but of lines: read them
            data = read(want)
            return bytes(data) if data else b""
        return next(self._source, b"")

    def read(self, size: int | None = -1) -> bytes:
        want = 1024 * 1024 if size is None or size < 0 else size
        while not self._done and len(self._buffer) < want:
            chunk = self._pull(want - len(self._buffer))
            if not chunk:
                self._done = True
                break
            self.size += len(chunk)
            if self._limit is not None and self.size > self._limit:
                raise StreamTooLarge(f"more than {self._limit} bytes")
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
