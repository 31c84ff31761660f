"""The one place that knows which SQL dialect is running.

Everything else builds portable SQLAlchemy expressions; statements whose best form differs per
database (upserts, row locking) are built here. Every function names each supported dialect
(:class:`Dialect`) and a fourth one raises :class:`UnsupportedDatabase` instead of silently
getting another's SQL; ``assert_never`` makes mypy check that each ``match`` covers them all.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, assert_never

from sqlalchemy import Table, text
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import Insert


class Dialect(StrEnum):
    """The databases Patchwork speaks; MariaDB is ``MYSQL`` (SQLAlchemy may name it either)."""

    SQLITE = "sqlite"
    MYSQL = "mysql"
    POSTGRESQL = "postgresql"


class UnsupportedDatabase(NotImplementedError):
    """A dialect none of the functions here knows: nothing is sent to it."""

    def __init__(self, name: str) -> None:
        super().__init__(
            f"unsupported database dialect {name!r}: Patchwork speaks sqlite, mysql/mariadb "
            "and postgresql"
        )
        self.name = name


def dialect_named(name: str) -> Dialect:
    """The :class:`Dialect` of SQLAlchemy's dialect name; raises :class:`UnsupportedDatabase`."""
    if name == "mariadb":
        return Dialect.MYSQL
    try:
        return Dialect(name)
    except ValueError:
        raise UnsupportedDatabase(name) from None


def dialect_of(session: Session) -> Dialect:
    return dialect_named(session.get_bind().dialect.name)


def insert_ignoring_duplicates(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert rows, silently skipping any that collide with a unique key."""
    dialect = dialect_of(session)  # before the early return: an unknown dialect always raises
    if not rows:
        return
    stmt: Insert
    match dialect:
        case Dialect.MYSQL:
            stmt = mysql.insert(table).prefix_with("IGNORE")
        case Dialect.POSTGRESQL:
            stmt = postgresql.insert(table).on_conflict_do_nothing()
        case Dialect.SQLITE:
            stmt = sqlite.insert(table).on_conflict_do_nothing()
        case _:
            assert_never(dialect)
    session.execute(stmt, rows)


def add_to_counter(
    session: Session,
    table: Table,
    key: dict[str, Any],
    column: str,
    amount: int = 1,
    *,
    first_values: dict[str, Any] | None = None,
) -> None:
    """``INSERT … ON CONFLICT`` that adds ``amount`` to a counter column, atomically;
    ``first_values`` are the other columns of a row this inserts (an existing row keeps its)."""
    dialect = dialect_of(session)
    values = {**(first_values or {}), **key, column: amount}
    added = {column: table.c[column] + amount}
    match dialect:
        case Dialect.MYSQL:
            my = mysql.insert(table).values(values)
            session.execute(my.on_duplicate_key_update(added))
        case Dialect.POSTGRESQL:
            pg = postgresql.insert(table).values(values)
            session.execute(pg.on_conflict_do_update(index_elements=list(key), set_=added))
        case Dialect.SQLITE:
            lite = sqlite.insert(table).values(values)
            session.execute(lite.on_conflict_do_update(index_elements=list(key), set_=added))
        case _:
            assert_never(dialect)


def supports_skip_locked(session: Session) -> bool:
    """Whether ``SELECT … FOR UPDATE SKIP LOCKED`` is available (MariaDB >= 10.6, MySQL 8)."""
    dialect = dialect_of(session)
    match dialect:
        case Dialect.POSTGRESQL:
            return True
        case Dialect.MYSQL:
            # The server's version is known once the engine has connected: ask the session's
            # connection, not the engine (which says None before its first connection).
            connected = session.connection().dialect
            version = connected.server_version_info or ()
            is_maria = getattr(connected, "is_mariadb", False)
            return tuple(version[:2]) >= ((10, 6) if is_maria else (8, 0))
        case Dialect.SQLITE:
            return False
        case _:
            assert_never(dialect)


def newest_first(session: Session, column: Any) -> Any:
    """``column DESC`` with NULLs last on every backend.

    MySQL and SQLite already sort NULL lowest; PostgreSQL sorts it highest and needs
    ``NULLS LAST``, which MySQL does not understand.
    """
    dialect = dialect_of(session)
    match dialect:
        case Dialect.POSTGRESQL:
            return column.desc().nulls_last()
        case Dialect.MYSQL | Dialect.SQLITE:
            return column.desc()
        case _:
            assert_never(dialect)


def reversed_newest_first(session: Session, column: Any) -> Any:
    """The exact reverse of :func:`newest_first`: ``column ASC`` with NULLs first, which an
    index serving ``newest_first`` gives when read the other way."""
    dialect = dialect_of(session)
    match dialect:
        case Dialect.POSTGRESQL:
            return column.asc().nulls_first()
        case Dialect.MYSQL | Dialect.SQLITE:
            return column.asc()
        case _:
            assert_never(dialect)


def claim_lock(session: Session, stmt: Any) -> Any:
    """Lock the rows a queue claim selects so two claimers never take the same job.

    ``FOR UPDATE SKIP LOCKED`` where the database has it (claimers pass over each other's
    rows instead of waiting), plain ``FOR UPDATE`` on older MySQL/MariaDB, and nothing on
    SQLite, whose write transactions (``BEGIN IMMEDIATE``) already run one at a time.
    """
    dialect = dialect_of(session)
    match dialect:
        case Dialect.SQLITE:
            return stmt
        case Dialect.MYSQL | Dialect.POSTGRESQL:
            return stmt.with_for_update(skip_locked=supports_skip_locked(session))
        case _:
            assert_never(dialect)


# The two classifiers below read the driver's own error codes, which name their database
# (SQLSTATE on PostgreSQL, error numbers on MySQL/MariaDB, the message on SQLite); an error
# carries no dialect. An unknown database's errors match none of them and propagate, which
# is the safe answer for "may this transaction simply be run again?".


def is_transient_conflict(exc: BaseException) -> bool:
    """A deadlock or serialization failure: the transaction may simply be run again."""
    orig = getattr(exc, "orig", None)
    if orig is None:
        return False
    if getattr(orig, "sqlstate", None) in ("40001", "40P01"):  # PostgreSQL
        return True
    args: tuple[Any, ...] = tuple(getattr(orig, "args", None) or ())
    return bool(args) and args[0] in (1205, 1213)  # MySQL lock wait timeout, deadlock


def is_unique_violation(exc: BaseException) -> bool:
    """A unique index refused a row: a concurrent transaction inserted the same key first."""
    orig = getattr(exc, "orig", None)
    if orig is None:
        return False
    if getattr(orig, "sqlstate", None) == "23505":  # PostgreSQL unique_violation
        return True
    args: tuple[Any, ...] = tuple(getattr(orig, "args", None) or ())
    if args and args[0] == 1062:  # MySQL/MariaDB ER_DUP_ENTRY
        return True
    return "UNIQUE constraint failed" in str(orig)  # SQLite


def serialize_on(session: Session, name: str) -> None:
    """Make concurrent transactions that pass the same ``name`` run one after the other.

    PostgreSQL takes a transaction-scoped advisory lock. SQLite needs nothing (one writer at
    a time). MySQL/MariaDB rely on the caller's ``SELECT … FOR UPDATE`` of the matching
    rows, whose gap locks turn a racing duplicate insert into a deadlock the caller retries.
    """
    dialect = dialect_of(session)
    match dialect:
        case Dialect.POSTGRESQL:
            session.execute(
                text("SELECT pg_advisory_xact_lock(hashtextextended(:name, 0))"), {"name": name}
            )
        case Dialect.MYSQL | Dialect.SQLITE:
            pass
        case _:
            assert_never(dialect)


def oldest_first(session: Session, column: Any) -> list[Any]:
    """Order keys for ``column ASC`` with NULLs last on every backend.

    PostgreSQL says ``NULLS LAST``; MySQL and SQLite sort NULL lowest, so a leading
    ``column IS NULL`` key moves those rows to the end.
    """
    dialect = dialect_of(session)
    match dialect:
        case Dialect.POSTGRESQL:
            return [column.asc().nulls_last()]
        case Dialect.MYSQL | Dialect.SQLITE:
            return [column.is_(None), column.asc()]
        case _:
            assert_never(dialect)


def read_committed(session: Session) -> None:
    """Run the session's transaction at READ COMMITTED on MySQL/MariaDB.

    Call it first in the transaction. Under MySQL's default REPEATABLE READ, a locking scan
    (the claim's ``FOR UPDATE SKIP LOCKED``) also locks the *gaps* it scanned, and the
    claim's own UPDATE then has to insert index entries into gaps other claimers hold:
    a deadlock between claimers. READ COMMITTED takes record locks only, which is all the
    claim needs. PostgreSQL already defaults to it; SQLite has one writer at a time.
    """
    dialect = dialect_of(session)
    match dialect:
        case Dialect.MYSQL:
            session.connection(execution_options={"isolation_level": "READ COMMITTED"})
        case Dialect.POSTGRESQL | Dialect.SQLITE:
            pass
        case _:
            assert_never(dialect)
