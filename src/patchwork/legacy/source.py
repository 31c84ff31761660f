"""Reading the original's MySQL database: page by page, read-only, in primary-key order.

Pages are fetched by keyset (``WHERE pk > :last ORDER BY pk LIMIT n``) rather than one
long server-side cursor: memory stays flat at any table size, no connection sits idle on a
half-read result while the target commits (MySQL drops it after ``net_write_timeout``), and
every page is an indexed range scan (docs/decisions/0800-legacy-import.md).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from typing import Any

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

#: Every table the original's ``schema.sql`` creates (API-CONTRACT.md §5).
TABLES = (
    "songs",
    "romanized",
    "channels",
    "files",
    "views",
    "kv",
    "archive_queue",
    "archive_log",
    "archive_queue_auth",
    "archive_worker_auth",
    "worker_status",
)
DEFAULT_PAGE = 2000


class SourceError(Exception):
    """The original's database cannot be reached or read; the message is safe to print."""


def source_url(given: str | None, environ: Mapping[str, str] | None = None) -> str:
    """The source URL from ``--from``, else from the original's ``DB_*`` variables."""
    env = os.environ if environ is None else environ
    if given:
        try:
            url = make_url(given)
        except ArgumentError:
            raise SourceError("--from is not a database URL (mysql+pymysql://…)") from None
        if url.get_backend_name() not in ("mysql", "mariadb"):
            raise SourceError(
                f"--from must name the original's MySQL database, not {url.get_backend_name()}"
            )
        if url.drivername in ("mysql", "mariadb"):  # the default driver is not installed
            url = url.set(drivername="mysql+pymysql")
    else:
        database = (env.get("DB_DATABASE") or "").strip()
        if not database:
            raise SourceError("give --from mysql+pymysql://user:pw@host/db or set DB_DATABASE")
        host, _, port = (env.get("DB_HOST") or "127.0.0.1").partition(":")
        url = URL.create(
            "mysql+pymysql",
            username=env.get("DB_USERNAME") or None,
            password=env.get("DB_PASSWORD") or None,
            host=host,
            port=int(port) if port.isdigit() else None,
            database=database,
        )
    if "charset" not in url.query:
        url = url.update_query_dict({"charset": "utf8mb4"})  # as the original worker connected
    return url.render_as_string(hide_password=False)


def redacted(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


class LegacySource:
    """The original's database, opened read-only."""

    def __init__(self, url: str, *, page_size: int = DEFAULT_PAGE) -> None:
        self.url = url
        self.page_size = page_size
        self.engine: Engine = create_engine(url, pool_pre_ping=True)
        event.listen(self.engine, "connect", _read_only)

    def check(self) -> None:
        """Reachable and holding the original's tables; raises :class:`SourceError`."""
        try:
            with self.engine.connect() as connection:
                present = {row[0].lower() for row in connection.execute(text("SHOW TABLES")).all()}
        except SQLAlchemyError as exc:
            raise SourceError(f"cannot read {redacted(self.url)}: {_first_line(exc)}") from None
        missing = [t for t in ("songs", "channels") if t not in present]
        if missing:
            raise SourceError(
                f"{redacted(self.url)} is not an original Patchwork database "
                f"(no table {', '.join(missing)})"
            )
        self.tables = {t for t in TABLES if t in present}

    def has(self, table: str) -> bool:
        return table in self.tables

    def count(self, table: str) -> int:
        if not self.has(table):
            return 0
        return int(self.scalar(f"SELECT COUNT(*) FROM `{table}`") or 0)

    def scalar(self, sql: str, **params: Any) -> Any:
        with self.engine.connect() as connection:
            return connection.execute(text(sql), params).scalar()

    def rows(self, sql: str, **params: Any) -> list[Any]:
        with self.engine.connect() as connection:
            return list(connection.execute(text(sql), params).all())

    def pages(self, select_sql: str, key: str, first: Any = None) -> Iterator[list[Any]]:
        """Pages of ``SELECT … WHERE {key} > :last ORDER BY {key}``; ``key`` is column 0.

        ``select_sql`` must contain ``{where}`` where the keyset condition goes.
        """
        last = first
        while True:
            where = "1=1" if last is None else f"{key} > :last"
            sql = f"{select_sql.format(where=where)} ORDER BY {key} LIMIT {self.page_size}"
            try:
                page = self.rows(sql, last=last)
            except SQLAlchemyError as exc:
                raise SourceError(f"reading the original failed: {_first_line(exc)}") from None
            if not page:
                return
            yield page
            if len(page) < self.page_size:
                return
            last = page[-1][0]

    def dispose(self) -> None:
        self.engine.dispose()


def _read_only(dbapi_connection: Any, _record: Any) -> None:
    # A guard against any bug here: the source is evidence and must never change.
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("SET SESSION TRANSACTION READ ONLY")
    finally:
        cursor.close()


def _first_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    return (str(orig).splitlines() or [type(orig).__name__])[0][:300]
