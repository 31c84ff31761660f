"""Where the archive keeps a video's files: keys carry a version (archive/layout.py), so
tests ask the rows instead of spelling keys."""

from __future__ import annotations

from sqlalchemy import select

from patchwork.db import Database
from patchwork.db.models import Caption, StoredFile
from patchwork.storage import Storage


def file_key(db: Database, video_id: str, kind: str) -> str:
    """The storage key the ``files`` row of ``kind`` points at."""
    with db.reading() as session:
        key = session.scalar(
            select(StoredFile.storage_key).where(
                StoredFile.video_id == video_id, StoredFile.kind == kind
            )
        )
    assert key is not None, f"{video_id} has no {kind} row"
    return key


def caption_keys(db: Database, video_id: str) -> dict[tuple[str, str], str]:
    """(language, format) -> storage key of each caption row."""
    with db.reading() as session:
        rows = session.execute(
            select(Caption.language, Caption.format, Caption.storage_key).where(
                Caption.video_id == video_id
            )
        ).all()
    return {(language, fmt): key for language, fmt, key in rows}


def stored_bytes(storage: Storage, db: Database, video_id: str, kind: str) -> bytes:
    return b"".join(storage.iter_object(file_key(db, video_id, kind)))


def all_keys(storage: Storage, prefix: str = "") -> set[str]:
    return {info.key for info in storage.list(prefix)}
