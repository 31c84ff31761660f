"""The original Patchwork's MySQL database for legacy-import tests and the bench.

``legacy_source_url`` is a scratch MariaDB database (one per xdist worker) holding the
original's schema from ``tests/legacy_schema.sql``, emptied before every test. Only when
``PATCHWORK_TEST_MYSQL_URL`` is set (CI sets it); the Patchwork target runs on every backend.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url

SCHEMA = Path(__file__).with_name("legacy_schema.sql")
TABLES = (
    "worker_status",
    "archive_worker_auth",
    "archive_queue_auth",
    "archive_log",
    "archive_queue",
    "kv",
    "views",
    "files",
    "channels",
    "romanized",
    "songs",
)


def create_legacy_database(base_url: str, name: str) -> str:
    """(Re)create database ``name`` with the original's schema; returns its URL."""
    server = create_engine(
        make_url(base_url).set(database="mysql").render_as_string(hide_password=False),
        isolation_level="AUTOCOMMIT",
    )
    try:
        with server.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS `{name}`"))
            # The original's worker connected with utf8mb4_general_ci: case-insensitive ids.
            connection.execute(
                text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci")
            )
            connection.execute(text(f"USE `{name}`"))
            for statement in schema_statements():
                connection.execute(text(statement))
    finally:
        server.dispose()
    url = make_url(base_url).set(database=name).update_query_dict({"charset": "utf8mb4"})
    return url.render_as_string(hide_password=False)


def schema_statements() -> list[str]:
    body = "\n".join(line for line in SCHEMA.read_text().splitlines() if not line.startswith("--"))
    return [s.strip() for s in body.split(";") if s.strip()]


@pytest.fixture(scope="session")
def legacy_database() -> Iterator[str]:
    base = os.environ.get("PATCHWORK_TEST_MYSQL_URL")
    if not base:
        pytest.skip("PATCHWORK_TEST_MYSQL_URL is not set: the original's database is MySQL")
    # The process id too: other checkouts' test runs share the MariaDB server.
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    name = f"patchwork_legacy_src_{worker}_{os.getpid()}"
    yield create_legacy_database(base, name)
    drop_database(base, name)


def drop_database(base_url: str, name: str) -> None:
    server = create_engine(
        make_url(base_url).set(database="mysql").render_as_string(hide_password=False),
        isolation_level="AUTOCOMMIT",
    )
    try:
        with server.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS `{name}`"))
    finally:
        server.dispose()


@pytest.fixture
def legacy_engine(legacy_database: str) -> Iterator[Engine]:
    engine = create_engine(legacy_database)
    with engine.begin() as connection:
        connection.execute(text("SET FOREIGN_KEY_CHECKS = 0"))
        for table in TABLES:
            connection.execute(text(f"TRUNCATE TABLE {table}"))
        connection.execute(text("SET FOREIGN_KEY_CHECKS = 1"))
    yield engine
    engine.dispose()


def fill(engine: Engine, table: str, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    columns = list(rows[0])
    names = ", ".join(f"`{c}`" for c in columns)
    values = ", ".join(f":{c}" for c in columns)
    with engine.begin() as connection:
        connection.execute(text(f"INSERT INTO {table} ({names}) VALUES ({values})"), rows)
