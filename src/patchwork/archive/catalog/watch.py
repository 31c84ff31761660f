"""What the viewer pages need beyond the API's listings: a watch page's details, caption
text as WebVTT, the URLs of the jobs workers are on."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from patchwork.archive.availability.lost import AvailabilityInfo
from patchwork.archive.availability.policy import DEFAULT_POLICY, CheckPolicy
from patchwork.archive.catalog.availability import VIDEO_AND_AVAILABILITY, with_availability
from patchwork.archive.catalog.records import FileInfo, VideoSummary
from patchwork.archive.catalog.videos import files_of
from patchwork.archive.media.captions_vtt import CONVERTIBLE, MAX_CONVERT_BYTES, to_webvtt
from patchwork.archive.media.objects import (
    CaptionTrack,
    caption_object,
    captions_of,
    list_captions,
    plausible_id,
)
from patchwork.db import Database
from patchwork.db.models import Job, Video, ViewCount
from patchwork.storage import Storage, StorageError

#: Caption files bigger than this are not converted (the one bound of every converter).
MAX_CAPTION_BYTES = MAX_CONVERT_BYTES


@dataclass(frozen=True)
class WatchDetails:
    video: VideoSummary
    source_url: str | None
    platform: str
    duration: int | None
    archived_at: datetime
    file: FileInfo | None
    has_thumbnail: bool
    captions: list[CaptionTrack]
    views: int
    availability: AvailabilityInfo | None = None  # None: the video has no availability row

    @property
    def caption_languages(self) -> list[str]:
        """One track per language, in the order stored (vtt is served as is, others converted)."""
        seen: list[str] = []
        for track in self.captions:
            if track.format in CONVERTIBLE and track.language not in seen:
                seen.append(track.language)
        return seen


#: The point read of /api/video, plus what only the page shows and the view count.
_WATCH_READ = VIDEO_AND_AVAILABILITY.add_columns(
    Video.source_url,
    Video.platform,
    Video.duration,
    Video.archived_at,
    ViewCount.count.label("views"),  # not "count": a row is a tuple, and has count()
).outerjoin(ViewCount, ViewCount.video_id == Video.video_id)


def watch_details(
    db: Database, video_id: str, policy: CheckPolicy = DEFAULT_POLICY
) -> WatchDetails | None:
    """Everything the watch page shows of a video, read in one transaction (three queries:
    the video with its view count and availability, its video and thumbnail files, its
    captions)."""
    if not plausible_id(video_id):
        return None
    with db.reading() as session:
        row = session.execute(_WATCH_READ, {"video_id": video_id}).first()
        if row is None:
            return None
        found = with_availability(row, policy)
        files = files_of(session, video_id, ("video", "thumbnail"))
        return WatchDetails(
            video=found.video,
            source_url=row.source_url,
            platform=row.platform,
            duration=row.duration,
            archived_at=row.archived_at,
            file=files.get("video"),
            has_thumbnail="thumbnail" in files,
            captions=captions_of(session, video_id),
            views=row.views or 0,
            availability=found.availability,
        )


def caption_as_webvtt(db: Database, storage: Storage, video_id: str, language: str) -> str | None:
    """The language's best convertible track as WebVTT text; ``None`` when there is none."""
    tracks = list_captions(db, video_id)
    if not tracks:
        return None
    formats = [t.format for t in tracks if t.language == language and t.format in CONVERTIBLE]
    if not formats:
        return None
    fmt = min(formats, key=CONVERTIBLE.index)
    found = caption_object(db, video_id, language, fmt)
    if found is None or (found.size_bytes or 0) > MAX_CAPTION_BYTES:
        return None
    try:
        raw = b"".join(storage.iter_object(found.storage_key))
    except (StorageError, ValueError):
        return None
    if len(raw) > MAX_CAPTION_BYTES:
        return None
    return to_webvtt(raw.decode("utf-8-sig", errors="replace"), fmt)


def job_urls(db: Database, job_ids: list[int]) -> dict[int, str]:
    """The URLs of the given jobs (for "currently archiving …" on the status page)."""
    if not job_ids:
        return {}
    with db.reading() as session:
        rows = session.execute(select(Job.id, Job.url).where(Job.id.in_(job_ids))).all()
    return {int(i): u for i, u in rows}
