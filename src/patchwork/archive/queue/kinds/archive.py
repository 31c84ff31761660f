"""Archive jobs (modes 0 and 1): the staged files become an archived video in one step.

Every staged file is copied to its place in the archive layout (see
:mod:`patchwork.archive.queue.staging`), then the video, its files, captions and channel are
committed in one transaction together with the job's ``done`` state. If a file the worker
uploaded (or says it uploaded) is missing, the answer is a conflict and no row is written.
Mode 0 never replaces a video the archive holds (the job is done, the uploads discarded);
mode 1 does, if the video was archived from the job's own target (decision 0007). A mode-0
job whose video the worker found archived already completes as ``skipped``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import BinaryIO, Final, cast

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from patchwork.archive.availability.policy import DEFAULT_POLICY, CheckPolicy
from patchwork.archive.catalog.records import romanized_name_of
from patchwork.archive.ingest.info_json import VideoMetadata, upsert_video
from patchwork.archive.ingest.targets import Target, normalise_url
from patchwork.archive.ingest.video_files import (
    NewFile,
    delete_unreferenced,
    missing_objects,
    record_video_files,
    write_file,
)
from patchwork.archive.media import layout
from patchwork.archive.queue import staging
from patchwork.archive.queue.kinds.base import ChannelDetails, Completion, CompletionResult
from patchwork.archive.queue.records import (
    Actor,
    InvalidRequest,
    JobConflict,
    JobInfo,
    held_job,
)
from patchwork.archive.queue.states import JobMode
from patchwork.archive.queue.transitions import finish_job
from patchwork.db import Database
from patchwork.db.dialect import read_committed
from patchwork.db.models import Channel, Job, Video
from patchwork.db.retry import retrying
from patchwork.storage import (
    ObjectNotFound,
    Storage,
    StorageError,
    guess_content_type,
    validate_key,
)
from patchwork.storage.streams import HashingReader

log = logging.getLogger(__name__)

NAME: Final = "archive"
MODES: Final[Mapping[JobMode, str]] = {
    JobMode.ARCHIVE: "archive",
    JobMode.REARCHIVE: "force re-archive",
}
REQUIRED_UPLOADS: Final = frozenset({"video"})
# Besides captions/<lang>: the files of one download (decision 0102).
_UPLOADS = frozenset({"video", "thumbnail", "metadata", "channel-avatar", "channel-banner"})


def may_upload(file_kind: str) -> bool:
    return file_kind in _UPLOADS or file_kind.startswith("captions/")


def target(raw: str) -> Target:
    return normalise_url(raw)


def claim_answer(db: Database, job: JobInfo) -> Mapping[str, object]:
    # Besides the URL, mode and target every claim carries: a source's archive options
    # (patchwork.archive.sources.rules.ArchiveOptions), which the worker applies to yt-dlp.
    return {"options": json.loads(job.options)} if job.options else {}


def complete(
    db: Database,
    storage: Storage,
    actor: Actor,
    job: JobInfo,
    report: Completion,
    now: datetime,
    policy: CheckPolicy = DEFAULT_POLICY,
) -> CompletionResult:
    if report.skipped is not None:
        return _complete_skipped(db, actor, job, report.skipped, now)
    return _complete_archive(db, storage, actor, job, report, now)


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
        validate_key(layout.video_key(meta.video_id, "x", "i-00000000"))
        validate_key(layout.channel_image_key(meta.channel_id, "channel-avatar"))
    except (ValueError, StorageError):
        raise InvalidRequest("the video or channel id cannot be used as a storage name") from None

    staged = staging.staged_files(storage, job.id, job.attempts)
    for kind in completion.files or ():
        if kind not in staged:
            raise JobConflict(f"{kind} was not uploaded or is missing in storage")
    for kind in sorted(REQUIRED_UPLOADS):
        if kind not in staged:
            raise JobConflict(f"no {kind} file was uploaded for this job")

    new_files = _write_new_files(db, storage, job, meta.video_id, staged)
    outcome = _Outcome()

    def commit() -> None:
        outcome.reset()
        with db.transaction() as session:
            # Record locks only (no gap locks on MySQL): two completions of neighbouring new
            # ids would otherwise deadlock on the gap their locking reads took.
            read_committed(session)
            held = held_job(session, job.id, actor, now)
            existing = session.scalars(
                select(Video).where(Video.video_id == meta.video_id).with_for_update()
            ).first()
            _check_identity(session, job, meta.video_id, existing)
            if existing is not None and job.mode == JobMode.ARCHIVE:
                # Mode 0 never replaces what the archive holds; mode 1 does.
                outcome.kept = True
                finish_job(
                    session, held, actor, now, f"kept {meta.video_id}: it is already archived"
                )
                return
            _check_still_stored(storage, meta.video_id, new_files)
            details = meta
            channel = completion.channel
            if channel is not None and channel.description is not None:
                details = _with_channel_description(meta, channel.description)
            upsert_video(session, details, source_target=job.target)
            outcome.superseded = record_video_files(session, meta.video_id, new_files)
            _update_channel(session, meta.channel_id, channel)
            finish_job(session, held, actor, now, f"archived {meta.video_id}")

    try:
        retrying(commit, duplicates=True)
    except BaseException:
        # Whatever happened, the new objects go unless a row points at them (a commit whose
        # answer was lost); the served files were never touched.
        delete_unreferenced(db, storage, meta.video_id, {f.key for f in new_files})
        raise
    if outcome.kept:
        delete_unreferenced(db, storage, meta.video_id, {f.key for f in new_files})
    else:
        delete_unreferenced(db, storage, meta.video_id, outcome.superseded)
        _place_channel_images(db, storage, job.id, meta.channel_id, staged)
    _drop_staging(storage, job.id)
    with db.reading() as session:
        done = session.get(Job, job.id)
        assert done is not None
        return CompletionResult(
            JobInfo.of(done),
            video_id=meta.video_id,
            files=[] if outcome.kept else new_files,
            kept_existing=outcome.kept,
        )


def _check_still_stored(storage: Storage, video_id: str, new_files: list[NewFile]) -> None:
    if missing_objects(storage, new_files):
        raise JobConflict(
            f"video {video_id} was deleted while this job ran (its new files were removed "
            "with it); queue it again to archive it anew"
        )


@dataclass
class _Outcome:
    kept: bool = False
    superseded: set[str] = field(default_factory=set)

    def reset(self) -> None:
        self.kept = False
        self.superseded = set()


def _write_new_files(
    db: Database,
    storage: Storage,
    job: JobInfo,
    video_id: str,
    staged: dict[str, staging.StagedFile],
) -> list[NewFile]:
    """Copy the staged files under keys of a fresh version; nothing served is touched."""
    version = layout.job_version(job.id, job.attempts)
    written: list[NewFile] = []
    try:
        for kind in sorted(staged):
            if kind in layout.CHANNEL_IMAGES:
                continue
            item = staged[kind]
            source = storage.iter_object(item.key)
            written.append(write_file(storage, kind, item.ext, video_id, version, source))
    except ObjectNotFound as exc:
        _discard(storage, written)
        raise JobConflict(f"an uploaded file is missing in storage ({exc.key})") from None
    except BaseException:
        _discard(storage, written)
        raise
    return written


def _discard(storage: Storage, written: list[NewFile]) -> None:
    for item in written:
        try:
            storage.delete(item.key)
        except StorageError as exc:
            log.warning("could not delete %s: %s", item.key, exc)


def _check_identity(session: Session, job: JobInfo, video_id: str, existing: Video | None) -> None:
    """The reported id must be the one the job's target stands for (decision 0007).

    A YouTube target names its id (checked before). Any other target is pinned to the id
    its first successful completion reported; and a job may replace a video only if the
    video was archived from the job's own target.
    """
    if job.target.startswith("youtube:"):
        return
    pinned = session.scalars(
        select(Video.video_id).where(Video.source_target == job.target).limit(1)
    ).first()
    if pinned is not None and pinned != video_id:
        raise JobConflict(
            f"{job.url} was archived as video {pinned!r}; this download reports {video_id!r}"
        )
    if (
        existing is not None
        and job.mode == JobMode.REARCHIVE
        and existing.source_target != job.target
    ):
        raise JobConflict(
            f"video {video_id!r} was archived from another source; a job for {job.url} "
            "cannot replace it"
        )


def _complete_skipped(
    db: Database, actor: Actor, job: JobInfo, video_id: str, now: datetime
) -> CompletionResult:
    """A mode-0 job whose video is already in the archive: done, nothing stored."""
    if job.mode != JobMode.ARCHIVE:
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


def _update_channel(session: Session, channel_id: str, details: ChannelDetails | None) -> None:
    channel = session.scalars(select(Channel).where(Channel.channel_id == channel_id)).first()
    if channel is None or details is None:
        return
    if details.name:
        channel.name = details.name
        channel.romanized_name = details.romanized_name or romanized_name_of(details.name)
    elif details.romanized_name:
        channel.romanized_name = details.romanized_name


def _place_channel_images(
    db: Database,
    storage: Storage,
    job_id: int,
    channel_id: str,
    staged: dict[str, staging.StagedFile],
) -> None:
    """After the video's commit: a channel has one avatar and one banner, replaced in place
    (each write is atomic); the flag is set only once the image is stored."""
    placed: list[str] = []
    for kind in layout.CHANNEL_IMAGES:
        item = staged.get(kind)
        if item is None:
            continue
        key = layout.channel_image_key(channel_id, kind)
        try:
            source = HashingReader(storage.iter_object(item.key))
            storage.write(key, cast("BinaryIO", source), content_type=guess_content_type(key))
        except StorageError as exc:
            log.warning("job %d: could not store the %s: %s", job_id, kind, exc)
            continue
        placed.append(kind)
    if not placed:
        return

    def flag() -> None:
        with db.transaction() as session:
            values = {}
            if "channel-avatar" in placed:
                values["has_avatar"] = True
            if "channel-banner" in placed:
                values["has_banner"] = True
            session.execute(
                update(Channel).where(Channel.channel_id == channel_id).values(**values)
            )

    retrying(flag)


def _drop_staging(storage: Storage, job_id: int) -> None:
    """After the commit: the job's staging area is no longer needed."""
    try:
        storage.delete_prefix(staging.staging_prefix(job_id))
    except StorageError as exc:
        log.warning("job %d: could not clean up staging: %s", job_id, exc)
