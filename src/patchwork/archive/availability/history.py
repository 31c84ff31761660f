"""Metadata history: every version of a video's metadata a check saw, the archived one first.

A check that finds the title, description, channel name, tags or thumbnail URL changed
keeps the earlier version. The first change also records version 1, the metadata as
archived, with copies of the archived info.json and thumbnail: a later re-archive may
replace the served files, never the history. Each version's objects live under
``history/{video_id}/`` (:func:`patchwork.archive.media.layout.history_key`), written
before the transaction that records them (a crash leaves unreferenced objects, never a row
without its object) and deleted only with the video. The video's row shows the newest.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from patchwork.archive.ingest.info_json import MAX_INFO_BYTES, VideoMetadata, parse_info
from patchwork.archive.media import layout
from patchwork.archive.queue.records import JobConflict, JobInfo
from patchwork.archive.queue.staging import StagedFile
from patchwork.archive.search.romanize import romanize
from patchwork.db import Database
from patchwork.db.models import StoredFile, Video, VideoAvailability, VideoVersion
from patchwork.storage import Storage, StorageError
from patchwork.storage.content_types import guess_content_type

log = logging.getLogger(__name__)

#: The fields whose change makes a new version, in the order pages list them.
TRACKED = ("title", "description", "channel_name", "tags", "thumbnail_url")
#: Fields the archive may not know for its archived version (older imports kept no tags).
MAY_BE_UNKNOWN = frozenset({"tags", "thumbnail_url"})


@dataclass(frozen=True)
class Snapshot:
    """The tracked fields of one version of a video's metadata (None: not known)."""

    title: str
    description: str
    channel_name: str
    tags: tuple[str, ...] | None = None
    thumbnail_url: str | None = None

    @classmethod
    def of_meta(cls, meta: VideoMetadata) -> Snapshot:
        return cls(meta.title, meta.description, meta.channel_name, meta.tags, meta.thumbnail_url)


def differences(old: Snapshot, new: Snapshot) -> list[str]:
    """The tracked fields ``new`` changed; one ``old`` does not know is not a change."""
    changed = []
    for name in TRACKED:
        before, after = getattr(old, name), getattr(new, name)
        if before is None and name in MAY_BE_UNKNOWN:
            continue
        if before != after:
            changed.append(name)
    return changed


@dataclass(frozen=True)
class Baseline:
    """What the archive knows of a video's newest metadata, read before a check commits."""

    snapshot: Snapshot
    versions: int  # version rows recorded so far (0: only the archived metadata)
    archived_at: datetime
    archived_info_key: str | None
    archived_thumbnail_key: str | None


def read_baseline(db: Database, storage: Storage, video_id: str) -> Baseline | None:
    """The newest known metadata of ``video_id`` (None: no such video). Tags and thumbnail
    URL not yet known are read from the archived info.json, once."""
    with db.reading() as session:
        video = session.scalars(select(Video).where(Video.video_id == video_id)).first()
        if video is None:
            return None
        row = session.get(VideoAvailability, video_id)
        versions = session.scalar(
            select(func.count()).select_from(VideoVersion).where(VideoVersion.video_id == video_id)
        )
        keys: dict[str, str] = {
            kind: key
            for kind, key in session.execute(
                select(StoredFile.kind, StoredFile.storage_key).where(
                    StoredFile.video_id == video_id,
                    StoredFile.kind.in_(("metadata", "thumbnail")),
                )
            )
        }
        tags = _tags(row.tags) if row is not None else None
        thumbnail = row.thumbnail_url if row is not None else None
        snapshot = Snapshot(video.title, video.description or "", video.channel_name)
        archived_at = video.archived_at
    if tags is None and thumbnail is None and keys.get("metadata"):
        archived = _archived_meta(storage, keys["metadata"])
        if archived is not None:
            tags, thumbnail = archived.tags, archived.thumbnail_url
    return Baseline(
        Snapshot(snapshot.title, snapshot.description, snapshot.channel_name, tags, thumbnail),
        versions or 0,
        archived_at,
        keys.get("metadata"),
        keys.get("thumbnail"),
    )


@dataclass(frozen=True)
class PlacedVersion:
    """A version whose objects are in storage, waiting for its row."""

    number: int
    snapshot: Snapshot
    seen_at: datetime
    changed: list[str] = field(default_factory=list)
    info_key: str | None = None
    thumbnail_key: str | None = None


def place_versions(
    storage: Storage,
    job: JobInfo,
    video_id: str,
    baseline: Baseline,
    new: Snapshot,
    changed: list[str],
    staged: Mapping[str, StagedFile],
    now: datetime,
) -> list[PlacedVersion]:
    """Copy the objects of the versions a changed check adds (the archived one first, if
    this is the first change) under their own history keys."""
    version = layout.job_version(job.id, job.attempts)
    placed: list[PlacedVersion] = []
    number = baseline.versions
    if number == 0:
        number = 1
        placed.append(
            PlacedVersion(
                1,
                baseline.snapshot,
                baseline.archived_at,
                info_key=_copy(storage, baseline.archived_info_key, video_id, 1, version),
                thumbnail_key=_copy(storage, baseline.archived_thumbnail_key, video_id, 1, version),
            )
        )
    number += 1
    metadata = staged.get("metadata")
    thumbnail = staged.get("thumbnail") if "thumbnail_url" in changed else None
    placed.append(
        PlacedVersion(
            number,
            new,
            now,
            changed,
            info_key=_copy(storage, metadata.key if metadata else None, video_id, number, version),
            thumbnail_key=_copy(
                storage, thumbnail.key if thumbnail else None, video_id, number, version
            ),
        )
    )
    return placed


def record_versions(
    session: Session, video: Video, placed: list[PlacedVersion], expected: int, job_id: int
) -> None:
    """Add the placed versions' rows and show the newest on the video (the caller holds the
    video's row lock); :class:`JobConflict` if another check recorded a version meanwhile."""
    count = session.scalar(
        select(func.count())
        .select_from(VideoVersion)
        .where(VideoVersion.video_id == video.video_id)
    )
    if (count or 0) != expected:
        raise JobConflict(f"{video.video_id}'s history changed during this check; retry it")
    for version in placed:
        session.add(
            VideoVersion(
                video_id=video.video_id,
                version=version.number,
                seen_at=version.seen_at,
                title=version.snapshot.title,
                description=version.snapshot.description,
                channel_name=version.snapshot.channel_name,
                tags=_tags_json(version.snapshot.tags),
                thumbnail_url=version.snapshot.thumbnail_url,
                changed=",".join(version.changed) or None,
                info_key=version.info_key,
                thumbnail_key=version.thumbnail_key,
                job_id=job_id,
            )
        )
    newest = placed[-1].snapshot
    video.title = newest.title
    video.romanized_title = romanize(newest.title)
    video.description = newest.description
    video.channel_name = newest.channel_name


def remember_snapshot(row: VideoAvailability, seen: Snapshot) -> None:
    """Keep the fields the video's row has no column for, for the next check to compare."""
    if seen.tags is not None:
        row.tags = _tags_json(seen.tags)
    if seen.thumbnail_url is not None:
        row.thumbnail_url = seen.thumbnail_url


def discard(storage: Storage, placed: list[PlacedVersion]) -> None:
    """Delete placed objects no row will reference (their check did not commit them)."""
    for version in placed:
        for key in (version.info_key, version.thumbnail_key):
            if key and key.startswith(layout.HISTORY_FOLDER + "/"):
                try:
                    storage.delete(key)
                except StorageError as exc:
                    log.warning("could not delete %s: %s", key, exc)


def _copy(
    storage: Storage, source: str | None, video_id: str, number: int, version: str
) -> str | None:
    if not source:
        return None
    ext = (
        layout.METADATA_EXT
        if source.endswith("." + layout.METADATA_EXT)
        else source.rsplit(".", 1)[-1]
    )
    key = layout.history_key(video_id, number, version, ext)
    try:
        data = b"".join(storage.iter_object(source))
        storage.write_bytes(key, data, content_type=guess_content_type(key))
    except StorageError as exc:  # the version is kept without this object, and says so
        log.warning("video %s: version %d kept without %s: %s", video_id, number, source, exc)
        return None
    return key


def _archived_meta(storage: Storage, key: str) -> VideoMetadata | None:
    try:
        data = b"".join(storage.iter_object(key))
        if len(data) > MAX_INFO_BYTES:
            return None
        return parse_info(json.loads(data))
    except (StorageError, ValueError, TypeError) as exc:
        log.info("archived metadata %s unreadable for the history: %s", key, exc)
        return None


def _tags(raw: str | None) -> tuple[str, ...] | None:
    if raw is None:
        return None
    try:
        value: Any = json.loads(raw)
    except ValueError:
        return None
    return tuple(str(tag) for tag in value) if isinstance(value, list) else None


def _tags_json(tags: tuple[str, ...] | None) -> str | None:
    return json.dumps(list(tags), ensure_ascii=False) if tags is not None else None
