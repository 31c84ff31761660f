"""Delete jobs (mode 2): the video's rows go first, then its objects, then the job is done.

The job's target is the video's id (``video:<id>``); its worker uploads nothing and completes
with ``{}``. A retried completion repeats the idempotent steps (decisions 0007, 0104).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Final

from sqlalchemy import delete, select

from patchwork.archive.availability.policy import DEFAULT_POLICY, CheckPolicy
from patchwork.archive.availability.totals import forget_video
from patchwork.archive.catalog.channel_names import count_video
from patchwork.archive.ingest.targets import Target, delete_target
from patchwork.archive.ingest.video_files import remove_video_objects
from patchwork.archive.queue.kinds.base import Completion, CompletionResult
from patchwork.archive.queue.records import Actor, JobInfo, held_job
from patchwork.archive.queue.states import JobMode
from patchwork.archive.queue.transitions import finish_job
from patchwork.db import Database
from patchwork.db.models import (
    AvailabilityCheck,
    Caption,
    StoredFile,
    Video,
    VideoAvailability,
    VideoVersion,
    ViewCount,
)
from patchwork.db.retry import retrying
from patchwork.storage import Storage

NAME: Final = "delete"
MODES: Final[Mapping[JobMode, str]] = {JobMode.DELETE: "delete"}
REQUIRED_UPLOADS: Final[frozenset[str]] = frozenset()


def may_upload(file_kind: str) -> bool:
    return False  # nothing to upload: completing deletes


def target(raw: str) -> Target:
    return delete_target(raw)


def claim_answer(db: Database, job: JobInfo) -> Mapping[str, object]:
    return {}  # ``next_video`` is the id to delete, as the original worker read it


def complete(
    db: Database,
    storage: Storage,
    actor: Actor,
    job: JobInfo,
    report: Completion,
    now: datetime,
    policy: CheckPolicy = DEFAULT_POLICY,
) -> CompletionResult:
    video_id = job.url

    def drop_video() -> None:
        # Rows and objects go in one transaction holding the video's row: a completion or an
        # import that placed a new version of it meanwhile finds its objects gone when it
        # gets the row, and is refused instead of recording rows for them (decision 0007).
        # If deleting an object fails, the rows come back, the job stays leased and the
        # worker's retry deletes what is left.
        with db.transaction() as session:
            held_job(session, job.id, actor, now)
            video = session.scalars(
                select(Video).where(Video.video_id == video_id).with_for_update()
            ).first()
            keys = set(
                session.scalars(
                    select(StoredFile.storage_key).where(StoredFile.video_id == video_id)
                )
            )
            keys.update(
                session.scalars(select(Caption.storage_key).where(Caption.video_id == video_id))
            )
            for info_key, thumbnail_key in session.execute(
                select(VideoVersion.info_key, VideoVersion.thumbnail_key).where(
                    VideoVersion.video_id == video_id
                )
            ):
                keys.update(key for key in (info_key, thumbnail_key) if key)
            # Explicitly, not by cascade: SQLite enforces foreign keys only when asked to.
            forget_video(session, video_id)  # the availability counts, before its row goes
            for model in (
                Caption,
                StoredFile,
                ViewCount,
                VideoVersion,
                AvailabilityCheck,
                VideoAvailability,
            ):
                session.execute(delete(model).where(model.video_id == video_id))
            if video is not None:
                count_video(session, video.channel_id, video.channel_name, video.id, -1)
            session.execute(delete(Video).where(Video.video_id == video_id))
            session.flush()
            # Without the video's row there is no lock to sweep under: a first archive of
            # this id may have placed its version already. Only unversioned keys go then.
            remove_video_objects(storage, video_id, keys, versions=video is not None)

    retrying(drop_video)

    def mark_done() -> JobInfo:
        with db.transaction() as session:
            held = held_job(session, job.id, actor, now)
            finish_job(session, held, actor, now, f"deleted {video_id}")
            session.flush()
            return JobInfo.of(held)

    return CompletionResult(retrying(mark_done), video_id=video_id)
