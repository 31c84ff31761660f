"""The one place that knows which SQL dialect is running.

Everything else builds portable SQLAlchemy expressions; statements whose best form differs per
database (upserts, row locking) are built here.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table
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
