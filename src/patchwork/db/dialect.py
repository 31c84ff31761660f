"""The one place that knows which SQL dialect is running.

Everything else builds portable SQLAlchemy expressions; statements whose best form differs per
database (upserts, row locking) are built here.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, text
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import Insert


def dialect_name(session: Session) -> str:
    return session.get_bind().dialect.name


def insert_ignoring_duplicates(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert rows, silently skipping any that collide with a unique key."""
    if not rows:
        return
    name = dialect_name(session)
    stmt: Insert
    if name in ("mysql", "mariadb"):
        stmt = mysql.insert(table).prefix_with("IGNORE")
    elif name == "postgresql":
        stmt = postgresql.insert(table).on_conflict_do_nothing()
    else:
        stmt = sqlite.insert(table).on_conflict_do_nothing()
    session.execute(stmt, rows)


def add_to_counter(
    session: Session, table: Table, key: dict[str, Any], column: str, amount: int = 1
) -> None:
    """``INSERT … ON CONFLICT`` that adds ``amount`` to a counter column, atomically."""
    name = dialect_name(session)
    values = {**key, column: amount}
    if name in ("mysql", "mariadb"):
        my = mysql.insert(table).values(values)
        session.execute(my.on_duplicate_key_update({column: table.c[column] + amount}))
    elif name == "postgresql":
        pg = postgresql.insert(table).values(values)
        session.execute(
            pg.on_conflict_do_update(
                index_elements=list(key), set_={column: table.c[column] + amount}
            )
        )
    else:
        lite = sqlite.insert(table).values(values)
        session.execute(
            lite.on_conflict_do_update(
                index_elements=list(key), set_={column: table.c[column] + amount}
            )
        )


def supports_skip_locked(session: Session) -> bool:
    """Whether ``SELECT … FOR UPDATE SKIP LOCKED`` is available (MariaDB >= 10.6, MySQL 8)."""
    bind = session.get_bind()
    name = bind.dialect.name
    if name == "postgresql":
        return True
    if name in ("mysql", "mariadb"):
        version = bind.dialect.server_version_info or ()
        is_maria = getattr(bind.dialect, "is_mariadb", False)
        return tuple(version[:2]) >= ((10, 6) if is_maria else (8, 0))
    return False


def newest_first(session: Session, column: Any) -> Any:
    """``column DESC`` with NULLs last on every backend.

    MySQL and SQLite already sort NULL lowest; PostgreSQL sorts it highest and needs
    ``NULLS LAST``, which MySQL does not understand.
    """
    if dialect_name(session) == "postgresql":
        return column.desc().nulls_last()
    return column.desc()


def claim_lock(session: Session, stmt: Any) -> Any:
    """Lock the rows a queue claim selects so two claimers never take the same job.

    ``FOR UPDATE SKIP LOCKED`` where the database has it (claimers pass over each other's
    rows instead of waiting), plain ``FOR UPDATE`` on older MySQL/MariaDB, and nothing on
    SQLite, whose write transactions (``BEGIN IMMEDIATE``) already run one at a time.
    """
    if dialect_name(session) == "sqlite":
        return stmt
    return stmt.with_for_update(skip_locked=supports_skip_locked(session))


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
    if dialect_name(session) == "postgresql":
        session.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:name, 0))"), {"name": name}
        )


def oldest_first(session: Session, column: Any) -> list[Any]:
    """Order keys for ``column ASC`` with NULLs last on every backend.

    PostgreSQL says ``NULLS LAST``; MySQL and SQLite sort NULL lowest, so a leading
    ``column IS NULL`` key moves those rows to the end.
    """
    if dialect_name(session) == "postgresql":
        return [column.asc().nulls_last()]
    return [column.is_(None), column.asc()]


def read_committed(session: Session) -> None:
    """Run the session's transaction at READ COMMITTED on MySQL/MariaDB.

    Call it first in the transaction. Under MySQL's default REPEATABLE READ, a locking scan
    (the claim's ``FOR UPDATE SKIP LOCKED``) also locks the *gaps* it scanned, and the
    claim's own UPDATE then has to insert index entries into gaps other claimers hold:
    a deadlock between claimers. READ COMMITTED takes record locks only, which is all the
    claim needs. PostgreSQL already defaults to it; SQLite has one writer at a time.
    """
    if dialect_name(session) in ("mysql", "mariadb"):
        session.connection(execution_options={"isolation_level": "READ COMMITTED"})
