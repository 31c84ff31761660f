"""The ``count_statements`` fixture: how many SQL statements and transactions a block runs.

Used by the statement budgets in tests/web/ and tests/api/; registered through
``pytest_plugins`` in conftest.py::

    def test_budget(client, db, count_statements):
        with count_statements(db) as counted:
            client.get("/watch?v=...")
        assert counted.transactions <= 3, counted.report()

A transaction is one ``begin`` event on a connection (autobegin included). A statement is
every one the engine sends to the driver except the ``BEGIN`` / ``BEGIN IMMEDIATE`` that
patchwork.db.engine issues on SQLite to start a transaction (the other drivers begin
implicitly), so one budget holds on every database. ``counted.sql`` keeps them all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import Engine, event

from patchwork.db import Database

#: What patchwork.db.engine sends to start a SQLite transaction (counted as a transaction).
TRANSACTION_STARTS = frozenset({"BEGIN", "BEGIN IMMEDIATE"})


@dataclass
class Counted:
    """What ran on the engine while the block was open (the SQL text of each statement)."""

    sql: list[str] = field(default_factory=list)
    transactions: int = 0

    @property
    def statements(self) -> int:
        return sum(1 for statement in self.sql if statement not in TRANSACTION_STARTS)

    def report(self) -> str:
        """For an assertion message: the counts, then every statement on a line."""
        lines = [" ".join(statement.split())[:200] for statement in self.sql]
        return "\n".join(
            [f"{self.transactions} transactions, {self.statements} statements:", *lines]
        )


CountStatements = Callable[[Database | Engine], AbstractContextManager[Counted]]


@contextmanager
def _counting(target: Database | Engine) -> Iterator[Counted]:
    engine = target.engine if isinstance(target, Database) else target
    counted = Counted()

    def on_statement(
        _conn: Any, _cursor: Any, statement: str, _params: Any, _context: Any, _many: bool
    ) -> None:
        counted.sql.append(statement)

    def on_begin(_conn: Any) -> None:
        counted.transactions += 1

    event.listen(engine, "before_cursor_execute", on_statement)
    event.listen(engine, "begin", on_begin)
    try:
        yield counted
    finally:
        event.remove(engine, "before_cursor_execute", on_statement)
        event.remove(engine, "begin", on_begin)


@pytest.fixture
def count_statements() -> CountStatements:
    """``with count_statements(db) as counted: ...`` then ``counted.statements`` and
    ``counted.transactions`` (``db`` is a Database or an Engine)."""
    return _counting
