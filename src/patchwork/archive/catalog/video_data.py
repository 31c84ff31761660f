"""The ``.info.json`` kept in storage for each video, and the captions the API offers."""

from __future__ import annotations

import json
from typing import Any

from patchwork.archive.catalog.videos import video_file
from patchwork.archive.media.captions_srv3 import READABLE, TARGETS
from patchwork.archive.media.objects import list_captions
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


def caption_offers(db: Database, video_id: str) -> dict[str, list[str]]:
    """Per language the video has captions in, the formats Patchwork serves it as.

    srv3 and vtt first (converted on the fly from whichever track is stored), then any
    other stored format. A language held only in formats that cannot be converted is left
    out: the frontend would ask it for srv3 and get a 404.
    """
    stored: dict[str, set[str]] = {}
    for track in list_captions(db, video_id) or []:
        stored.setdefault(track.language, set()).add(track.format)
    return {
        # What the caption routes make of any readable track; the frontend asks for srv3.
        language: [*TARGETS, *sorted(formats - set(TARGETS))]
        for language, formats in sorted(stored.items())
        if formats & set(READABLE)
    }
