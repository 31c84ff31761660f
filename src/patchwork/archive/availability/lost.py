"""The read side of availability: one video's state, the lost videos, a video's history,
the counts metrics report. Every read here is a primary-key or index range read."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from patchwork.archive.availability.policy import CheckPolicy
from patchwork.archive.availability.reasons import State, reason_label
from patchwork.archive.availability.totals import lost_reasons
from patchwork.db import Database
from patchwork.db.models import (
    AvailabilityCheck,
    CheckCount,
    Video,
    VideoAvailability,
    VideoVersion,
)


@dataclass(frozen=True)
class Pending:
    """Definitive answers that disagree with the state, not yet enough to change it."""

    outcome: str
    reason: str | None
    answers: int
    needed: int


@dataclass(frozen=True)
class AvailabilityInfo:
    state: str
    reason: str | None
    reason_label: str | None
    since: datetime | None
    last_checked: datetime | None
    next_check: datetime
    checks: int
    pending: Pending | None = None


def info_of(
    row: VideoAvailability | Row[*tuple[Any, ...]], policy: CheckPolicy
) -> AvailabilityInfo:
    """From a VideoAvailability or a row of its columns."""
    pending = None
    if row.streak_outcome and row.streak_count:
        needed = (
            1
            if row.state == State.UNKNOWN and row.streak_outcome == State.AVAILABLE
            else policy.confirmations
        )
        pending = Pending(row.streak_outcome, row.streak_reason, row.streak_count, needed)
    return AvailabilityInfo(
        state=row.state,
        reason=row.reason,
        reason_label=reason_label(row.reason),
        since=row.since,
        last_checked=row.last_checked_at,
        next_check=row.check_from + policy.every,
        checks=row.checks,
        pending=pending,
    )


@dataclass(frozen=True)
class LostVideo:
    video_id: str
    title: str
    channel_id: str
    channel_name: str
    upload_date: date | None
    reason: str | None
    reason_label: str | None
    since: datetime | None
    last_checked: datetime | None


@dataclass(frozen=True)
class LostPage:
    videos: list[LostVideo]
    page: int
    pages: int
    total: int  # lost videos with the asked reason (all lost videos without one)
    reasons: dict[str, int] = field(default_factory=dict)  # every lost video, by reason


def lost_videos(db: Database, *, reason: str | None, page: int, per_page: int) -> LostPage:
    """Videos gone from their site, newest loss first; ``reason`` narrows them."""
    with db.reading() as session:
        reasons = lost_reasons(session)  # maintained counts, not a GROUP BY of every loss
        total = reasons.get(reason, 0) if reason is not None else sum(reasons.values())
        query = (
            select(VideoAvailability, Video)
            .join(Video, Video.video_id == VideoAvailability.video_id)
            .where(VideoAvailability.state == State.UNAVAILABLE.value)
        )
        if reason is not None:
            query = query.where(VideoAvailability.reason == reason)
        rows = session.execute(
            query.order_by(VideoAvailability.since.desc(), VideoAvailability.video_id.desc())
            .limit(per_page)
            .offset((page - 1) * per_page)
        )
        videos = [
            LostVideo(
                video_id=video.video_id,
                title=video.title,
                channel_id=video.channel_id,
                channel_name=video.channel_name,
                upload_date=video.upload_date,
                reason=row.reason,
                reason_label=reason_label(row.reason),
                since=row.since,
                last_checked=row.last_checked_at,
            )
            for row, video in rows
        ]
    return LostPage(videos, page, max(1, math.ceil(total / per_page)), total, reasons)


@dataclass(frozen=True)
class VersionInfo:
    number: int
    seen_at: datetime
    title: str
    description: str
    channel_name: str
    tags: list[str] | None
    thumbnail_url: str | None
    changed: list[str]
    has_info: bool
    has_thumbnail: bool


@dataclass(frozen=True)
class ObservationInfo:
    checked_at: datetime
    outcome: str
    reason: str | None
    reason_label: str | None
    message: str | None
    worker: str | None


@dataclass(frozen=True)
class VideoHistory:
    video_id: str
    versions: list[VersionInfo]  # oldest first: version 1 is the archived metadata
    observations: list[ObservationInfo]  # newest first
    observations_total: int


def history_of(db: Database, video_id: str, *, observations: int = 100) -> VideoHistory | None:
    """Every metadata version of ``video_id`` and its newest observations; None: no video."""
    with db.reading() as session:
        # The video and its number of checks (the counter its row keeps) in one read.
        found = session.execute(
            select(Video.id, VideoAvailability.checks)
            .outerjoin(VideoAvailability, VideoAvailability.video_id == Video.video_id)
            .where(Video.video_id == video_id)
        ).first()
        if found is None:
            return None
        versions = [
            VersionInfo(
                number=v.version,
                seen_at=v.seen_at,
                title=v.title,
                description=v.description,
                channel_name=v.channel_name,
                tags=json.loads(v.tags) if v.tags else None,
                thumbnail_url=v.thumbnail_url,
                changed=v.changed.split(",") if v.changed else [],
                has_info=v.info_key is not None,
                has_thumbnail=v.thumbnail_key is not None,
            )
            for v in session.scalars(
                select(VideoVersion)
                .where(VideoVersion.video_id == video_id)
                .order_by(VideoVersion.version)
            )
        ]
        seen = [
            ObservationInfo(
                checked_at=c.checked_at,
                outcome=c.outcome,
                reason=c.reason,
                reason_label=reason_label(c.reason),
                message=c.message,
                worker=c.worker_name,
            )
            for c in session.scalars(
                select(AvailabilityCheck)
                .where(AvailabilityCheck.video_id == video_id)
                .order_by(AvailabilityCheck.id.desc())
                .limit(observations)
            )
        ]
    return VideoHistory(video_id, versions, seen, found.checks or 0)


def version_object_key(db: Database, video_id: str, number: int, kind: str) -> str | None:
    """The storage key of version ``number``'s ``metadata`` or ``thumbnail`` (None: none)."""
    column = VideoVersion.info_key if kind == "metadata" else VideoVersion.thumbnail_key
    with db.reading() as session:
        return session.scalar(
            select(column).where(VideoVersion.video_id == video_id, VideoVersion.version == number)
        )


def check_totals(session: Session) -> dict[str, int]:
    """Checks ended per outcome, and checks queued, ever."""
    return {
        outcome: count
        for outcome, count in session.execute(select(CheckCount.outcome, CheckCount.count))
    }
