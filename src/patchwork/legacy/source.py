"""Reading the original's database: page by page, read-only, in primary-key order.

The source is the original's MySQL database or its successor's PostgreSQL one (schema
``patchwork_archive``, or ``public``); queries are SQLAlchemy Core on
:mod:`patchwork.legacy.tables`, and what differs between the two is in
:mod:`patchwork.legacy.dialect`.

Pages are fetched by keyset (``WHERE pk > :last ORDER BY pk LIMIT n``) rather than one
long server-side cursor: memory stays flat at any table size, no connection sits idle on a
half-read result while the target commits (MySQL drops it after ``net_write_timeout``), and
every page is an indexed range scan (docs/decisions/0800-legacy-import.md).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Executable, Select, Table, create_engine, event, func
from sqlalchemy import inspect as inspect_db
from sqlalchemy import select as select_
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from patchwork.legacy import dialect
from patchwork.legacy.tables import TABLES, legacy_tables

DEFAULT_PAGE = 2000
REQUIRED = ("songs", "channels")
T = TypeVar("T")


class SourceError(Exception):
    """The original's database cannot be reached or read; the message is safe to print."""


def source_url(given: str | None, environ: Mapping[str, str] | None = None) -> str:
    """The source URL from ``--from``.

    ``--from`` is a URL, or a bare backend name (``mysql``, ``postgresql``) meaning "that
    backend, at the original's ``DB_HOST``, ``DB_PORT``, ``DB_DATABASE``, ``DB_USERNAME``,
    ``DB_PASSWORD``"; without it, those settings name a MySQL database (the original's).
    """
    env = os.environ if environ is None else environ
    if given and "://" not in given and given.strip().lower() in dialect.DRIVERS:
        return _from_env(dialect.DRIVERS[given.strip().lower()].split("+")[0], env)
    if not given:
        return _from_env("mysql", env)
    try:
        url = make_url(given)
    except ArgumentError:
        raise SourceError(
            "--from is not a database URL (mysql+pymysql://… or postgresql+psycopg://…)"
        ) from None
    if dialect.backend_of(url) is None:
        raise SourceError(
            "--from must name the original's MySQL database or its successor's PostgreSQL "
            f"one, not {url.get_backend_name()}"
        )
    return dialect.with_driver(url).render_as_string(hide_password=False)


def _from_env(backend: str, env: Mapping[str, str]) -> str:
    if not (env.get("DB_DATABASE") or "").strip():
        raise SourceError(
            "give --from URL, or set DB_DATABASE (with DB_HOST, DB_PORT, DB_USERNAME, DB_PASSWORD)"
        )
    try:
        url = dialect.env_url(backend, env)
    except ValueError as exc:
        raise SourceError(str(exc)) from None
    return url.render_as_string(hide_password=False)


def redacted(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


class LegacySource:
    """The original's database, opened read-only.

    ``schema``: the PostgreSQL schema (or MySQL database) holding the tables; by default the
    URL's database on MySQL, and ``patchwork_archive``, else ``public``, on PostgreSQL.
    """

    def __init__(
        self, url: str, *, page_size: int = DEFAULT_PAGE, schema: str | None = None
    ) -> None:
        self.url = url
        self.page_size = page_size
        parsed = make_url(url)
        backend = dialect.backend_of(parsed)
        if backend is None:
            raise SourceError(f"{redacted(url)} is neither MySQL nor PostgreSQL")
        self.backend = backend
        self.schema = schema
        self.tables: dict[str, Table] = {}
        try:
            self.engine: Engine = create_engine(
                url, pool_pre_ping=True, connect_args=dialect.connect_args(parsed)
            )
        except (ImportError, ArgumentError) as exc:
            raise SourceError(f"cannot open {redacted(url)}: {exc}") from None
        event.listen(self.engine, "connect", self._read_only)

    def check(self) -> None:
        """Reachable and holding the original's tables; raises :class:`SourceError`."""
        try:
            with self.engine.connect() as connection:
                schema, names = self._find_tables(connection)
        except SQLAlchemyError as exc:
            raise SourceError(f"cannot read {redacted(self.url)}: {_first_line(exc)}") from None
        self.schema = schema
        self.tables = legacy_tables(names, schema)

    def _find_tables(self, connection: Connection) -> tuple[str | None, dict[str, str]]:
        inspector = inspect_db(connection)
        if self.schema is not None or self.backend == "mysql":
            tried = [self.schema]
        else:
            present = set(inspector.get_schema_names())
            tried = [s for s in dialect.POSTGRES_SCHEMAS if s in present]
        for schema in tried:
            names = {n.lower(): n for n in inspector.get_table_names(schema=schema)}
            if all(t in names for t in REQUIRED):
                return schema, {t: names[t] for t in TABLES if t in names}
        where = ""
        if self.backend == "postgresql":
            where = f" (schema {self.schema or ' or '.join(dialect.POSTGRES_SCHEMAS)})"
        raise SourceError(
            f"{redacted(self.url)}{where} is not an original Patchwork database "
            f"(no tables {', '.join(REQUIRED)})"
        )

    def has(self, table: str) -> bool:
        return table in self.tables

    def table(self, name: str) -> Table:
        return self.tables[name]

    def exact(self, column: ColumnElement[Any]) -> ColumnElement[Any]:
        """``column`` as compared byte for byte (see :func:`dialect.exact`)."""
        return dialect.exact(self.backend, column)

    def exactly_equal(
        self, left: ColumnElement[Any], right: ColumnElement[Any]
    ) -> ColumnElement[bool]:
        return dialect.exactly_equal(self.backend, left, right)

    def count(self, table: str) -> int:
        if not self.has(table):
            return 0
        return int(self.scalar(select_(func.count()).select_from(self.table(table))) or 0)

    def scalar(self, query: Executable) -> Any:
        return self._run(lambda c: c.execute(query).scalar())

    def rows(self, query: Executable) -> list[Any]:
        return self._run(lambda c: list(c.execute(query).all()))

    def _run(self, work: Callable[[Connection], T]) -> T:
        try:
            with self.engine.connect() as connection:
                return work(connection)
        except SQLAlchemyError as exc:
            raise SourceError(f"reading the original failed: {_first_line(exc)}") from None

    def pages(self, query: Select[Any], key: ColumnElement[Any]) -> Iterator[list[Any]]:
        """Pages of ``query`` in ``key`` order, ``key`` > the last page's; ``key`` is column 0."""
        last: Any = None
        while True:
            page_query = query if last is None else query.where(key > last)
            page = self.rows(page_query.order_by(key).limit(self.page_size))
            if not page:
                return
            yield page
            if len(page) < self.page_size:
                return
            last = page[-1][0]

    def dispose(self) -> None:
        self.engine.dispose()

    def _read_only(self, dbapi_connection: Any, _record: Any) -> None:
        # A guard against any bug here: the source is evidence and must never change.
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(dialect.read_only_statement(self.backend))
        finally:
            cursor.close()
        # PostgreSQL undoes a SET with the transaction it ran in, which the pool rolls back.
        dbapi_connection.commit()


def _first_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    return (str(orig).splitlines() or [type(orig).__name__])[0][:300]
