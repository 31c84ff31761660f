"""Reading channels: profiles with aliases, random picks."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from patchwork.archive.catalog.channel_names import channel_counts
from patchwork.archive.catalog.paging import channel_page_rows, newest_first_in_channel
from patchwork.archive.catalog.random_picks import pick_random
from patchwork.archive.catalog.records import (
    ChannelProfile,
    ChannelSummary,
    Page,
    VideoSummary,
    distinct_romanization,
    romanized_name_of,
)
from patchwork.db import Database
from patchwork.db.models import Channel, Video


def channel_profile(db: Database, channel_id: str) -> ChannelProfile | None:
    """Name from the newest video (as the original), aliases = every name it was archived
    under, most recently used first. Index reads only: the newest video is one seek, the
    aliases and count are the channel's ``channel_names`` rows."""
    with db.reading() as session:
        return _profile(session, channel_id)


def channel_page(
    db: Database, channel_id: str, *, page: int, per_page: int
) -> tuple[ChannelProfile, Page[VideoSummary]] | None:
    """The channel page's profile and one page of its videos, newest first, in one read
    transaction (the profile's count is the page's total); None for an unknown channel."""
    with db.reading() as session:
        profile = _profile(session, channel_id)
        if profile is None:
            return None
        total = profile.video_count
        rows = channel_page_rows(session, channel_id, total=total, page=page, per_page=per_page)
        return profile, Page(items=rows, total=total, page=page, per_page=per_page)


def _profile(session: Session, channel_id: str) -> ChannelProfile | None:
    channel = session.scalars(select(Channel).where(Channel.channel_id == channel_id)).first()
    newest_name = session.scalar(
        select(Video.channel_name)
        .where(Video.channel_id == channel_id)
        .order_by(*newest_first_in_channel(session))
        .limit(1)
    )
    if channel is None and newest_name is None:
        return None
    counts = channel_counts(session, channel_id)
    aliases = counts.aliases
    name = newest_name if newest_name is not None else channel.name if channel else ""
    if not aliases and name:
        aliases = [name]
    romanized = romanized_name_of(name, channel.romanized_name if channel else None)
    return ChannelProfile(
        channel_id=channel_id,
        name=name,
        description=channel.description if channel else None,
        aliases=aliases,
        romanized_name=distinct_romanization(name, romanized),
        video_count=counts.video_count,
        has_avatar=bool(channel and channel.has_avatar),
        has_banner=bool(channel and channel.has_banner),
    )


def random_channels(db: Database, count: int) -> list[ChannelSummary]:
    with db.reading() as session:
        return [ChannelSummary.of(c) for c in pick_random(session, Channel, count)]
