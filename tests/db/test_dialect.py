"""patchwork.db.dialect names every database it speaks; any other raises, never gets SQLite's
(or anyone's) SQL by default."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, create_engine, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from patchwork.db import Database, dialect
from patchwork.db.dialect import Dialect, UnsupportedDatabase, dialect_named, dialect_of

COUNTERS = Table(
    "counters", MetaData(), Column("id", Integer, primary_key=True), Column("n", Integer)
)

#: Arguments for each public function of the module, besides the session (or the name).
ARGUMENTS: dict[str, Callable[[Session], tuple[Any, ...]]] = {
    "dialect_named": lambda session: (session.get_bind().dialect.name,),
    "dialect_of": lambda session: (session,),
    "insert_ignoring_duplicates": lambda session: (session, COUNTERS, [{"id": 1}]),
    "add_to_counter": lambda session: (session, COUNTERS, {"id": 1}, "n"),
    "supports_skip_locked": lambda session: (session,),
    "newest_first": lambda session: (session, COUNTERS.c.n),
    "reversed_newest_first": lambda session: (session, COUNTERS.c.n),
    "oldest_first": lambda session: (session, COUNTERS.c.n),
    "claim_lock": lambda session: (session, select(COUNTERS)),
    "serialize_on": lambda session: (session, "a lock"),
    "read_committed": lambda session: (session,),
}
#: These read a driver's error codes; an error carries no dialect (see the module).
ERROR_CLASSIFIERS = {"is_transient_conflict", "is_unique_violation"}


def public_functions() -> set[str]:
    return {
        name
        for name, member in inspect.getmembers(dialect, inspect.isfunction)
        if member.__module__ == dialect.__name__ and not name.startswith("_")
    }


@pytest.fixture
def unknown_database(monkeypatch: pytest.MonkeyPatch) -> Iterator[Session]:
    """A session on an engine whose dialect calls itself ``fakesql`` (a fourth database)."""
    engine = create_engine("sqlite://")
    monkeypatch.setattr(engine.dialect, "name", "fakesql")
    with Session(engine) as session:
        yield session
    engine.dispose()


def test_every_public_function_is_covered() -> None:
    assert public_functions() == set(ARGUMENTS) | ERROR_CLASSIFIERS


@pytest.mark.parametrize("name", sorted(ARGUMENTS))
def test_an_unknown_dialect_raises(name: str, unknown_database: Session) -> None:
    function = getattr(dialect, name)
    with pytest.raises(UnsupportedDatabase, match="'fakesql'"):
        function(*ARGUMENTS[name](unknown_database))


def test_an_unknown_databases_errors_are_never_retried() -> None:
    class FakeDriverError(Exception):
        sqlstate = "HY000"

    error = DBAPIError("INSERT …", {}, FakeDriverError("duplicate key, in its own words"))
    assert not dialect.is_transient_conflict(error)
    assert not dialect.is_unique_violation(error)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("sqlite", Dialect.SQLITE),
        ("mysql", Dialect.MYSQL),
        ("mariadb", Dialect.MYSQL),
        ("postgresql", Dialect.POSTGRESQL),
    ],
)
def test_dialect_names(name: str, expected: Dialect) -> None:
    assert dialect_named(name) is expected


def test_every_database_under_test_is_known(database_url: str, backend: str) -> None:
    db = Database(database_url)
    try:
        with db.reading() as session:
            assert dialect_of(session) is Dialect(backend)
    finally:
        db.dispose()


def test_skip_locked_is_known_before_the_engine_first_connected(database_url: str) -> None:
    """MariaDB's version (>= 10.6 has SKIP LOCKED) is only known once connected."""

    def answer(*, connected_first: bool) -> bool:
        db = Database(database_url)  # a fresh engine, never connected
        try:
            with db.reading() as session:
                if connected_first:
                    session.execute(text("SELECT 1"))
                return dialect.supports_skip_locked(session)
        finally:
            db.dispose()

    assert answer(connected_first=False) == answer(connected_first=True)
