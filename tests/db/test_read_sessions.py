"""``Database.reading``: nothing it did is kept; SQLite's BEGIN fails like any statement."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import event, func, select, text
from sqlalchemy.exc import OperationalError

from patchwork.db import Database
from patchwork.db.models import Channel


def test_a_read_session_keeps_nothing_it_wrote(db: Database) -> None:
    with db.reading() as session:
        session.add(Channel(channel_id="UCread", name="Never kept"))
        session.flush()
        assert session.scalar(select(func.count()).select_from(Channel)) == 1
    with db.reading() as session:
        assert session.scalar(select(func.count()).select_from(Channel)) == 0


def test_what_a_read_loaded_stays_readable_after_it(db: Database) -> None:
    with db.transaction() as session:
        session.add(Channel(channel_id="UCkept", name="Kept"))
    with db.reading() as session:
        channel = session.scalars(select(Channel)).one()
    assert (channel.channel_id, channel.name) == ("UCkept", "Kept")


def test_a_locked_sqlite_database_is_an_operational_error(tmp_path: Path) -> None:
    """BEGIN IMMEDIATE goes straight to the driver; its failure still reaches callers as
    SQLAlchemy's OperationalError (answered as 503), not as sqlite3's own exception."""
    db = Database(f"sqlite:///{tmp_path / 'locked.db'}")
    try:
        with db.engine.connect() as holder, db.engine.connect() as waiter:
            holder.begin()  # BEGIN IMMEDIATE: holds the write lock
            holder.execute(text("CREATE TABLE t (x INTEGER)"))
            # Fail at once instead of waiting out the 30 s busy timeout.
            waiter.connection.driver_connection.execute("PRAGMA busy_timeout=0")
            with pytest.raises(OperationalError, match="locked"):
                waiter.begin()
    finally:
        db.dispose()


def rollbacks_of(db: Database) -> tuple[list[str], list[bool]]:
    """Rollbacks sent by connections, and for each return to the pool whether the
    transaction was already ended (False: the pool sends a rollback of its own)."""
    sent: list[str] = []
    returns: list[bool] = []
    event.listen(db.engine, "rollback", lambda _conn: sent.append("rollback"))
    event.listen(
        db.engine.pool,
        "reset",
        lambda _dbapi, _record, state: returns.append(state.transaction_was_reset),
    )
    return sent, returns


def test_a_read_ends_its_transaction_once(db: Database) -> None:
    """A read's transaction is rolled back once: the session's close used to roll back and
    then the pool rolled back again on return, a second round trip per request."""
    sent, returns = rollbacks_of(db)
    with db.reading() as session:
        session.scalar(select(func.count()).select_from(Channel))
    with db.read_connection() as connection:
        connection.execute(select(func.count()).select_from(Channel))
    assert sent == ["rollback", "rollback"]
    assert returns == [True, True]  # the pool added none
