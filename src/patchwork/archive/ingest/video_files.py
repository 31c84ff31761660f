"""The one writer of a video's files: objects under fresh keys, rows switched in one step.

Every path that ingests a video (``patchwork import``, a worker's completion, the legacy
copy) goes through here, so they follow one rule
(docs/decisions/0007-one-writer-of-video-files.md):

1. :func:`write_file` stores each new object under a key carrying a fresh version
   (:mod:`patchwork.archive.media.layout`), hashing it on the way. Nothing served is touched.
2. :func:`record_video_files`, inside the caller's transaction, points the video's ``files``
   and ``captions`` rows at the new objects. A kind the new download lacks keeps both its row
   and its object: a re-archive without a thumbnail keeps the old thumbnail. Captions count
   as one kind per language and format.
3. After the commit, :func:`delete_unreferenced` removes the objects that no row points at
   any more. On failure the caller passes the new keys instead, and only those that no row
   references are removed, so a commit whose answer was lost never loses its files.

The legacy copy writes no objects: the original's files are already in storage under their
known keys, and :func:`record_known_videos` records rows for them (an approximate size, never
in place of an exact row, never deleting anything).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import BinaryIO, cast

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from patchwork.archive.media import layout
from patchwork.db import Database
from patchwork.db.models import Caption, StoredFile
from patchwork.db.types import utcnow
from patchwork.storage import Storage, StorageError, guess_content_type
from patchwork.storage.streams import HashingReader

log = logging.getLogger(__name__)
FILE_KINDS = ("video", "thumbnail", "metadata")  # kinds with a ``files`` row
CAPTION_PREFIX = "captions/"


@dataclass(frozen=True)
class NewFile:
    """An object written for a video and not yet referenced by any row."""

    kind: str  # video, thumbnail, metadata or captions/<lang>
    ext: str
    key: str
    size: int
    sha256: str
    content_type: str

    @property
    def language(self) -> str | None:
        return self.kind[len(CAPTION_PREFIX) :] if self.kind.startswith(CAPTION_PREFIX) else None


def write_file(
    storage: Storage,
    kind: str,
    ext: str,
    video_id: str,
    version: str,
    source: Iterator[bytes] | BinaryIO,
) -> NewFile:
    """Store one of a video's files under a fresh key (atomically, streaming, hashed)."""
    key = layout.file_key(kind, ext, video_id, version)
    content_type = guess_content_type(key)
    reader = HashingReader(source)
    info = storage.write(key, cast("BinaryIO", reader), content_type=content_type)
    return NewFile(kind, ext, key, info.size, reader.hexdigest(), content_type)


def record_video_files(session: Session, video_id: str, files: Sequence[NewFile]) -> set[str]:
    """Point the video's rows at ``files``; returns the keys no row references any more.

    The caller holds the video's row (it was just upserted), so no other writer of this
    video's rows runs at the same time.
    """
    superseded: set[str] = set()
    rows = {
        f.kind: f
        for f in session.scalars(select(StoredFile).where(StoredFile.video_id == video_id))
    }
    for item in files:
        if item.kind not in FILE_KINDS:
            continue
        row = rows.get(item.kind)
        if row is None:
            row = StoredFile(video_id=video_id, kind=item.kind)
            session.add(row)
        elif row.storage_key != item.key:
            superseded.add(row.storage_key)
        row.storage_key = item.key
        row.extension = "json" if item.kind == "metadata" else item.ext
        row.size_bytes = item.size
        row.size_is_approximate = False
        row.sha256 = item.sha256
        row.content_type = item.content_type
    captions = [f for f in files if f.language is not None]
    if captions:
        tracks = {
            (c.language, c.format): c
            for c in session.scalars(select(Caption).where(Caption.video_id == video_id))
        }
        for item in captions:
            language = item.language or "und"
            old = tracks.get((language, item.ext))
            if old is not None:
                if old.storage_key != item.key:
                    superseded.add(old.storage_key)
                session.execute(delete(Caption).where(Caption.id == old.id))
            session.add(
                Caption(
                    video_id=video_id,
                    language=language,
                    format=item.ext,
                    storage_key=item.key,
                    size_bytes=item.size,
                    sha256=item.sha256,
                )
            )
    session.flush()
    return superseded - {f.key for f in files}


@dataclass(frozen=True)
class KnownVideo:
    """A video file known to be in storage at ``key`` with a size that is only approximate."""

    video_id: str
    ext: str
    approximate_size: int

    @property
    def key(self) -> str:
        return layout.video_key(self.video_id, self.ext)


def record_known_videos(session: Session, known: Sequence[KnownVideo]) -> int:
    """Record ``video`` rows for objects already in storage; returns how many rows changed.

    A row with an exact size (from an upload, an import or a storage scan) describes the file
    better than any approximate size and is kept as it is; an approximate row follows the
    newest knowledge. No object is deleted: a key no row points at any more is left for
    ``patchwork storage scan`` to report.
    """
    rows = {
        f.video_id: f
        for f in session.scalars(
            select(StoredFile).where(
                StoredFile.video_id.in_([k.video_id for k in known]), StoredFile.kind == "video"
            )
        )
    }
    new_rows: list[dict[str, object]] = []
    changed = 0
    now = utcnow()
    for item in known:
        row = rows.get(item.video_id)
        if row is None:
            new_rows.append(
                {
                    "video_id": item.video_id,
                    "kind": "video",
                    "storage_key": item.key,
                    "extension": item.ext,
                    "size_bytes": item.approximate_size,
                    "size_is_approximate": True,
                    "content_type": guess_content_type(item.key),
                    "created_at": now,
                }
            )
            changed += 1
        elif row.size_is_approximate and (row.size_bytes, row.storage_key) != (
            item.approximate_size,
            item.key,
        ):
            row.size_bytes, row.storage_key, row.extension = (
                item.approximate_size,
                item.key,
                item.ext,
            )
            row.content_type = guess_content_type(item.key)
            changed += 1
    if new_rows:
        session.execute(insert(StoredFile), new_rows)
    return changed


def missing_objects(storage: Storage, files: Sequence[NewFile]) -> list[str]:
    """Keys of ``files`` no longer in storage: a delete of the video swept them.

    Called inside the transaction that records the rows, after the video's row is locked:
    a delete sweeps a video's objects only while it holds that lock (decision 0007), so
    what is there now stays there until this transaction ends.
    """
    return [f.key for f in files if not storage.exists(f.key)]


def referenced_keys(session: Session, video_id: str) -> set[str]:
    keys = set(
        session.scalars(select(StoredFile.storage_key).where(StoredFile.video_id == video_id))
    )
    keys.update(session.scalars(select(Caption.storage_key).where(Caption.video_id == video_id)))
    return keys


def delete_unreferenced(db: Database, storage: Storage, video_id: str, keys: set[str]) -> None:
    """Delete those of ``keys`` that no row of ``video_id`` references (after a commit)."""
    if not keys:
        return
    try:
        with db.reading() as session:
            doomed = keys - referenced_keys(session, video_id)
    except Exception as exc:  # the database is unreachable: keep the objects (orphans)
        log.warning("video %s: kept %d objects, rows unreadable: %s", video_id, len(keys), exc)
        return
    for key in sorted(doomed):
        try:
            storage.delete(key)
        except StorageError as exc:
            log.warning("video %s: could not delete %s: %s", video_id, key, exc)


def remove_video_objects(
    storage: Storage, video_id: str, keys: set[str], *, versions: bool = True
) -> int:
    """Delete a video's objects: the recorded keys and whatever the layout holds for its id
    (earlier versions left by a crash included, unless ``versions`` is false), never those
    of another id.

    Sweeping versioned keys is safe only while the caller holds the video's row lock: a
    writer's new version may be in storage and not yet recorded, and it checks for its
    objects (:func:`missing_objects`) under that lock.
    """
    doomed = set(keys)
    for prefix in layout.video_prefixes(video_id):
        for info in storage.list(prefix):
            parsed = layout.parse_key(info.key)
            if (
                parsed is not None
                and parsed.owner == video_id
                and (versions or parsed.version is None)
                and parsed.kind
                not in (
                    "avatar",
                    "banner",
                )
            ):
                doomed.add(info.key)
    if versions:  # the metadata history's objects, those a crashed check left included
        doomed.update(info.key for info in storage.list(layout.history_prefix(video_id)))
    for key in sorted(doomed):
        storage.delete(key)
    return len(doomed)
