"""Engine and sessions: one pooled engine per app, transactions owned by services."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from patchwork.errors import OUTAGE_RETRY_AFTER, Unavailable


class DatabaseUnavailable(Unavailable):
    """The database cannot be reached. Its message may name the host: it is logged, not shown."""

    public_message = "Database unavailable"
    retry_after: int | None = OUTAGE_RETRY_AFTER


def build_engine(url: str, **kwargs: Any) -> Engine:
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    options: dict[str, Any] = {"pool_pre_ping": True, "future": True}
    if backend in ("mysql", "mariadb"):
        # Japanese titles and emoji need 4-byte UTF-8 on the wire as well as in the tables.
        if "charset" not in parsed.query:
            parsed = parsed.update_query_dict({"charset": "utf8mb4"})
        options.update(pool_recycle=3600, pool_size=10, max_overflow=20)
        options.setdefault("connect_args", {}).setdefault("connect_timeout", 10)
    elif backend == "postgresql":
        options.update(pool_size=10, max_overflow=20)
        options.setdefault("connect_args", {}).setdefault("connect_timeout", 10)
    elif backend == "sqlite":
        options.setdefault("connect_args", {}).update(timeout=30)
    options.update(kwargs)
    engine = create_engine(parsed, **options)
    if backend == "sqlite":
        event.listen(engine, "connect", _configure_sqlite)
        event.listen(engine, "begin", _begin_sqlite)
    return engine


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    # pysqlite's own transaction handling defers BEGIN and breaks SAVEPOINT/locking;
    # turn it off and issue BEGIN ourselves (see the SQLAlchemy pysqlite docs).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    # WAL lets readers run while a writer commits: this is what keeps a busy archive
    # from answering "database is locked".
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _begin_sqlite(connection: Any) -> None:
    # IMMEDIATE takes the write lock up front, so two writers queue on busy_timeout instead
    # of one failing with "database is locked" when it upgrades a read lock mid-transaction.
    reading = connection.get_execution_options().get("patchwork_read_only", False)
    connection.exec_driver_sql("BEGIN" if reading else "BEGIN IMMEDIATE")


class Database:
    """The app's database: a pooled engine and a session factory."""

    def __init__(self, url: str, **engine_options: Any) -> None:
        self.url = url
        self.engine = build_engine(url, **engine_options)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._read_sessions = sessionmaker(
            self.engine.execution_options(patchwork_read_only=True), expire_on_commit=False
        )

    @property
    def backend(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on error."""
        with self._sessions() as session, session.begin():
            yield session

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A session for queries only; on SQLite it does not take the write lock."""
        with self._read_sessions() as session:
            try:
                yield session
            finally:
                session.rollback()

    def ping(self) -> None:
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except SQLAlchemyError as exc:
            raise DatabaseUnavailable(
                f"cannot reach database {self.redacted_url()}: {_first_line(exc)}"
            ) from None

    def redacted_url(self) -> str:
        return make_url(self.url).render_as_string(hide_password=True)

    def dispose(self) -> None:
        self.engine.dispose()


def _first_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    return str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
