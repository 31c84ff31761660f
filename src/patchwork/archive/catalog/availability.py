"""A video's availability beside its record, and the stored objects of its metadata versions,
for the answers that show them. The read side itself is :mod:`patchwork.archive.availability.lost`;
what is here joins it to the catalog's reads so that adding availability costs no statement.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, select

from patchwork.archive.availability.lost import AvailabilityInfo, info_of, version_object_key
from patchwork.archive.availability.policy import CheckPolicy
from patchwork.archive.catalog.records import VideoSummary
from patchwork.archive.media.objects import MediaObject, plausible_id, served_object
from patchwork.db import Database
from patchwork.db.models import Video, VideoAvailability

#: What a version keeps in storage, by the file kind its object is served as.
VERSION_OBJECTS = ("metadata", "thumbnail")
#: Version numbers are an INTEGER column; a larger one names no version (and SQLite cannot
#: bind an integer past 64 bits).
MAX_VERSION = 2**31 - 1


def video_and_availability(video_id: str) -> Select[Video, VideoAvailability]:
    """The video's row and its availability row (None when it has none), in one statement:
    the availability is a primary-key probe joined to the video's unique-index read."""
    return (
        select(Video, VideoAvailability)
        .outerjoin(VideoAvailability, VideoAvailability.video_id == Video.video_id)
        .where(Video.video_id == video_id)
    )


def availability_from(
    row: VideoAvailability | None, policy: CheckPolicy
) -> AvailabilityInfo | None:
    return info_of(row, policy) if row is not None else None


@dataclass(frozen=True)
class VideoWithAvailability:
    video: VideoSummary
    #: None only for a video without an availability row (the migration gave every video
    #: one; a row written by hand may lack it): the answer says ``unknown``.
    availability: AvailabilityInfo | None


def video_with_availability(
    db: Database, video_id: str, policy: CheckPolicy
) -> VideoWithAvailability | None:
    """``/api/video/<id>``: the video and its availability; None for an unknown video."""
    with db.reading() as session:
        found = session.execute(video_and_availability(video_id)).first()
        if found is None:
            return None
        video, row = found
        return VideoWithAvailability(VideoSummary.of(video), availability_from(row, policy))


def version_object(db: Database, video_id: str, number: int, kind: str) -> MediaObject | None:
    """The ``metadata`` (info.json) or ``thumbnail`` of version ``number`` of ``video_id``,
    as ``/media/history/...`` serves it; None when the version or its object is missing."""
    if kind not in VERSION_OBJECTS or not 1 <= number <= MAX_VERSION or not plausible_id(video_id):
        return None
    key = version_object_key(db, video_id, number, kind)
    return served_object(kind, key, None, None) if key else None
