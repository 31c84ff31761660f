"""Completing a job: the staged files become an archived video in one step.

Archive jobs (modes 0 and 1): every staged file is copied to its place in the archive layout
(see :mod:`patchwork.archive.job_files`), then the video, its files, captions and channel
are committed in one transaction together with the job's ``done`` state. If a file the
worker uploaded (or says it uploaded) is missing, the answer is a conflict and no row is
written. Delete jobs (mode 2): the video's rows go first, then its objects, then the job is
marked done; a retried completion repeats the idempotent steps. Completing a done job again
is harmless: it reports the job as done and changes nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from patchwork.archive import job_files
from patchwork.archive.ingest import VideoMetadata, upsert_video
from patchwork.archive.queue import (
    Actor,
    InvalidRequest,
    JobConflict,
    JobInfo,
    JobNotFound,
    finish_job,
    held_job,
    retrying,
)
from patchwork.archive.romanize import romanize
from patchwork.db import Database
from patchwork.db.models import Caption, Channel, Job, StoredFile, Video, ViewCount
from patchwork.db.types import utcnow
from patchwork.storage import ObjectNotFound, Storage, StorageError, validate_key

log = logging.getLogger(__name__)
FILE_KINDS = ("video", "thumbnail", "metadata")  # kinds with a ``files`` row


@dataclass(frozen=True)
class ChannelDetails:
    name: str | None = None
    description: str | None = None
    romanized_name: str | None = None


@dataclass(frozen=True)
class Completion:
    """What a worker reports when it finishes an archive job."""

    video: VideoMetadata | None = None
    channel: ChannelDetails | None = None
    # Kinds the worker says it uploaded; each must be staged. None: whatever is staged.
    files: tuple[str, ...] | None = None
    # Mode 0 only: the worker found this video already archived and downloaded nothing.
    skipped: str | None = None


@dataclass(frozen=True)
class CompletionResult:
    job: JobInfo
    already_done: bool = False
    video_id: str | None = None
    files: list[job_files.PlacedFile] = field(default_factory=list)


def complete_job(
    db: Database,
    storage: Storage,
    actor: Actor,
    job_id: int,
    completion: Completion,
    *,
    now: datetime | None = None,
) -> CompletionResult:
    now = now or utcnow()
    with db.reading() as session:
        job = session.get(Job, job_id)
        if job is None:
            raise JobNotFound(f"no job {job_id}")
        if job.state == "done":
            return CompletionResult(JobInfo.of(job), already_done=True)
        info = JobInfo.of(job)
    # Refuse early without locking; the lease is checked again, locked, when committing.
    if info.state != "leased" or info.lease_token_id != actor.token_id:
        raise JobConflict(f"job {job_id} is not leased to you (it is {info.state})")
    if info.lease_expires_at is None or info.lease_expires_at <= now:
        raise JobConflict(f"your lease on job {job_id} has expired")
    if info.mode == 2:
        return _complete_delete(db, storage, actor, info, now)
    if completion.skipped is not None:
        return _complete_skipped(db, actor, info, completion.skipped, now)
    return _complete_archive(db, storage, actor, info, completion, now)


def _complete_archive(
    db: Database,
    storage: Storage,
    actor: Actor,
    job: JobInfo,
    completion: Completion,
    now: datetime,
) -> CompletionResult:
    meta = completion.video
    if meta is None:
        raise InvalidRequest("the video's metadata is required to complete an archive job")
    expected = job.target.partition(":")
    if expected[0] == "youtube" and meta.video_id != expected[2]:
        raise InvalidRequest(f"metadata is for video {meta.video_id!r}, the job is {job.target}")
    try:
        validate_key(f"video/{meta.video_id}.x")
        validate_key(f"channels/{meta.channel_id}/avatar.jpg")
    except (ValueError, StorageError):
        raise InvalidRequest("the video or channel id cannot be used as a storage name") from None

    staged = job_files.staged_files(storage, job.id, job.attempts)
    for kind in completion.files or ():
        if kind not in staged:
            raise JobConflict(f"{kind} was not uploaded or is missing in storage")
    if "video" not in staged:
        raise JobConflict("no video file was uploaded for this job")

    placed: list[job_files.PlacedFile] = []
    try:
        for kind in sorted(staged):
            item = staged[kind]
            key = job_files.final_key(kind, item.ext, meta.video_id, meta.channel_id)
            placed.append(job_files.place(storage, item, key))
    except ObjectNotFound as exc:
        raise JobConflict(f"an uploaded file is missing in storage ({exc.key})") from None

    superseded: set[str] = set()

    def commit() -> None:
        superseded.clear()
        with db.transaction() as session:
            held = held_job(session, job.id, actor, now)
            channel = completion.channel
            details = meta
            if channel is not None and channel.description is not None:
                details = _with_channel_description(meta, channel.description)
            upsert_video(session, details)
            _record_files(session, meta.video_id, placed, superseded)
            _update_channel(session, meta.channel_id, channel, placed)
            finish_job(session, held, actor, now, f"archived {meta.video_id}")

    retrying(commit)
    _cleanup(storage, job.id, superseded)
    with db.reading() as session:
        done = session.get(Job, job.id)
        assert done is not None
        return CompletionResult(JobInfo.of(done), video_id=meta.video_id, files=placed)


def _complete_skipped(
    db: Database, actor: Actor, job: JobInfo, video_id: str, now: datetime
) -> CompletionResult:
    """A mode-0 job whose video is already in the archive: done, nothing stored."""
    if job.mode != 0:
        raise InvalidRequest("only a mode-0 job can be skipped as already archived")

    def run() -> JobInfo:
        with db.transaction() as session:
            held = held_job(session, job.id, actor, now)
            if session.scalar(select(Video.id).where(Video.video_id == video_id)) is None:
                raise JobConflict(f"{video_id} is not archived, so the job cannot be skipped")
            finish_job(session, held, actor, now, f"skipped: {video_id} is already archived")
            session.flush()
            return JobInfo.of(held)

    return CompletionResult(retrying(run), video_id=video_id)


def _with_channel_description(meta: VideoMetadata, description: str) -> VideoMetadata:
    return replace(meta, channel_description=description)


def _record_files(
    session: Session, video_id: str, placed: list[job_files.PlacedFile], superseded: set[str]
) -> None:
    kept = {p.key for p in placed}
    old_files = {
        f.kind: f
        for f in session.scalars(select(StoredFile).where(StoredFile.video_id == video_id))
    }
    old_captions = list(session.scalars(select(Caption).where(Caption.video_id == video_id)))
    superseded.update(f.storage_key for f in old_files.values() if f.storage_key not in kept)
    superseded.update(c.storage_key for c in old_captions if c.storage_key not in kept)
    for item in placed:
        if item.kind in FILE_KINDS:
            row = old_files.get(item.kind) or StoredFile(video_id=video_id, kind=item.kind)
            row.storage_key = item.key
            row.extension = item.ext if item.kind != "metadata" else "json"
            row.size_bytes = item.size
            row.size_is_approximate = False
            row.sha256 = item.sha256
            row.content_type = item.content_type
            session.add(row)
            old_files.pop(item.kind, None)
    if any(p.kind.startswith("captions/") for p in placed) or old_captions:
        session.execute(delete(Caption).where(Caption.video_id == video_id))
        session.flush()
    for item in placed:
        if item.kind.startswith("captions/"):
            session.add(
                Caption(
                    video_id=video_id,
                    language=item.kind.split("/", 1)[1],
                    format=item.ext,
                    storage_key=item.key,
                    size_bytes=item.size,
                    sha256=item.sha256,
                )
            )
    session.flush()


def _update_channel(
    session: Session,
    channel_id: str,
    details: ChannelDetails | None,
    placed: list[job_files.PlacedFile],
) -> None:
    channel = session.scalars(select(Channel).where(Channel.channel_id == channel_id)).first()
    if channel is None:
        return
    kinds = {p.kind for p in placed}
    if "channel-avatar" in kinds:
        channel.has_avatar = True
    if "channel-banner" in kinds:
        channel.has_banner = True
    if details is not None and details.name:
        channel.name = details.name
        channel.romanized_name = details.romanized_name or romanize(details.name)
    elif details is not None and details.romanized_name:
        channel.romanized_name = details.romanized_name


def _cleanup(storage: Storage, job_id: int, superseded: set[str]) -> None:
    """After the commit: drop the staging area and objects no row points at any more."""
    try:
        storage.delete_prefix(job_files.staging_prefix(job_id))
        for key in superseded:
            storage.delete(key)
    except StorageError as exc:
        log.warning("job %d: could not clean up storage: %s", job_id, exc)


def _complete_delete(
    db: Database, storage: Storage, actor: Actor, job: JobInfo, now: datetime
) -> CompletionResult:
    video_id = job.url
    keys: set[str] = set()

    def drop_rows() -> None:
        with db.transaction() as session:
            held_job(session, job.id, actor, now)
            keys.update(
                session.scalars(
                    select(StoredFile.storage_key).where(StoredFile.video_id == video_id)
                )
            )
            keys.update(
                session.scalars(select(Caption.storage_key).where(Caption.video_id == video_id))
            )
            for model in (Caption, StoredFile, ViewCount):
                session.execute(delete(model).where(model.video_id == video_id))
            session.execute(delete(Video).where(Video.video_id == video_id))

    retrying(drop_rows)
    # Rows first: if deleting objects fails the job stays leased and the worker retries;
    # the video is already invisible, and the next completion deletes what is left.
    job_files.remove_video_objects(storage, video_id, keys)

    def mark_done() -> JobInfo:
        with db.transaction() as session:
            held = held_job(session, job.id, actor, now)
            finish_job(session, held, actor, now, f"deleted {video_id}")
            session.flush()
            return JobInfo.of(held)

    return CompletionResult(retrying(mark_done), video_id=video_id)
