"""Engine and sessions: one pooled engine per app, transactions owned by services."""

from __future__ import annotations

import functools
import select
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.exc import DBAPIError, InvalidatePoolError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from patchwork.errors import OUTAGE_RETRY_AFTER, Unavailable


class DatabaseUnavailable(Unavailable):
    """The database cannot be reached. Its message may name the host: it is logged, not shown."""

    public_message = "Database unavailable"
    retry_after: int | None = OUTAGE_RETRY_AFTER


def build_engine(url: str, **kwargs: Any) -> Engine:
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    # No pool_pre_ping: it costs a round trip per checkout; _check_on_checkout replaces it.
    options: dict[str, Any] = {"future": True}
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
    elif not options.get("pool_pre_ping"):  # a caller who asked for pre-ping keeps it
        event.listen(engine, "checkin", _note_checkin)
        event.listen(engine, "checkout", functools.partial(_check_on_checkout, engine.dialect))
    return engine


#: A pooled connection idle for longer than this is pinged (one round trip) before use. One
#: used more recently is only looked at: see _check_on_checkout.
IDLE_PING_SECONDS = 10.0
_CHECKED_IN = "patchwork.checked_in"


def _note_checkin(_dbapi_connection: Any, record: Any) -> None:
    record.info[_CHECKED_IN] = time.monotonic()


def _check_on_checkout(
    dialect: Dialect, dbapi_connection: Any, record: Any, _proxy: Any = None
) -> None:
    """Hand out no dead connection, without pool_pre_ping's round trip on each checkout.

    A connection the server closed (a restart, a killed session, ``wait_timeout``, a proxy
    cut) has its socket readable: the server's goodbye or end of file. An idle connection
    that is alive has nothing to read, so one ``poll`` with no wait tells them apart, and only
    a readable one, one whose socket cannot be seen, or one idle for IDLE_PING_SECONDS (a
    silently dropped network path shows nothing on the socket) is pinged. A failed ping
    invalidates the pool, as pre-ping does: the pool opens a new connection for this checkout,
    and a database that is down answers that with the OperationalError served as a 503.
    """
    checked_in = record.info.get(_CHECKED_IN)
    if checked_in is None:
        return  # connected for this checkout
    if time.monotonic() - checked_in < IDLE_PING_SECONDS and _socket_is_quiet(dbapi_connection):
        return
    try:
        dialect.do_ping(dbapi_connection)
    except dialect.loaded_dbapi.Error as exc:
        raise InvalidatePoolError(f"ping failed: {type(exc).__name__}") from exc


def _socket_is_quiet(dbapi_connection: Any) -> bool:
    """True when the connection's socket is open with nothing to read; False when it has
    data, hung up, or cannot be seen (then the caller pings)."""
    if hasattr(dbapi_connection, "fileno"):  # psycopg
        try:
            fd = dbapi_connection.fileno()
        except Exception:
            return False
    else:  # PyMySQL keeps its socket in _sock (None once closed)
        sock = getattr(dbapi_connection, "_sock", None)
        if sock is None:
            return False
        fd = sock.fileno()
    if fd < 0 or not hasattr(select, "poll"):
        return False
    poller = select.poll()
    poller.register(fd, select.POLLIN | select.POLLPRI)
    return not poller.poll(0)


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
    statement = "BEGIN" if reading else "BEGIN IMMEDIATE"
    # Straight to the driver: exec_driver_sql costs a tenth of a point read. Its events are
    # not needed for BEGIN (tests/support/statements.py counts transactions by the "begin"
    # event), its error wrapping is: a locked database is an OperationalError like any other.
    try:
        connection.connection.driver_connection.execute(statement)
    except sqlite3.Error as exc:
        raise DBAPIError.instance(statement, None, exc, sqlite3.Error) from exc


class Database:
    """The app's database: a pooled engine and a session factory."""

    def __init__(self, url: str, **engine_options: Any) -> None:
        self.url = url
        self.engine = build_engine(url, **engine_options)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._read_engine = self.engine.execution_options(patchwork_read_only=True)

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
        """A session for queries only; on SQLite it does not take the write lock.

        Nothing a read did is kept: its transaction is rolled back once, when the connection
        goes back to the pool, and loaded objects stay readable (nothing is expired)."""
        # The session joins a transaction begun on a connection of its own. A session that
        # owns its connection rolls back on close and then the pool rolls back again on
        # return (a second round trip per read); a Connection closed inside its transaction
        # rolls back once and tells the pool that the reset is done.
        with self.read_connection() as connection:
            session = Session(bind=connection, expire_on_commit=False)
            try:
                yield session
            finally:
                session.close()

    @contextmanager
    def read_connection(self) -> Iterator[Connection]:
        """A Core connection for queries only (point reads that load no ORM objects): one
        transaction, rolled back once on the way back to the pool."""
        with self._read_engine.connect() as connection:
            connection.begin()
            yield connection

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
