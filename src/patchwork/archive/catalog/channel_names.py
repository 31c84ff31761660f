"""Each channel's names and video counts, kept in ``channel_names`` as videos are written.

A channel page's total, its video count and its aliases (every name it was archived under,
most recently used first) are read from a few rows here instead of counted and grouped over
the channel's videos, which cost seconds at 125,000 videos a channel. Three paths write
videos and each keeps these rows in its own transaction:

* ORM inserts and changes of a video (``upsert_video``): a session flush hook, registered with
  the models (:func:`register`), like the search index (decision 0301);
* deletes by a delete job (``archive.queue.kinds.delete``, Core statements): :func:`count_video`
  with a negative delta in the same transaction;
* bulk loads (the legacy import, ``bench/``): :func:`recount_channel_names` afterwards.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Table, and_, case, delete, event, insert, inspect, select
from sqlalchemy.orm import Session, UOWTransaction

from patchwork.db.dialect import insert_ignoring_duplicates
from patchwork.db.models import ChannelName, Video

#: A channel shows at most this many aliases (a channel renamed more often is not worth more).
MAX_ALIASES = 100
_PENDING = "patchwork.channel_names.pending"
_BATCH = 5000


def name_key(name: str) -> str:
    return hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class ChannelCounts:
    video_count: int
    aliases: list[str]  # newest first


def channel_counts(session: Session, channel_id: str) -> ChannelCounts:
    """The channel's video count and names: one read of at most its aliases' rows."""
    rows = session.execute(
        select(ChannelName.name, ChannelName.video_count)
        .where(ChannelName.channel_id == channel_id)
        .order_by(ChannelName.newest_video_row.desc())
        .limit(MAX_ALIASES)
    ).all()
    return ChannelCounts(
        video_count=sum(int(count) for _, count in rows if count > 0),
        aliases=[name for name, count in rows if count > 0],
    )


def count_video(session: Session, channel_id: str, name: str, video_row: int, delta: int) -> None:
    """Add ``delta`` videos to ``(channel_id, name)``; a name left with none is removed.

    Core statements on the table, so this runs inside a flush (no autoflush, no identity map).
    """
    table: Table = ChannelName.__table__  # type: ignore[assignment]
    key = name_key(name)
    if delta > 0:
        row = {"channel_id": channel_id, "name_sha256": key, "name": name}
        insert_ignoring_duplicates(
            session, table, [{**row, "video_count": 0, "newest_video_row": 0}]
        )
    this_name = and_(table.c.channel_id == channel_id, table.c.name_sha256 == key)
    count, newest = table.c.video_count, table.c.newest_video_row
    changes: dict[Any, Any] = {count: count + delta}
    if delta > 0:
        changes[newest] = case((newest > video_row, newest), else_=video_row)
    session.execute(table.update().where(this_name).values(changes))
    if delta < 0:
        session.execute(table.delete().where(this_name, count <= 0))


def count_new_videos(session: Session, videos: Iterable[tuple[str, str, int]]) -> None:
    """After a bulk insert of ``(channel_id, channel_name, videos.id)``: one update per name."""
    grouped: dict[tuple[str, str], list[int]] = {}
    for channel_id, name, row in videos:
        seen = grouped.setdefault((channel_id, name), [0, 0])
        seen[0] += 1
        seen[1] = max(seen[1], row)
    for (channel_id, name), (count, newest) in grouped.items():
        count_video(session, channel_id, name, newest, count)


def recount_channel_names(connection: Connection) -> int:
    """Rewrite ``channel_names`` from ``videos`` (after writes that bypassed the ORM);
    returns how many names it wrote. One streamed pass over the videos, grouped here by the
    exact name: MySQL's ``GROUP BY`` folds case, and the rows are keyed by exact name."""
    connection.execute(delete(ChannelName))
    counts: dict[tuple[str, str], list[int]] = {}
    # Per statement: Connection.execution_options would switch the whole connection.
    videos = connection.execute(
        select(Video.channel_id, Video.channel_name, Video.id),
        execution_options={"stream_results": True, "yield_per": 10_000},
    )
    for channel_id, name, row in videos:
        seen = counts.setdefault((channel_id, name), [0, 0])
        seen[0] += 1
        seen[1] = max(seen[1], int(row))
    rows = [
        {
            "channel_id": channel_id,
            "name_sha256": name_key(name),
            "name": name,
            "video_count": count,
            "newest_video_row": newest,
        }
        for (channel_id, name), (count, newest) in counts.items()
    ]
    for start in range(0, len(rows), _BATCH):
        connection.execute(insert(ChannelName), rows[start : start + _BATCH])
    return len(rows)


# ---- the flush hook ----------------------------------------------------------------------


def _before_flush(session: Session, _flush: UOWTransaction, _instances: Any) -> None:
    """Note each video's channel and name before the flush changes them."""
    pending: list[tuple[Video, tuple[str, str] | None]] = session.info.setdefault(_PENDING, [])
    for obj in session.new:
        if isinstance(obj, Video):
            pending.append((obj, None))
    for obj in session.dirty:
        if not isinstance(obj, Video):
            continue
        state = inspect(obj)
        channel = state.attrs.channel_id.history
        name = state.attrs.channel_name.history
        if channel.has_changes() or name.has_changes():
            old_channel = (channel.deleted or channel.unchanged or [obj.channel_id])[0]
            old_name = (name.deleted or name.unchanged or [obj.channel_name])[0]
            pending.append((obj, (old_channel, old_name)))
    for obj in session.deleted:
        if isinstance(obj, Video):
            count_video(session, obj.channel_id, obj.channel_name, obj.id, -1)


def _after_flush(session: Session, _flush: UOWTransaction) -> None:
    pending: list[tuple[Video, tuple[str, str] | None]] = session.info.pop(_PENDING, [])
    for video, before in pending:
        if before is not None:
            if before == (video.channel_id, video.channel_name):
                continue
            count_video(session, before[0], before[1], video.id, -1)
        count_video(session, video.channel_id, video.channel_name, video.id, +1)


def register() -> None:
    """Hook the counts onto every ORM session (idempotent)."""
    if not event.contains(Session, "before_flush", _before_flush):
        event.listen(Session, "before_flush", _before_flush)
        event.listen(Session, "after_flush", _after_flush)
