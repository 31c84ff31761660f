"""Copiers of the catalogue tables: songs + romanized → videos, channels.

Each copier reads its source table page by page and writes each page in one batch: rows
that exist already are compared and only rewritten when something differs, so a second run
writes nothing. Rows the target cannot hold are skipped with a reason in the report.
files, views and kv are in :mod:`patchwork.legacy.copy_extras`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Table, distinct, func, insert, null, select
from sqlalchemy.orm import Session

from patchwork.archive.availability.rows import availability_row
from patchwork.archive.availability.totals import count_rows
from patchwork.archive.catalog.channel_names import count_new_videos
from patchwork.archive.catalog.records import romanized_name_of
from patchwork.archive.ingest.info_json import parse_compact_date
from patchwork.archive.search.exact_match import title_key
from patchwork.archive.search.indexing import channel_search_fields, video_rank, video_search_fields
from patchwork.db.models import Channel, ChannelTerm, Video, VideoAvailability, VideoTerm
from patchwork.db.types import utcnow
from patchwork.legacy.dialect import as_text
from patchwork.legacy.report import ImportReport
from patchwork.legacy.source import LegacySource
from patchwork.legacy.writer import Progress, Writer

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
    songs = source.table("songs")
    key = source.exact(songs.c.video_id)
    rows = source.rows(select(key, func.max(songs.c.id)).group_by(key).having(func.count() > 1))
    return {as_text(vid).strip(): int(top) for vid, top in rows}


def _newest_romanized(source: LegacySource, songs: Table) -> ColumnElement[Any]:
    """The romanized title of a ``songs`` row: its video's newest ``romanized`` row."""
    if not source.has("romanized"):
        return null()
    r = source.table("romanized").alias("r")
    return (
        select(r.c.romanized_title)
        .where(source.exactly_equal(r.c.video_id, songs.c.video_id))
        .order_by(r.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )


def copy_songs(source: LegacySource, writer: Writer, report: ImportReport, tick: Progress) -> None:
    rep = report.table("songs")
    winners = _merged_ids(source)
    s = source.table("songs")
    query = select(
        s.c.id,
        s.c.video_id,
        s.c.title,
        s.c.channel_name,
        s.c.channel_id,
        s.c.upload_date,
        s.c.description,
        _newest_romanized(source, s),
    )
    for page in source.pages(query, s.c.id):
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
        romanized = source.table("romanized")
        videos = select(func.count(distinct(source.exact(romanized.c.video_id))))
        extra = source.count("romanized") - int(source.scalar(videos) or 0)
        if extra:
            report.table("romanized").merged += extra
            report.table("romanized").note("several rows for one video: the newest is kept")
        report.table("romanized").read = source.count("romanized")


#: Set by the run when the target archive starts empty: search fields and postings are then
#: built once at the end by ``indexing.reindex`` (index dropped, one sort) instead of
#: row by row, which is most of a first import's time.
DEFER_SEARCH_INDEX = "patchwork_legacy_defer_index"


def _deferred(session: Session) -> bool:
    return bool(session.info.get(DEFER_SEARCH_INDEX))


def _insert_videos(session: Session, rows: list[dict[str, Any]]) -> None:
    """New videos in one multi-row INSERT, with their search postings in another.

    The ORM would index them through its flush hooks one row and two statements at a time,
    which is hours at a million rows; this computes the same fields with the same functions
    (patchwork.archive.search.indexing). Changed rows still go through the ORM.
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
        row["title_key"] = title_key(row["title"], row["channel_name"])
        row["platform"], row["source_url"] = platform_of(row["video_id"])
        row["archived_at"] = row["updated_at"] = now
    session.execute(insert(Video), rows)
    availability = [availability_row(row["video_id"], row["archived_at"]) for row in rows]
    session.execute(insert(VideoAvailability), availability)
    count_rows(session, availability)
    ids = session.execute(
        select(Video.video_id, Video.id).where(Video.video_id.in_([r["video_id"] for r in rows]))
    ).all()
    by_id = {row["video_id"]: row for row in rows}
    count_new_videos(
        session, [(by_id[vid]["channel_id"], by_id[vid]["channel_name"], pk) for vid, pk in ids]
    )
    if not postings:
        return
    uploaded = {row["video_id"]: row["upload_date"] for row in rows}
    terms = [
        {
            "video_id": pk,
            "term": term,
            "in_title": in_title,
            "rank": video_rank(uploaded[vid], pk),
        }
        for vid, pk in ids
        for term, in_title in postings.get(vid, ())
    ]
    if terms:
        session.execute(insert(VideoTerm), terms)


def copy_channels(
    source: LegacySource, writer: Writer, report: ImportReport, tick: Progress
) -> None:
    rep = report.table("channels")
    c = source.table("channels")
    query = select(c.c.channel_id, c.c.channel_name, c.c.romanized_name, c.c.description)
    for page in source.pages(query, c.c.channel_id):
        rep.read += len(page)
        wanted = {
            cid.strip(): {
                "name": name or cid.strip(),
                # Every channel has a romanized name, a Latin one its own (the original's
                # worker always wrote one; clients read it as "description" in search).
                "romanized_name": romanized_name_of(name or cid.strip(), roman),
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
                    Channel(
                        channel_id=cid,
                        name=name or cid,
                        romanized_name=romanized_name_of(name or cid),
                    )
                )
                rep.written += 1
                rep.note("channel only seen in songs: created, named after its newest video", cid)
        if len(missing) < 500:
            return
        last = missing[-1]
