"""How many rows one request reads: its SELECTs captured, then each re-run and measured.

Capture is at the DB-API level (``before_cursor_execute`` on the app's engine), so what is
measured is exactly the SQL and parameters the driver was given. Only reads are re-run:
INSERT/UPDATE/DELETE, ``FOR UPDATE``/``FOR SHARE`` and transaction or savepoint statements are
counted as skipped. Each SELECT then runs again, alone, on a dedicated connection
(:class:`RowsMeter`), where the database says what it read:

* MariaDB: the session's ``Handler_read_first/key/last/next/prev/rnd/rnd_next`` counters,
  before and after (every row the storage engine handed to the server, index entries and
  temporary tables included). Checked: ``SHOW SESSION STATUS`` itself moves none of them.
* PostgreSQL: ``EXPLAIN (ANALYZE, FORMAT JSON)``; per scan node (Seq, Index, Index Only,
  Bitmap Heap, Tid scans) ``Actual Rows`` plus ``Rows Removed by Filter`` and ``Rows Removed
  by Index Recheck`` (per-loop figures), times ``Actual Loops``. Bitmap Index Scans are left
  out: their heap scan reads the same rows.
* SQLite: virtual-machine instructions, counted by a progress handler that fires on every
  instruction while the statement is stepped to its end, divided by
  :data:`SQLITE_STEPS_PER_ROW`. SQLite (3.40 here) has no per-statement row counter a Python
  connection can read: ``sqlite_stmt``'s ``nscan`` counts full-table scans only (not an
  index walked to an ``OFFSET``, not a sort's input), and ``EXPLAIN QUERY PLAN`` names access
  paths without sizes, so "SCAN ... USING INDEX" reads the same whether a ``LIMIT`` stops it
  after six rows or not. Instructions count every loop iteration of every cursor, sorter and
  temporary b-tree, so they grow exactly when rows visited grow; the divisor is the fewest
  instructions a visited row costs (Column, compare, Next: measured 3.0 per row for a
  filtered full scan), so the figure is an upper bound on rows visited. A row *returned*
  costs about one instruction per column more, so SQLite's figures run higher than the
  others' for the same plan; the trend is what they share.

Re-running alone reads a little more than the app can: a statement is stepped to its end
even where the app stopped after its first row.
"""

from __future__ import annotations

import json
import math
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

#: Fewest VM instructions a row visited costs on SQLite (see the module docstring).
SQLITE_STEPS_PER_ROW = 3
MARIADB_READS = tuple(
    f"Handler_read_{name}" for name in ("first", "key", "last", "next", "prev", "rnd", "rnd_next")
)
POSTGRES_SCANS = frozenset(
    {
        "Seq Scan",
        "Index Scan",
        "Index Only Scan",
        "Bitmap Heap Scan",
        "Tid Scan",
        "Tid Range Scan",
        "Sample Scan",
    }
)
POSTGRES_REMOVED = ("Rows Removed by Filter", "Rows Removed by Index Recheck")
_LOCKING = (" FOR UPDATE", " FOR SHARE", " FOR NO KEY UPDATE", " FOR KEY SHARE", " LOCK IN SHARE")


@dataclass(frozen=True)
class Captured:
    """One statement as the driver received it."""

    sql: str
    parameters: Any
    no_parameters: bool  # SQLAlchemy called ``cursor.execute(sql)`` without parameters


@dataclass(frozen=True)
class StatementRows:
    sql: str
    parameters: Any
    rows: int


@dataclass
class RequestRows:
    """The rows each read of one request read, and the statements not measured."""

    statements: list[StatementRows] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(s.rows for s in self.statements)

    def report(self) -> str:
        lines = [f"{self.total} rows read by {len(self.statements)} reads:"]
        for s in sorted(self.statements, key=lambda s: -s.rows):
            lines.append(f"  {s.rows:>7}  {' '.join(s.sql.split())[:220]}  {s.parameters!r:.80}")
        if self.skipped:
            lines.append(
                f"  (not measured: {len(self.skipped)} statements that write, lock or begin)"
            )
        return "\n".join(lines)


def is_plain_read(sql: str) -> bool:
    """A SELECT (or WITH ... SELECT) that neither writes nor locks."""
    words = sql.lstrip().split(None, 1)
    if not words or words[0].upper() not in ("SELECT", "WITH"):
        return False
    flat = " ".join(sql.upper().split()) + " "
    if words[0].upper() == "WITH" and any(f" {w} " in flat for w in ("INSERT", "UPDATE", "DELETE")):
        return False
    return not any(lock in flat for lock in _LOCKING)


@contextmanager
def capturing(engine: Engine) -> Iterator[list[Captured]]:
    """Every statement this thread sends through ``engine`` while the block runs (a
    refresh some other thread runs at the same moment is not the request's cost)."""
    captured: list[Captured] = []
    thread = threading.get_ident()

    def on_execute(
        _conn: Any, _cursor: Any, statement: str, parameters: Any, context: Any, many: bool
    ) -> None:
        if threading.get_ident() != thread:
            return
        no_parameters = bool(context is not None and context.no_parameters and not parameters)
        captured.append(Captured(statement, None if many else parameters, no_parameters))

    event.listen(engine, "before_cursor_execute", on_execute)
    try:
        yield captured
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)


class RowsMeter:
    """A connection of its own, in autocommit (no snapshot held between statements), that
    re-runs captured reads and says how many rows each read."""

    def __init__(self, url: str) -> None:
        parsed = make_url(url)
        self.backend = parsed.get_backend_name()
        self._engine: Engine | None = None
        if self.backend == "sqlite":
            self._sqlite = sqlite3.connect(parsed.database or "", isolation_level=None)
            # The first statement of a connection reads the schema: not the request's cost.
            self._sqlite.execute("SELECT count(*) FROM sqlite_schema").fetchall()
            return
        if self.backend in ("mysql", "mariadb") and "charset" not in parsed.query:
            parsed = parsed.update_query_dict({"charset": "utf8mb4"})
        self._engine = create_engine(parsed, poolclass=NullPool)
        self._raw = self._engine.raw_connection()
        driver = self._raw.driver_connection
        assert driver is not None
        if self.backend == "postgresql":
            driver.autocommit = True
        else:
            driver.autocommit(True)
        self._driver: Any = driver

    def close(self) -> None:
        if self._engine is None:
            self._sqlite.close()
            return
        self._raw.close()
        self._engine.dispose()

    def measure(self, captured: list[Captured]) -> RequestRows:
        found = RequestRows()
        for statement in captured:
            if is_plain_read(statement.sql):
                rows = self.rows_read(statement)
                found.statements.append(StatementRows(statement.sql, statement.parameters, rows))
            else:
                found.skipped.append(statement.sql)
        return found

    def rows_read(self, statement: Captured) -> int:
        if self.backend == "sqlite":
            return self._sqlite_rows(statement)
        if self.backend == "postgresql":
            return self._postgres_rows(statement)
        return self._mariadb_rows(statement)

    def _execute(self, cursor: Any, sql: str, statement: Captured) -> None:
        if statement.no_parameters:
            cursor.execute(sql)
        else:
            cursor.execute(sql, statement.parameters)

    def _sqlite_rows(self, statement: Captured) -> int:
        steps = 0

        def tick() -> int:
            nonlocal steps
            steps += 1
            return 0  # go on

        cursor = self._sqlite.cursor()
        self._sqlite.set_progress_handler(tick, 1)
        try:
            self._execute(cursor, statement.sql, statement)
            cursor.fetchall()
        finally:
            self._sqlite.set_progress_handler(None, 1)
            cursor.close()
        return math.ceil(steps / SQLITE_STEPS_PER_ROW)

    def _mariadb_rows(self, statement: Captured) -> int:
        with self._driver.cursor() as cursor:
            before = _handler_reads(cursor)
            self._execute(cursor, statement.sql, statement)
            cursor.fetchall()
            return _handler_reads(cursor) - before

    def _postgres_rows(self, statement: Captured) -> int:
        explain = "EXPLAIN (ANALYZE, FORMAT JSON) " + statement.sql
        with self._driver.cursor() as cursor:
            self._execute(cursor, explain, statement)
            document = cursor.fetchone()[0]
        plans = json.loads(document) if isinstance(document, str) else document
        return round(sum(postgres_scanned(p["Plan"]) for p in plans))


def _handler_reads(cursor: Any) -> int:
    cursor.execute("SHOW SESSION STATUS LIKE 'Handler_read%'")
    counters = {str(name): int(value) for name, value in cursor.fetchall()}
    return sum(counters[name] for name in MARIADB_READS)


def postgres_scanned(node: dict[str, Any]) -> float:
    """Rows the scan nodes of this plan (sub)tree read, kept or filtered out."""
    total = 0.0
    if node.get("Node Type") in POSTGRES_SCANS:
        per_loop = float(node.get("Actual Rows", 0))
        per_loop += sum(float(node.get(key, 0)) for key in POSTGRES_REMOVED)
        total += per_loop * float(node.get("Actual Loops", 1))
    for child in node.get("Plans", ()):
        total += postgres_scanned(child)
    return total
