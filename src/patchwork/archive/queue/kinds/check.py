"""Check jobs (mode 4): a worker re-extracts a video's metadata and says whether it is still
on its site (docs/availability.md).

The target is ``check:<video_id>``, the URL the video's page. Check jobs are queued by the
scheduler (:mod:`patchwork.archive.availability.scheduling`) or by ``patchwork availability
check``, never by ``POST /api/worker/queue``. The claim carries ``check``: the video's id
and the thumbnail URL the archive knows (the worker fetches the thumbnail only when the
site's differs). The worker uploads the fresh info.json (``metadata``) and a changed
thumbnail, then completes with ``check: {outcome, reason, message}`` and, when available,
``video``. Every outcome completes the job: the answer is kept as evidence, and only the
two-answer rule (:mod:`patchwork.archive.availability.rule`) moves the video's state.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Final

from sqlalchemy import select

from patchwork.archive.availability import history
from patchwork.archive.availability.check_jobs import video_of_target
from patchwork.archive.availability.observations import CheckReport, record_observation
from patchwork.archive.availability.policy import DEFAULT_POLICY, CheckPolicy
from patchwork.archive.availability.reasons import Outcome
from patchwork.archive.ingest.targets import Target, TargetError
from patchwork.archive.queue import staging
from patchwork.archive.queue.kinds.base import Completion, CompletionResult
from patchwork.archive.queue.records import Actor, InvalidRequest, JobInfo, held_job
from patchwork.archive.queue.states import JobMode
from patchwork.archive.queue.transitions import finish_job
from patchwork.db import Database
from patchwork.db.models import Video, VideoAvailability
from patchwork.db.retry import retrying
from patchwork.storage import Storage, StorageError

log = logging.getLogger(__name__)

NAME: Final = "check"
MODES: Final[Mapping[JobMode, str]] = {JobMode.CHECK: "check a video"}
REQUIRED_UPLOADS: Final[frozenset[str]] = frozenset()


def may_upload(file_kind: str) -> bool:
    return file_kind in ("metadata", "thumbnail")


def target(raw: str) -> Target:
    raise TargetError("check jobs are queued by the archive: use patchwork availability check")


def claim_answer(db: Database, job: JobInfo) -> Mapping[str, object]:
    video_id = video_of_target(job.target)
    with db.reading() as session:
        row = session.get(VideoAvailability, video_id) if video_id else None
        thumbnail = row.thumbnail_url if row is not None else None
    return {"check": {"video_id": video_id, "url": job.url, "thumbnail_url": thumbnail}}


def complete(
    db: Database,
    storage: Storage,
    actor: Actor,
    job: JobInfo,
    report: Completion,
    now: datetime,
    policy: CheckPolicy = DEFAULT_POLICY,
) -> CompletionResult:
    check = report.check
    if check is None:
        raise InvalidRequest("a check job completes with check: {outcome, reason, message}")
    video_id = video_of_target(job.target) or ""
    meta = report.video if check.outcome == Outcome.AVAILABLE else None
    if check.outcome == Outcome.AVAILABLE and meta is None:
        raise InvalidRequest("an available check sends the video's metadata as video")
    if meta is not None and meta.video_id != video_id:
        # A redirect to another video says nothing about this one: kept, changes nothing.
        check = CheckReport(
            Outcome.INCONCLUSIVE, "other-video", f"the site answered with video {meta.video_id!r}"
        )
        meta = None

    placed: list[history.PlacedVersion] = []
    baseline = history.read_baseline(db, storage, video_id) if meta is not None else None
    seen = history.Snapshot.of_meta(meta) if meta is not None else None
    changed: list[str] = []
    if baseline is not None and seen is not None:
        changed = history.differences(baseline.snapshot, seen)
        if changed:
            staged = staging.staged_files(storage, job.id, job.attempts)
            placed = history.place_versions(
                storage, job, video_id, baseline, seen, changed, staged, now
            )

    gone: list[str] = []  # the video was deleted meanwhile: nothing will reference placed

    def commit() -> JobInfo:
        gone.clear()
        with db.transaction() as session:
            held = held_job(session, job.id, actor, now)
            video = session.scalars(
                select(Video).where(Video.video_id == video_id).with_for_update()
            ).first()
            if video is None:
                gone.append(video_id)
                message = f"{video_id} was deleted during its check"
            else:
                if placed and baseline is not None:
                    history.record_versions(session, video, placed, baseline.versions, job.id)
                row, moved = record_observation(
                    session,
                    video_id,
                    check,
                    policy,
                    now,
                    job_id=job.id,
                    token_id=actor.token_id,
                    worker_name=held.lease_owner or actor.name,
                )
                if baseline is not None:
                    history.remember_snapshot(row, baseline.snapshot)
                if seen is not None:
                    history.remember_snapshot(row, seen)
                message = _message(video_id, check, row.state, moved, changed)
            finish_job(session, held, actor, now, message)
            session.flush()
            return JobInfo.of(held)

    try:
        done = retrying(commit, duplicates=True)
    except BaseException:
        history.discard(storage, placed)
        raise
    if gone:
        history.discard(storage, placed)
    try:
        storage.delete_prefix(staging.staging_prefix(job.id))
    except StorageError as exc:
        log.warning("job %d: could not clean up staging: %s", job.id, exc)
    return CompletionResult(done, video_id=video_id)


def _message(video_id: str, check: CheckReport, state: str, moved: bool, changed: list[str]) -> str:
    seen = check.outcome.value + (f" ({check.reason})" if check.reason else "")
    text = f"{video_id}: {seen}; {'now' if moved else 'still'} {state}"
    return text + (f"; changed: {', '.join(changed)}" if changed else "")
