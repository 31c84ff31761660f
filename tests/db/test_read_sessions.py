"""``Database.reading``: nothing it did is kept; SQLite's BEGIN fails like any statement."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select, text
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
