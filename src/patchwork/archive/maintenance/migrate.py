"""``patchwork storage migrate``: copy (or move) an original bucket into Patchwork's layout.

Keys do not change — the database already names every object by its Patchwork key and the
legacy layout only maps them (:mod:`patchwork.storage.legacy_layout`) — so migrating is a
plain copy from the mapped storage to a storage in Patchwork's layout, and no row is
rewritten. Resumable: an object already in the target with the same size is skipped.
Verifiable: each copy's SHA-256 is computed while streaming and compared with the target's
re-read bytes (``verify``); a move deletes the source object only after that check.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from patchwork.archive.maintenance.scan import MAX_LISTED, sha256_of
from patchwork.storage import Storage, StorageError, guess_content_type


@dataclass
class MigrateReport:
    copied: int = 0
    skipped: int = 0  # already in the target
    moved: int = 0  # source deleted after a verified copy
    bytes_copied: int = 0
    failed: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed


class _Hashing:
    """A readable stream over an object's chunks that hashes what passes through."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._buffer = b""
        self.digest = hashlib.sha256()
        self.size = 0

    def read(self, size: int = -1) -> bytes:
        while size < 0 or len(self._buffer) < size:
            chunk = next(self._chunks, None)
            if chunk is None:
                break
            self._buffer += chunk
        if size < 0:
            out, self._buffer = self._buffer, b""
        else:
            out, self._buffer = self._buffer[:size], self._buffer[size:]
        self.digest.update(out)
        self.size += len(out)
        return out

    def readable(self) -> bool:
        return True


def migrate_storage(
    source: Storage,
    target: Storage,
    *,
    move: bool = False,
    verify: bool = True,
    progress: Callable[[int], None] | None = None,
) -> MigrateReport:
    report = MigrateReport()
    for info in source.list(""):
        try:
            existing = target.stat(info.key)
            if existing is not None and existing.size == info.size:
                report.skipped += 1
            else:
                stream = _Hashing(source.iter_object(info.key))
                target.write(info.key, stream, content_type=guess_content_type(info.key))  # type: ignore[arg-type]
                if stream.size != info.size:
                    raise StorageError(f"read {stream.size} bytes, listed {info.size}")
                if verify and sha256_of(target, info.key) != stream.digest.hexdigest():
                    raise StorageError("the copy's SHA-256 differs from the source's")
                report.copied += 1
                report.bytes_copied += stream.size
            if move:
                source.delete(info.key)
                report.moved += 1
        except (StorageError, ValueError) as exc:
            if len(report.failed) < MAX_LISTED:
                report.failed.append(f"{info.key}: {exc}")
            else:
                report.failed.append("…")
        if progress:
            progress(1)
    return report
