"""The search index: marked search text on rows plus term postings, kept in step by the ORM.

One design on every database (docs/search.md, docs/decisions/0300-search-index.md): each
video/channel row keeps its marked, normalised text (``search_title``/``search_channel``,
``search_text``) and its terms in ``video_terms``/``channel_terms``. A session ``before_flush``
hook recomputes both for every inserted or changed row in the flush's own transaction, so no
code path can forget; deletes (ORM or bulk ``delete(Video)``) remove postings through
``ON DELETE CASCADE``. :func:`reindex` rebuilds everything in bulk.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    Connection,
    Index,
    Table,
    delete,
    event,
    func,
    insert,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.orm import Session, UOWTransaction

from patchwork.archive.search.exact_match import title_key
from patchwork.archive.search.terms import field_index
from patchwork.db.migrate import register_search_reindex
from patchwork.db.models import Channel, ChannelTerm, Video, VideoTerm

VIDEO_TEXT_FIELDS = ("title", "romanized_title", "channel_name")
VIDEO_INDEXED_FIELDS = (*VIDEO_TEXT_FIELDS, "upload_date")
#: ``video_rank`` keeps the id in the low bits; the upload day's ordinal sits above them.
RANK_SHIFT = 40
CHANNEL_TEXT_FIELDS = ("name", "romanized_name")
_PENDING = "patchwork_search_pending"
VIDEO_TERMS: Table = VideoTerm.__table__  # type: ignore[assignment]


@lru_cache(maxsize=8192)
def channel_romaji(name: str) -> str | None:
    """Romaji of a channel name (cached: thousands of videos share a handful of names)."""
    from patchwork.archive.search.romanize import romanize  # cutlet loads lazily, and only here

    return romanize(name)


@lru_cache(maxsize=8192)
def _video_channel_index(channel_name: str) -> tuple[str, frozenset[str]]:
    """``search_channel`` and the channel's postings, cached like :func:`channel_romaji`."""
    search, terms = field_index(channel_name, channel_romaji(channel_name))
    return search, frozenset(terms)


def video_search_fields(
    title: str, romanized_title: str | None, channel_name: str
) -> tuple[str, str, list[tuple[str, bool]]]:
    """``search_title``, ``search_channel`` and ``(term, in_title)`` postings of a video."""
    search_title, title_terms = field_index(title, romanized_title)
    search_channel, channel_terms = (
        _video_channel_index(channel_name) if channel_name else ("", frozenset())
    )
    postings = [(t, True) for t in title_terms] + [(t, False) for t in channel_terms - title_terms]
    return search_title, search_channel, postings


def video_rank(upload_date: date | None, video_id: int) -> int:
    """The video's sort key in its postings: ascending = newest upload first, then highest id.

    ``-(day << RANK_SHIFT | id)`` with day = the date's ordinal (0 without a date, so undated
    videos come last), the order of ``upload_date DESC NULLS LAST, id DESC``.
    """
    day = upload_date.toordinal() if upload_date is not None else 0
    return -((day << RANK_SHIFT) | video_id)


def rank_bounds(upload_date_from: date | None, upload_date_to: date | None) -> tuple[int, int]:
    """Inclusive ``(low, high)`` ranks of videos uploaded in a date range (one end may be open;
    a date filter never matches an undated video)."""
    high = -(upload_date_from.toordinal() << RANK_SHIFT) if upload_date_from else -(1 << RANK_SHIFT)
    low = -((upload_date_to.toordinal() + 1) << RANK_SHIFT) + 1 if upload_date_to else -(1 << 62)
    return low, high


def channel_search_fields(name: str, romanized_name: str | None) -> tuple[str, set[str]]:
    return field_index(name, romanized_name)


def _changed(obj: object, fields: Iterable[str]) -> bool:
    state = inspect(obj)
    return state.pending or any(state.attrs[f].history.has_changes() for f in fields)


def _before_flush(session: Session, _flush: UOWTransaction, _instances: Any) -> None:
    pending: list[object] = session.info.setdefault(_PENDING, [])
    for obj in list(session.new) + list(session.dirty):
        if isinstance(obj, Video) and _changed(obj, VIDEO_INDEXED_FIELDS):
            obj.search_title, obj.search_channel, _ = video_search_fields(
                obj.title, obj.romanized_title, obj.channel_name
            )
            obj.title_key = title_key(obj.title, obj.channel_name)
            pending.append(obj)
        elif isinstance(obj, Channel) and _changed(obj, CHANNEL_TEXT_FIELDS):
            obj.search_text, _ = channel_search_fields(obj.name, obj.romanized_name)
            pending.append(obj)


def _after_flush(session: Session, _flush: UOWTransaction) -> None:
    pending: list[object] = session.info.pop(_PENDING, [])
    if not pending:
        return
    connection = session.connection()
    for obj in pending:
        if isinstance(obj, Video):
            _, _, postings = video_search_fields(obj.title, obj.romanized_title, obj.channel_name)
            rank = video_rank(obj.upload_date, obj.id)
            rows = [
                {"video_id": obj.id, "term": t, "in_title": it, "rank": rank} for t, it in postings
            ]
            connection.execute(delete(VideoTerm).where(VideoTerm.video_id == obj.id))
            if rows:
                connection.execute(insert(VideoTerm), rows)
        elif isinstance(obj, Channel):
            _, terms = channel_search_fields(obj.name, obj.romanized_name)
            connection.execute(delete(ChannelTerm).where(ChannelTerm.channel_id == obj.id))
            if terms:
                connection.execute(
                    insert(ChannelTerm), [{"channel_id": obj.id, "term": t} for t in terms]
                )


def register() -> None:
    """Hook the index onto every ORM session and the schema upgrades (idempotent)."""
    register_search_reindex(reindex)
    if not event.contains(Session, "before_flush", _before_flush):
        event.listen(Session, "before_flush", _before_flush)
        event.listen(Session, "after_flush", _after_flush)


# ---- bulk rebuild -------------------------------------------------------------------------

BATCH = 5000


def reindex(connection: Connection, progress: Callable[[int], None] | None = None) -> int:
    """Rebuild search text and postings of every video and channel; returns videos done.

    The term index is dropped during the load and rebuilt once at the end (one sort instead
    of millions of random B-tree inserts). Runs in the caller's transaction.
    """
    name = connection.dialect.name
    term_index = _index(VIDEO_TERMS, "ix_video_terms_rank")
    _empty(connection, "channel_terms")
    term_index.drop(connection)  # first: emptying the table then has no index to update
    if name == "sqlite":  # DELETE visits every row (foreign keys on); dropping frees pages
        VIDEO_TERMS.drop(connection)
        VIDEO_TERMS.create(connection)
        term_index.drop(connection)
    else:
        _empty(connection, "video_terms")
    for channel_id, channel_name, romanized in connection.execute(
        select(Channel.id, Channel.name, Channel.romanized_name)
    ).all():
        search, terms = channel_search_fields(channel_name, romanized)
        connection.execute(
            update(Channel).where(Channel.id == channel_id).values(search_text=search)
        )
        if terms:
            connection.execute(
                insert(ChannelTerm), [{"channel_id": channel_id, "term": t} for t in terms]
            )
    if name in ("mysql", "mariadb"):
        connection.execute(
            text(
                "CREATE TEMPORARY TABLE search_stage (id BIGINT PRIMARY KEY, st MEDIUMTEXT, "
                "sc MEDIUMTEXT, tk CHAR(64)) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
            )
        )
    done = 0
    last = 0
    while True:
        batch = connection.execute(
            select(
                Video.id, Video.title, Video.romanized_title, Video.channel_name, Video.upload_date
            )
            .where(Video.id > last)
            .order_by(Video.id)
            .limit(BATCH)
        ).all()
        if not batch:
            break
        texts: list[dict[str, Any]] = []
        postings: list[tuple[int, str, bool, int]] = []
        for video_id, title, romanized, channel_name, upload_date in batch:
            st, sc, found = video_search_fields(title, romanized, channel_name)
            texts.append({"i": video_id, "st": st, "sc": sc, "tk": title_key(title, channel_name)})
            rank = video_rank(upload_date, video_id)
            postings.extend((video_id, t, it, rank) for t, it in found)
        _write_texts(connection, name, texts)
        _write_postings(connection, postings)
        last = batch[-1][0]
        done += len(batch)
        if progress:
            progress(len(batch))
    if name in ("mysql", "mariadb"):
        connection.execute(text("DROP TEMPORARY TABLE search_stage"))
    term_index.create(connection)
    if name == "postgresql":
        connection.execute(text("ANALYZE video_terms"))
        connection.execute(text("ANALYZE videos"))
    elif name == "sqlite":
        connection.execute(text("ANALYZE"))
    return done


def _index(table: Table, index_name: str) -> Index:
    return next(i for i in table.indexes if i.name == index_name)


def _empty(connection: Connection, table: str) -> None:
    if connection.dialect.name == "sqlite":
        connection.execute(text(f"DELETE FROM {table}"))
    else:
        # TRUNCATE is instant; a foreign key only points *from* these tables, never to them.
        connection.execute(text(f"TRUNCATE TABLE {table}"))


def _write_texts(connection: Connection, name: str, rows: list[dict[str, Any]]) -> None:
    if name in ("mysql", "mariadb"):
        # pymysql sends executemany INSERTs as multi-row statements, UPDATEs one by one.
        connection.execute(
            text("INSERT INTO search_stage (id, st, sc, tk) VALUES (:i, :st, :sc, :tk)"), rows
        )
        connection.execute(
            text(
                "UPDATE videos v JOIN search_stage s ON v.id = s.id "
                "SET v.search_title = s.st, v.search_channel = s.sc, v.title_key = s.tk"
            )
        )
        connection.execute(text("DELETE FROM search_stage"))
    else:
        connection.execute(
            text(
                "UPDATE videos SET search_title = :st, search_channel = :sc, title_key = :tk "
                "WHERE id = :i"
            ),
            rows,
        )


#: Rows per multi-row INSERT on MySQL: ~40 bytes each, far below any max_allowed_packet.
MYSQL_ROWS_PER_INSERT = 10_000
_MYSQL_INSERT_POSTINGS = "INSERT INTO video_terms (video_id, term, in_title, `rank`) VALUES "


def _write_postings(connection: Connection, postings: list[tuple[int, str, bool, int]]) -> None:
    """Bulk-insert ``(video_id, term, in_title, rank)`` rows into ``video_terms``.

    With PyMySQL the statements are rendered here, each distinct term of a batch quoted once
    by the driver itself: its executemany escapes every value of every row in Python, which
    was the rebuild's largest cost.
    """
    if connection.dialect.driver != "pymysql":
        # The DBAPI's executemany (C in sqlite3, pipelined in psycopg), without SQLAlchemy's
        # per-row parameter processing.
        mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
        connection.exec_driver_sql(
            "INSERT INTO video_terms (video_id, term, in_title, rank) "
            f"VALUES ({mark}, {mark}, {mark}, {mark})",
            postings,
        )
        return
    # mogrify is PyMySQL's public way to quote as execute would (it knows the connection's
    # escaping mode, NO_BACKSLASH_ESCAPES included).
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    quoted: dict[str, str] = {}
    try:
        for start in range(0, len(postings), MYSQL_ROWS_PER_INSERT):
            values: list[str] = []
            for video_id, term, in_title, rank in postings[start : start + MYSQL_ROWS_PER_INSERT]:
                q = quoted.get(term)
                if q is None:
                    q = quoted[term] = cursor.mogrify("%s", (term,))
                values.append(f"({video_id:d},{q},{in_title:d},{rank:d})")
            connection.exec_driver_sql(
                _MYSQL_INSERT_POSTINGS + ",".join(values),
                execution_options={"no_parameters": True},  # no %-formatting of the terms
            )
    finally:
        cursor.close()


def video_count(connection: Connection) -> int:
    return int(connection.scalar(select(func.count()).select_from(Video)) or 0)


# On import: ``patchwork.archive`` imports this module, so every service that writes rows has
# hooked the index before its first session.
register()
