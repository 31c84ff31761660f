"""Pooled connections: no round trip to check a live one, a dead one replaced before use.

On MariaDB and PostgreSQL the server ends the test's session (KILL, pg_terminate_backend), as
a restart or ``wait_timeout`` would; SQLite has no server whose connection could die.
"""

from __future__ import annotations

import select
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import text

from patchwork.db import Database
from patchwork.db import engine as engine_module

SESSION_ID = {"mysql": "SELECT CONNECTION_ID()", "postgresql": "SELECT pg_backend_pid()"}
END_SESSION = {"mysql": "KILL {id}", "postgresql": "SELECT pg_terminate_backend({id})"}


@pytest.fixture
def pooled(database_url: str) -> Iterator[Database]:
    db = Database(database_url)
    yield db
    db.dispose()


@pytest.fixture
def pings(pooled: Database, monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    seen: list[Any] = []
    real = pooled.engine.dialect.do_ping

    def counting(dbapi_connection: Any) -> bool:
        seen.append(dbapi_connection)
        return real(dbapi_connection)

    monkeypatch.setattr(pooled.engine.dialect, "do_ping", counting)
    return seen


def _session_id(db: Database) -> int:
    with db.reading() as session:
        return int(session.execute(text(SESSION_ID[db.backend])).scalar_one())


def test_a_connection_in_use_is_not_pinged(
    backend: str, pooled: Database, pings: list[Any]
) -> None:
    first = 1 if backend == "sqlite" else _session_id(pooled)
    for _ in range(5):
        with pooled.reading() as session:
            assert session.execute(text("SELECT 1")).scalar_one() == 1
    assert pings == []
    if backend != "sqlite":
        assert _session_id(pooled) == first  # the same pooled connection all along


def test_a_connection_idle_for_long_is_pinged(
    backend: str, pooled: Database, pings: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    if backend == "sqlite":
        pytest.skip("SQLite has no server to ping")
    first = _session_id(pooled)
    monkeypatch.setattr(engine_module, "IDLE_PING_SECONDS", 0.0)
    assert _session_id(pooled) == first
    assert len(pings) == 1


def test_a_connection_the_server_ended_is_replaced_before_use(
    backend: str, pooled: Database, pings: list[Any], database_url: str
) -> None:
    if backend == "sqlite":
        pytest.skip("SQLite has no server to end a connection")
    with pooled.engine.connect() as connection:
        victim = int(connection.execute(text(SESSION_ID[backend])).scalar_one())
        dbapi_connection = connection.connection.dbapi_connection
        connection.rollback()
    socket_fd = _fileno(dbapi_connection)
    other = Database(database_url)
    try:
        with other.engine.connect() as admin:
            admin.execute(text(END_SESSION[backend].format(id=victim)))
            admin.commit()
    finally:
        other.dispose()
    # Wait for the server's goodbye to arrive (what the checkout looks for), not a fixed time.
    readable, _, _ = select.select([socket_fd], [], [], 10)
    assert readable, "the server did not close the connection"

    assert _session_id(pooled) != victim  # answered, on a new connection
    assert len(pings) == 1  # the dead one was pinged (and failed), the new one was not


def _fileno(dbapi_connection: Any) -> int:
    if hasattr(dbapi_connection, "fileno"):
        return int(dbapi_connection.fileno())
    return int(dbapi_connection._sock.fileno())
