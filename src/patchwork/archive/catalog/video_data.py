"""What ``/api/database/video_data/<id>`` answers: a video and its availability, its files, its
stored ``.info.json`` and the captions the API offers, read in one transaction."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from patchwork.archive.availability.lost import AvailabilityInfo
from patchwork.archive.availability.policy import CheckPolicy
from patchwork.archive.catalog.availability import read_video_and_availability
from patchwork.archive.catalog.records import FileInfo, VideoSummary
from patchwork.archive.catalog.videos import files_of
from patchwork.archive.media.captions_srv3 import READABLE, TARGETS
from patchwork.archive.media.objects import CaptionTrack, captions_of
from patchwork.db import Database
from patchwork.storage import Storage, StorageError

MAX_METADATA_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class VideoData:
    video: VideoSummary
    #: The video file and the stored ``.info.json`` (``None`` when the archive has none).
    file: FileInfo | None
    metadata: FileInfo | None
    captions: list[CaptionTrack]
    #: None only for a video without an availability row (answered as ``unknown``).
    availability: AvailabilityInfo | None = None


def video_data(db: Database, video_id: str, policy: CheckPolicy) -> VideoData | None:
    """The video and what its answer needs from the database, in one read transaction
    (three queries: the video joined to its availability, its video and metadata files, its
    captions)."""
    with db.reading() as session:
        found = read_video_and_availability(session, video_id, policy)
        if found is None:
            return None
        files = files_of(session, video_id, ("video", "metadata"))
        return VideoData(
            video=found.video,
            file=files.get("video"),
            metadata=files.get("metadata"),
            captions=captions_of(session, video_id),
            availability=found.availability,
        )


def stored_info(storage: Storage, metadata: FileInfo | None) -> dict[str, Any] | None:
    """The video's yt-dlp metadata as stored, or ``None`` when it is missing or unreadable."""
    if metadata is None or metadata.size_bytes > MAX_METADATA_BYTES:
        return None
    try:
        raw = b"".join(storage.iter_object(metadata.storage_key))
    except (StorageError, ValueError):
        return None
    try:
        info = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None
    return info if isinstance(info, dict) else None


def caption_offers(tracks: list[CaptionTrack]) -> dict[str, list[str]]:
    """Per language the video has captions in, the formats Patchwork serves it as.

    srv3 and vtt first (converted on the fly from whichever track is stored), then any
    other stored format. A language held only in formats that cannot be converted is left
    out: the frontend would ask it for srv3 and get a 404.
    """
    stored: dict[str, set[str]] = {}
    for track in tracks:
        stored.setdefault(track.language, set()).add(track.format)
    return {
        # What the caption routes make of any readable track; the frontend asks for srv3.
        language: [*TARGETS, *sorted(formats - set(TARGETS))]
        for language, formats in sorted(stored.items())
        if formats & set(READABLE)
    }
