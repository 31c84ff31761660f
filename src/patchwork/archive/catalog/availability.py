"""A video's availability beside its record, and the stored objects of its metadata versions,
for the answers that show them. The read side itself is :mod:`patchwork.archive.availability.lost`;
what is here joins it to the catalog's reads so that adding availability costs no statement.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Row, bindparam, select
from sqlalchemy.orm import Session

from patchwork.archive.availability.lost import AvailabilityInfo, info_of, version_object_key
from patchwork.archive.availability.policy import CheckPolicy
from patchwork.archive.catalog.records import SUMMARY_COLUMNS, VideoSummary
from patchwork.archive.media.objects import MediaObject, plausible_id, served_object
from patchwork.db import Database
from patchwork.db.models import Video, VideoAvailability

#: What a version keeps in storage, by the file kind its object is served as.
VERSION_OBJECTS = ("metadata", "thumbnail")
#: Version numbers are an INTEGER column; a larger one names no version (and SQLite cannot
#: bind an integer past 64 bits).
MAX_VERSION = 2**31 - 1


#: The columns a video's summary and its availability are made of, and the statement that
#: reads them: built once (a point read that builds its statement and loads ORM objects
#: spends most of its time there, and PyMySQL parses a descriptor per column returned).
_AVAILABILITY_COLUMNS = (
    VideoAvailability.state,
    VideoAvailability.reason,
    VideoAvailability.streak_outcome,
    VideoAvailability.streak_reason,
    VideoAvailability.streak_count,
    VideoAvailability.since,
    VideoAvailability.last_checked_at,
    VideoAvailability.check_from,
    VideoAvailability.checks,
)
#: The video's unique-index read joined to a primary-key probe of its availability.
VIDEO_AND_AVAILABILITY = (
    select(*SUMMARY_COLUMNS, *_AVAILABILITY_COLUMNS)
    .outerjoin(VideoAvailability, VideoAvailability.video_id == Video.video_id)
    .where(Video.video_id == bindparam("video_id"))
)


@dataclass(frozen=True)
class VideoWithAvailability:
    video: VideoSummary
    #: None only for a video without an availability row (the migration gave every video
    #: one; a row written by hand may lack it): the answer says ``unknown``.
    availability: AvailabilityInfo | None


def read_video_and_availability(
    reader: Connection | Session, video_id: str, policy: CheckPolicy
) -> VideoWithAvailability | None:
    """One statement, on a Core connection or inside a read session's transaction."""
    row = reader.execute(VIDEO_AND_AVAILABILITY, {"video_id": video_id}).first()
    return None if row is None else with_availability(row, policy)


def with_availability(row: Row[*tuple[Any, ...]], policy: CheckPolicy) -> VideoWithAvailability:
    """From a row of :data:`VIDEO_AND_AVAILABILITY` (or of a statement adding columns to it)."""
    # An outer join's missing side: every availability column is NULL, state included.
    availability = info_of(row, policy) if row.state is not None else None
    return VideoWithAvailability(VideoSummary.of(row), availability)


def video_with_availability(
    db: Database, video_id: str, policy: CheckPolicy
) -> VideoWithAvailability | None:
    """``/api/video/<id>``: the video and its availability; None for an unknown video."""
    with db.read_connection() as connection:
        return read_video_and_availability(connection, video_id, policy)


def version_object(db: Database, video_id: str, number: int, kind: str) -> MediaObject | None:
    """The ``metadata`` (info.json) or ``thumbnail`` of version ``number`` of ``video_id``,
    as ``/media/history/...`` serves it; None when the version or its object is missing."""
    if kind not in VERSION_OBJECTS or not 1 <= number <= MAX_VERSION or not plausible_id(video_id):
        return None
    key = version_object_key(db, video_id, number, kind)
    return served_object(kind, key, None, None) if key else None
