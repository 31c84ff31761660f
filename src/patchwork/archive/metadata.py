"""The ``.info.json`` kept in storage for each video, read back for the API."""

from __future__ import annotations

import json
from typing import Any

from patchwork.archive.videos import video_file
from patchwork.db import Database
from patchwork.storage import Storage, StorageError

MAX_METADATA_BYTES = 64 * 1024 * 1024


def stored_info(db: Database, storage: Storage, video_id: str) -> dict[str, Any] | None:
    """The video's yt-dlp metadata as stored, or ``None`` when it is missing or unreadable."""
    record = video_file(db, video_id, "metadata")
    if record is None or record.size_bytes > MAX_METADATA_BYTES:
        return None
    try:
        raw = b"".join(storage.iter_object(record.storage_key))
    except (StorageError, ValueError):
        return None
    try:
        info = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None
    return info if isinstance(info, dict) else None
