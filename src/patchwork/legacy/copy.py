"""Copiers of the catalogue tables: songs + romanized → videos, channels, files, views, kv.

Each copier reads its source table page by page and writes each page in one batch: rows
that exist already are compared and only rewritten when something differs, so a second run
writes nothing. Rows the target cannot hold are skipped with a reason in the report.
"""

from __future__ import annotations

import math
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from patchwork.archive.file_kinds import is_allowed
from patchwork.archive.ingest import parse_compact_date
from patchwork.archive.romanize import romanize
from patchwork.archive.video_files import KnownVideo, record_known_videos
from patchwork.db.models import (
    Channel,
    ChannelTerm,
    KeyValue,
    Video,
    VideoTerm,
    ViewCount,
)
from patchwork.db.search_index import channel_search_fields, video_rank, video_search_fields
from patchwork.db.types import utcnow
from patchwork.legacy.report import ImportReport
from patchwork.legacy.source import LegacySource
from patchwork.legacy.writer import Progress, Writer

BYTES_PER_MIB = 1024 * 1024
# No single archived video is a pebibyte: a size_mb beyond this (or negative, NaN, infinite)
# is damage in the source row, not a size. BIGINT would hold it, the catalogue's sums would not.
MAX_PLAUSIBLE_BYTES = 1 << 50
ROMANIZED = (
    "(SELECT r.romanized_title FROM romanized r WHERE r.video_id = s.video_id"
    " AND BINARY r.video_id = BINARY s.video_id ORDER BY r.id DESC LIMIT 1)"
)
VIDEO_FIELDS = (
    "title",
    "romanized_title",
    "channel_id",
    "channel_name",
    "upload_date",
    "description",
)


def restore_newlines(description: str | None) -> str:
    """The original worker stored each line break as `` \\n`` (space, backslash, n)."""
    return (description or "").replace(" \\n", "\n")


def platform_of(video_id: str) -> tuple[str, str]:
    """Platform and source URL; the original archived YouTube and Bilibili only."""
    if video_id.startswith("BV") and len(video_id) == 12:
        return "bilibili", f"https://www.bilibili.com/video/{video_id}"
    return "youtube", f"https://www.youtube.com/watch?v={video_id}"


def _merged_ids(source: LegacySource) -> dict[str, int]:
    """Video ids that occur more than once in ``songs`` → the newest row's id (the winner).

    Grouped byte for byte: YouTube ids differ by case, the original's collation did not.
    """
    rows = source.rows(
        "SELECT CAST(video_id AS BINARY), MAX(id) FROM songs"
        " GROUP BY CAST(video_id AS BINARY) HAVING COUNT(*) > 1"
    )
    return {bytes(vid).decode("utf-8", "replace").strip(): int(top) for vid, top in rows}


def copy_songs(source: LegacySource, writer: Writer, report: ImportReport, tick: Progress) -> None:
    rep = report.table("songs")
    winners = _merged_ids(source)
    romanized = ROMANIZED if source.has("romanized") else "NULL"
    sql = (
        "SELECT s.id, s.video_id, s.title, s.channel_name, s.channel_id, s.upload_date,"
        f" s.description, {romanized} FROM songs s WHERE {{where}}"
    )
    for page in source.pages(sql, "s.id"):
        rep.read += len(page)
        wanted: dict[str, dict[str, Any]] = {}
        for legacy_id, vid, title, channel_name, channel_id, upload, desc, roman in page:
            vid = (vid or "").strip()
            if not vid:
                rep.skip("empty video_id", f"songs.id {legacy_id}", error=True)
                continue
            if winners.get(vid, legacy_id) != legacy_id:
                rep.merge("duplicate video_id: the newest id wins", f"{vid} (id {legacy_id})")
                continue
            date = parse_compact_date(upload or "")
            if upload and date is None:
                rep.note("upload_date unreadable, left empty", f"{vid}: {upload!r}")
            wanted[vid] = {
                "title": title or "",
                "romanized_title": roman or None,
                "channel_id": (channel_id or "").strip() or "unknown",
                "channel_name": channel_name or "",
                "upload_date": date,
                "description": restore_newlines(desc),
            }
        with writer.batch() as session:
            existing = {
                v.video_id: v
                for v in session.scalars(select(Video).where(Video.video_id.in_(list(wanted))))
            }
            fresh = [vid for vid in wanted if vid not in existing]
            _insert_videos(session, [{"video_id": vid, **wanted[vid]} for vid in fresh])
            rep.written += len(fresh)
            for vid, values in wanted.items():
                video = existing.get(vid)
                if video is None:
                    continue
                if any(getattr(video, k) != v for k, v in values.items()):
                    for k, v in values.items():
                        setattr(video, k, v)
                    rep.written += 1
        tick(len(page))
    if source.has("romanized"):
        extra = source.count("romanized") - int(
            source.scalar("SELECT COUNT(DISTINCT CAST(video_id AS BINARY)) FROM romanized") or 0
        )
        if extra:
            report.table("romanized").merged += extra
            report.table("romanized").note("several rows for one video: the newest is kept")
        report.table("romanized").read = source.count("romanized")


#: Set by the run when the target archive starts empty: search fields and postings are then
#: built once at the end by ``search_index.reindex`` (index dropped, one sort) instead of
#: row by row, which is most of a first import's time.
DEFER_SEARCH_INDEX = "patchwork_legacy_defer_index"


def _deferred(session: Session) -> bool:
    return bool(session.info.get(DEFER_SEARCH_INDEX))


def _insert_videos(session: Session, rows: list[dict[str, Any]]) -> None:
    """New videos in one multi-row INSERT, with their search postings in another.

    The ORM would index them through its flush hooks one row and two statements at a time,
    which is hours at a million rows; this computes the same fields with the same functions
    (patchwork.db.search_index). Changed rows still go through the ORM.
    """
    if not rows:
        return
    now = utcnow()
    postings: dict[str, list[tuple[str, bool]]] = {}
    for row in rows:
        if not _deferred(session):
            row["search_title"], row["search_channel"], postings[row["video_id"]] = (
                video_search_fields(row["title"], row["romanized_title"], row["channel_name"])
            )
        row["platform"], row["source_url"] = platform_of(row["video_id"])
        row["archived_at"] = row["updated_at"] = now
    session.execute(insert(Video), rows)
    if not postings:
        return
    ids = session.execute(
        select(Video.video_id, Video.id).where(Video.video_id.in_(list(postings)))
    ).all()
    uploaded = {row["video_id"]: row["upload_date"] for row in rows}
    terms = [
        {
            "video_id": pk,
            "term": term,
            "in_title": in_title,
            "rank": video_rank(uploaded[vid], pk),
        }
        for vid, pk in ids
        for term, in_title in postings[vid]
    ]
    if terms:
        session.execute(insert(VideoTerm), terms)


def copy_channels(
    source: LegacySource, writer: Writer, report: ImportReport, tick: Progress
) -> None:
    rep = report.table("channels")
    sql = "SELECT channel_id, channel_name, romanized_name, description FROM channels WHERE {where}"
    for page in source.pages(sql, "channel_id"):
        rep.read += len(page)
        wanted = {
            cid.strip(): {
                "name": name or cid.strip(),
                "romanized_name": roman or None,
                "description": desc,
            }
            for cid, name, roman, desc in page
            if cid and cid.strip()
        }
        with writer.batch() as session:
            existing = {
                c.channel_id: c
                for c in session.scalars(
                    select(Channel).where(Channel.channel_id.in_(list(wanted)))
                )
            }
            fresh = [{"channel_id": cid, **v} for cid, v in wanted.items() if cid not in existing]
            _insert_channels(session, fresh)
            rep.written += len(fresh)
            for cid, values in wanted.items():
                channel = existing.get(cid)
                if channel is None:
                    continue
                if any(getattr(channel, k) != v for k, v in values.items()):
                    for k, v in values.items():
                        setattr(channel, k, v)
                    rep.written += 1
        tick(len(page))
    _channels_only_in_songs(writer, report)


def _insert_channels(session: Session, rows: list[dict[str, Any]]) -> None:
    """New channels and their search postings in bulk (see :func:`_insert_videos`)."""
    if not rows:
        return
    now = utcnow()
    terms: dict[str, set[str]] = {}
    for row in rows:
        if not _deferred(session):
            row["search_text"], terms[row["channel_id"]] = channel_search_fields(
                row["name"], row["romanized_name"]
            )
        row["created_at"] = row["updated_at"] = now
    session.execute(insert(Channel), rows)
    if not terms:
        return
    ids = session.execute(
        select(Channel.channel_id, Channel.id).where(Channel.channel_id.in_(list(terms)))
    ).all()
    postings = [{"channel_id": pk, "term": t} for cid, pk in ids for t in terms[cid]]
    if postings:
        session.execute(insert(ChannelTerm), postings)


def _channels_only_in_songs(writer: Writer, report: ImportReport) -> None:
    """A channel the original knew only from ``songs`` still gets a row (name: newest video)."""
    rep = report.table("channels")
    last = ""
    while True:
        with writer.batch() as session:
            missing = list(
                session.scalars(
                    select(Video.channel_id)
                    .outerjoin(Channel, Channel.channel_id == Video.channel_id)
                    .where(Channel.id.is_(None), Video.channel_id > last)
                    .group_by(Video.channel_id)
                    .order_by(Video.channel_id)
                    .limit(500)
                )
            )
            for cid in missing:
                name = session.scalar(
                    select(Video.channel_name)
                    .where(Video.channel_id == cid)
                    .order_by(Video.upload_date.is_(None), Video.upload_date.desc())
                    .order_by(Video.id.desc())
                    .limit(1)
                )
                session.add(
                    Channel(channel_id=cid, name=name or cid, romanized_name=romanize(name))
                )
                rep.written += 1
                rep.note("channel only seen in songs: created, named after its newest video", cid)
        if len(missing) < 500:
            return
        last = missing[-1]


def copy_files(source: LegacySource, writer: Writer, report: ImportReport, tick: Progress) -> None:
    rep = report.table("files")
    for page in source.pages(
        "SELECT video_id, size_mb, extension FROM files WHERE {where}", "video_id"
    ):
        rep.read += len(page)
        with writer.batch() as session:
            ids = [vid for vid, _, _ in page]
            known = set(session.scalars(select(Video.video_id).where(Video.video_id.in_(ids))))
            files: list[KnownVideo] = []
            for vid, size_mb, extension in page:
                ext = (extension or "").strip().lstrip(".").lower()
                if vid not in known:
                    rep.skip("video not in songs (deleted in the original)", vid)
                    continue
                if not ext:
                    rep.skip("no file: the original worker deleted it as too big (size 0)", vid)
                    continue
                if not is_allowed("video", ext):
                    # The extension becomes part of a storage key and of the served type.
                    rep.skip(f"extension {ext[:20]!r} is not a video container", vid, error=True)
                    continue
                size = _plausible_size(size_mb)
                if size is None:
                    rep.note("size_mb not plausible: copied as size unknown (storage scan)", vid)
                    size = 0
                files.append(KnownVideo(vid, ext, size))
            rep.written += record_known_videos(session, files)
        tick(len(page))


def _plausible_size(size_mb: object) -> int | None:
    """Bytes for the original's ``size_mb``; None when the row holds no believable size."""
    try:
        mib = float(size_mb or 0)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    if not math.isfinite(mib) or mib < 0 or mib * BYTES_PER_MIB > MAX_PLAUSIBLE_BYTES:
        return None
    return round(mib * BYTES_PER_MIB)


def copy_views(source: LegacySource, writer: Writer, report: ImportReport, tick: Progress) -> None:
    rep = report.table("views")
    for page in source.pages("SELECT video_id, view_count FROM views WHERE {where}", "video_id"):
        rep.read += len(page)
        with writer.batch() as session:
            ids = [vid for vid, _ in page]
            known = set(session.scalars(select(Video.video_id).where(Video.video_id.in_(ids))))
            counts = {
                v.video_id: v
                for v in session.scalars(select(ViewCount).where(ViewCount.video_id.in_(ids)))
            }
            for vid, count in page:
                if vid not in known:
                    rep.skip("video not in songs", vid)
                    continue
                row = counts.get(vid)
                if row is None:
                    session.add(ViewCount(video_id=vid, count=max(0, int(count or 0))))
                    rep.written += 1
                elif row.count < int(count or 0):
                    # Views counted by Patchwork since the switch-over are never taken back.
                    row.count = int(count or 0)
                    rep.written += 1
        tick(len(page))


def copy_kv(source: LegacySource, writer: Writer, report: ImportReport, tick: Progress) -> None:
    rep = report.table("kv")
    for page in source.pages("SELECT DATA, REFERENCE FROM kv WHERE {where}", "DATA"):
        rep.read += len(page)
        with writer.batch() as session:
            rows = {
                r.key: r
                for r in session.scalars(
                    select(KeyValue).where(KeyValue.key.in_([k for k, _ in page]))
                )
            }
            for key, value in page:
                row = rows.get(key)
                if row is None:
                    session.add(KeyValue(key=key, value=value))
                    rep.written += 1
                elif row.value != value:
                    row.value = value
                    rep.written += 1
        tick(len(page))
