"""Filesystem backend: one file per key under a root directory."""

from __future__ import annotations

import io
import os
import secrets
import stat as stat_mod
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO
from urllib.parse import SplitResult, unquote

from .backends import StorageOptions
from .base import (
    CHUNK_SIZE,
    InvalidKey,
    ObjectInfo,
    ObjectNotFound,
    StorageError,
    check_range,
    validate_key,
    validate_prefix,
)
from .content_types import guess_content_type
from .streams import copy_stream, fsync_dir, iter_file, unlink_quietly

#: Temp files live next to their target so os.replace is a same-filesystem rename.  The
#: prefix is reserved: keys may not use it and listings skip it.
TMP_PREFIX = ".patchwork-tmp-"

#: Most filesystems limit a single path component to 255 bytes.
_MAX_SEGMENT_BYTES = 255

# O_NONBLOCK keeps open() from hanging on a FIFO someone placed in the tree; it has no
# effect on regular files.
_READ_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
_CREATE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)


class LocalStorage:
    """Objects stored as files below ``root``; writes are atomic and durable."""

    def __init__(self, root: str | os.PathLike[str], *, create: bool = True) -> None:
        path = Path(root).expanduser().absolute()
        if create:
            try:
                path.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StorageError(f"cannot create storage root {path}: {exc}") from exc
        # Resolved once so that containment checks compare like with like even when the
        # root itself lives behind a symlink (e.g. /srv/archive -> /mnt/disk1/archive).
        self._root = path.resolve()

    @property
    def root(self) -> Path:
        return self._root

    def __repr__(self) -> str:
        return f"LocalStorage({str(self._root)!r})"

    # -- paths ----------------------------------------------------------------------

    def _path(self, key: str) -> Path:
        validate_key(key)
        segments = key.split("/")
        for segment in segments:
            if segment.startswith(TMP_PREFIX):
                raise InvalidKey(f"key uses the reserved temp-file prefix: {key!r}")
            if len(segment.encode("utf-8")) > _MAX_SEGMENT_BYTES:
                raise InvalidKey(f"key segment longer than {_MAX_SEGMENT_BYTES} bytes: {key!r}")
        path = self._root.joinpath(*segments)
        # The key is lexically safe; this catches symlinks (anywhere along the path) that
        # point outside the root.
        if not path.resolve().is_relative_to(self._root):
            raise InvalidKey(f"key resolves outside the storage root: {key!r}")
        return path

    def local_path(self, key: str) -> Path:
        """Where ``key`` lives on disk (the file may not exist)."""
        return self._path(key)

    def direct_url(self, key: str, *, expires_seconds: int = 3600) -> str | None:
        validate_key(key)
        return None

    # -- reading --------------------------------------------------------------------

    def stat(self, key: str) -> ObjectInfo | None:
        path = self._path(key)
        try:
            st = path.stat()
        except (FileNotFoundError, NotADirectoryError):
            return None
        except OSError as exc:
            raise StorageError(f"cannot stat {key!r}: {exc}") from exc
        if not stat_mod.S_ISREG(st.st_mode):
            return None
        return _info(key, st)

    def exists(self, key: str) -> bool:
        return self.stat(key) is not None

    def _open(self, key: str) -> tuple[io.FileIO, int]:
        path = self._path(key)
        try:
            fd = os.open(path, _READ_FLAGS)
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError) as exc:
            raise ObjectNotFound(key) from exc
        except OSError as exc:
            raise StorageError(f"cannot open {key!r}: {exc}") from exc
        try:
            st = os.fstat(fd)
            if not stat_mod.S_ISREG(st.st_mode):
                raise ObjectNotFound(key)  # a directory, FIFO or device is no object
            return io.FileIO(fd, "rb", closefd=True), st.st_size
        except BaseException:
            os.close(fd)
            raise

    def read_range(
        self, key: str, start: int, end: int, *, chunk_size: int = CHUNK_SIZE
    ) -> Iterator[bytes]:
        check_range(start, end)
        f, size = self._open(key)
        if start >= size:
            f.close()
            raise ValueError(f"range start {start} is beyond the object size {size}")
        return iter_file(key, f, start, min(end, size - 1) - start + 1, chunk_size)

    def iter_object(self, key: str, chunk_size: int = CHUNK_SIZE) -> Iterator[bytes]:
        f, size = self._open(key)
        return iter_file(key, f, 0, size, chunk_size)

    # -- writing --------------------------------------------------------------------

    def write(self, key: str, stream: BinaryIO, *, content_type: str | None = None) -> ObjectInfo:
        # content_type is not stored: a file has none, and stat() guesses from the key.
        path = self._path(key)
        fd, tmp = self._create_temp(key, path.parent)
        try:
            with io.FileIO(fd, "wb", closefd=True) as f:
                copy_stream(key, stream, f)
                try:
                    os.fsync(fd)
                    st = os.fstat(fd)
                except OSError as exc:
                    raise StorageError(f"cannot write {key!r}: {exc}") from exc
            try:
                os.replace(tmp, path)
            except OSError as exc:
                raise StorageError(f"cannot write {key!r}: {exc}") from exc
        except BaseException:
            unlink_quietly(tmp)
            raise
        # The rename is only durable once the directory entry is on disk; the database
        # commits a video right after its files are written.
        fsync_dir(path.parent)
        return _info(key, st)

    def write_bytes(self, key: str, data: bytes, *, content_type: str | None = None) -> ObjectInfo:
        return self.write(key, io.BytesIO(data), content_type=content_type)

    def _create_temp(self, key: str, parent: Path) -> tuple[int, Path]:
        # A concurrent delete may prune the freshly created parent directory before the
        # temp file lands in it; a retry recreates it.
        for attempt in range(3):
            tmp = parent / f"{TMP_PREFIX}{secrets.token_hex(8)}.tmp"
            try:
                parent.mkdir(parents=True, exist_ok=True)
                return os.open(tmp, _CREATE_FLAGS, 0o666), tmp
            except FileNotFoundError as exc:
                if attempt == 2:
                    raise StorageError(f"cannot write {key!r}: {exc}") from exc
            except OSError as exc:
                raise StorageError(f"cannot write {key!r}: {exc}") from exc
        raise AssertionError("unreachable")

    # -- deleting -------------------------------------------------------------------

    def delete(self, key: str) -> None:
        path = self._path(key)
        try:
            path.unlink()
        except (FileNotFoundError, NotADirectoryError):
            return
        except IsADirectoryError:
            return  # a directory is not an object
        except OSError as exc:
            if path.is_dir():
                return
            raise StorageError(f"cannot delete {key!r}: {exc}") from exc
        self._prune(path.parent)

    def delete_prefix(self, prefix: str) -> int:
        validate_prefix(prefix)
        if not prefix:
            raise InvalidKey("refusing to delete with an empty prefix (the whole archive)")
        count = 0
        parents: set[Path] = set()
        for info in self.list(prefix):
            path = self._path(info.key)
            try:
                path.unlink()
            except FileNotFoundError:
                continue
            except OSError as exc:
                raise StorageError(f"cannot delete {info.key!r}: {exc}") from exc
            count += 1
            parents.add(path.parent)
        # Deepest first so that emptied parents become removable in turn.
        for parent in sorted(parents, key=lambda p: len(p.parts), reverse=True):
            self._prune(parent)
        return count

    def _prune(self, directory: Path) -> None:
        """Remove empty directories from ``directory`` up to (not including) the root."""
        while directory != self._root and directory.is_relative_to(self._root):
            try:
                directory.rmdir()
            except OSError:
                return  # not empty (or already gone): stop climbing
            directory = directory.parent

    def remove_temp_files(self, prefix: str, older_than_seconds: float) -> int:
        """Remove the temp files of dead writes under the folder ``prefix`` ("" for all).

        A live write keeps touching its temp file, so its modification time says how long
        it has been idle; only files idle for ``older_than_seconds`` go. Returns the count.
        """
        validate_prefix(prefix)
        base = prefix.rstrip("/")
        start = self._root.joinpath(*base.split("/")) if base else self._root
        if not start.resolve().is_relative_to(self._root):
            return 0
        cutoff = time.time() - older_than_seconds
        removed = 0
        # Bottom-up, so that folders emptied of their temp files can be pruned in turn.
        for directory, _subdirs, names in os.walk(start, topdown=False):
            for name in names:
                if not name.startswith(TMP_PREFIX):
                    continue
                path = Path(directory, name)
                try:
                    st = path.lstat()
                    if stat_mod.S_ISREG(st.st_mode) and st.st_mtime <= cutoff:
                        path.unlink()
                        removed += 1
                except OSError:
                    continue  # renamed into place or removed meanwhile
            if removed:
                self._prune(Path(directory))
        return removed

    # -- listing --------------------------------------------------------------------

    def list(self, prefix: str = "") -> Iterator[ObjectInfo]:
        validate_prefix(prefix)
        base, _, _ = prefix.rpartition("/")
        if base:
            start = self._root.joinpath(*base.split("/"))
            if not start.resolve().is_relative_to(self._root):
                return
            yield from self._walk(start, base + "/", prefix)
        else:
            yield from self._walk(self._root, "", prefix)

    def _walk(self, directory: Path, key_prefix: str, want: str) -> Iterator[ObjectInfo]:
        try:
            with os.scandir(directory) as it:
                entries = list(it)
        except (FileNotFoundError, NotADirectoryError):
            return
        except OSError as exc:
            raise StorageError(f"cannot list {directory}: {exc}") from exc
        # Sorting directories as "name/" makes a depth-first walk come out in the same
        # global order as an S3 listing ("a-b" < "a/c" because "-" < "/").
        items: list[tuple[str, bool, os.DirEntry[str]]] = []
        for entry in entries:
            if entry.name.startswith(TMP_PREFIX):
                continue
            key = key_prefix + entry.name
            try:
                validate_key(key)
                is_dir = entry.is_dir(follow_symlinks=False)
            except (InvalidKey, OSError):
                continue  # names no key can address (control chars, undecodable bytes)
            sort_key = key + "/" if is_dir else key
            if is_dir:
                if not (sort_key.startswith(want) or want.startswith(sort_key)):
                    continue
            elif not key.startswith(want):
                continue
            items.append((sort_key, is_dir, entry))
        items.sort(key=lambda item: item[0])
        for sort_key, is_dir, entry in items:
            if is_dir:
                yield from self._walk(Path(entry.path), sort_key, want)
            else:
                info = self._entry_info(sort_key, entry)
                if info is not None:
                    yield info

    def _entry_info(self, key: str, entry: os.DirEntry[str]) -> ObjectInfo | None:
        try:
            if entry.is_symlink() and not Path(entry.path).resolve().is_relative_to(self._root):
                return None
            st = entry.stat()
        except OSError:
            return None  # deleted meanwhile, or a dangling link
        if not stat_mod.S_ISREG(st.st_mode):
            return None
        return _info(key, st)

    # -- health -----------------------------------------------------------------------

    def check(self) -> None:
        if not self._root.is_dir():
            raise StorageError(f"storage root {self._root} is not a directory")
        if not os.access(self._root, os.W_OK | os.X_OK):
            raise StorageError(f"storage root {self._root} is not writable")

    def describe(self) -> str:
        return self._root.as_uri()


def open_file_url(url: SplitResult, _options: StorageOptions) -> LocalStorage:
    """The ``file`` backend: ``file:///absolute/path`` (percent-encoded, as Path.as_uri)."""
    if url.netloc not in ("", "localhost"):
        raise ValueError(f"file storage URL must be file:///absolute/path, got host {url.netloc!r}")
    if url.query or url.fragment:
        raise ValueError("file storage URL must not have a query or fragment")
    path = unquote(url.path)
    if not path.startswith("/"):
        raise ValueError("file storage URL must hold an absolute path")
    return LocalStorage(Path(path))


def _info(key: str, st: os.stat_result) -> ObjectInfo:
    ns = st.st_mtime_ns
    modified = datetime.fromtimestamp(ns // 1_000_000_000, UTC).replace(
        microsecond=(ns % 1_000_000_000) // 1000
    )
    return ObjectInfo(
        key=key,
        size=st.st_size,
        modified=modified,
        # Changes whenever the file is replaced, without reading it.
        etag=f"{st.st_size:x}-{ns:x}",
        content_type=guess_content_type(key),
    )
