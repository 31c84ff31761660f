"""The original Patchwork's database for legacy-import tests and the bench.

``legacy_engine`` is parametrised over the source backends: the original's MySQL schema
(``tests/support/legacy_schema.sql``) on MariaDB, and its successor's PostgreSQL schema
(``tests/support/legacy_schema_postgres.sql``, tables in ``patchwork_archive``). Each is a scratch
database per test session (per xdist worker and process), emptied before every test, and
exists only when ``PATCHWORK_TEST_MYSQL_URL`` / ``PATCHWORK_TEST_POSTGRES_URL`` is set; the
Patchwork target runs on every backend. ``fill`` writes rows to either with the same keys.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import MetaData, Table, create_engine, text
from sqlalchemy.engine import Engine, make_url

SCHEMA = Path(__file__).with_name("legacy_schema.sql")
POSTGRES_SCHEMA = Path(__file__).with_name("legacy_schema_postgres.sql")
SUCCESSOR_SCHEMA = "patchwork_archive"
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
SOURCE_ENV = {"mysql": "PATCHWORK_TEST_MYSQL_URL", "postgresql": "PATCHWORK_TEST_POSTGRES_URL"}


def _scratch_name(kind: str) -> str:
    # The process id too: other checkouts' test runs share the database servers.
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    return f"patchwork_legacy_{kind}_{worker}_{os.getpid()}"


def _server(base_url: str, database: str) -> Engine:
    url = make_url(base_url).set(database=database)
    return create_engine(url.render_as_string(hide_password=False), isolation_level="AUTOCOMMIT")


def create_legacy_database(base_url: str, name: str) -> str:
    """(Re)create MySQL database ``name`` with the original's schema; returns its URL."""
    server = _server(base_url, "mysql")
    try:
        with server.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS `{name}`"))
            # The original's worker connected with utf8mb4_general_ci: case-insensitive ids.
            connection.execute(
                text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci")
            )
            connection.execute(text(f"USE `{name}`"))
            for statement in schema_statements(SCHEMA):
                connection.execute(text(statement))
    finally:
        server.dispose()
    url = make_url(base_url).set(database=name).update_query_dict({"charset": "utf8mb4"})
    return url.render_as_string(hide_password=False)


def create_successor_database(base_url: str, name: str, *, schema: str = SUCCESSOR_SCHEMA) -> str:
    """(Re)create PostgreSQL database ``name`` with the successor's schema; returns its URL.

    ``schema="public"``: the same tables in ``public`` (a plain copy of the successor's).
    """
    server = _server(base_url, "postgres")
    try:
        with server.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(text(f"CREATE DATABASE \"{name}\" ENCODING 'UTF8'"))
    finally:
        server.dispose()
    url = make_url(base_url).set(database=name).render_as_string(hide_password=False)
    statements = schema_statements(POSTGRES_SCHEMA)
    if schema != SUCCESSOR_SCHEMA:
        statements = [
            s.replace(f"{SUCCESSOR_SCHEMA}.", f"{schema}.")
            for s in statements
            if not s.startswith("CREATE SCHEMA")
        ]
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            for statement in statements:
                connection.execute(text(statement))
    finally:
        engine.dispose()
    return url


def schema_statements(path: Path = SCHEMA) -> list[str]:
    body = "\n".join(line for line in path.read_text().splitlines() if not line.startswith("--"))
    return [s.strip() for s in body.split(";") if s.strip()]


def drop_database(base_url: str, name: str) -> None:
    backend = make_url(base_url).get_backend_name()
    server = _server(base_url, "mysql" if backend == "mysql" else "postgres")
    try:
        with server.connect() as connection:
            if backend == "mysql":
                connection.execute(text(f"DROP DATABASE IF EXISTS `{name}`"))
            else:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        server.dispose()


def _base_url(backend: str) -> str:
    base = os.environ.get(SOURCE_ENV[backend])
    if not base:
        pytest.skip(f"{SOURCE_ENV[backend]} is not set: no {backend} source database")
    return base


@pytest.fixture(scope="session")
def legacy_database() -> Iterator[str]:
    """The original's MySQL database (kept for tests that need MySQL only)."""
    base = _base_url("mysql")
    name = _scratch_name("src")
    yield create_legacy_database(base, name)
    drop_database(base, name)


@pytest.fixture(scope="session")
def successor_database() -> Iterator[str]:
    base = _base_url("postgresql")
    name = _scratch_name("pg")
    yield create_successor_database(base, name)
    drop_database(base, name)


@pytest.fixture(scope="session")
def public_successor_database() -> Iterator[str]:
    """The successor's tables in ``public``: no ``patchwork_archive`` schema at all."""
    base = _base_url("postgresql")
    name = _scratch_name("pgpublic")
    yield create_successor_database(base, name, schema="public")
    drop_database(base, name)


@pytest.fixture(params=["mysql", "postgresql"], ids=["from_mysql", "from_postgresql"])
def legacy_engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    """An emptied source database of each backend; its URL is the import's ``--from``."""
    if request.param == "mysql":
        url = request.getfixturevalue("legacy_database")
        engine = create_engine(url)
        with engine.begin() as connection:
            connection.execute(text("SET FOREIGN_KEY_CHECKS = 0"))
            for table in TABLES:
                connection.execute(text(f"TRUNCATE TABLE {table}"))
            connection.execute(text("SET FOREIGN_KEY_CHECKS = 1"))
    else:
        url = request.getfixturevalue("successor_database")
        engine = successor_engine(url)
        with engine.begin() as connection:
            connection.execute(text(f"TRUNCATE TABLE {', '.join(TABLES)}"))
    yield engine
    engine.dispose()


def successor_engine(url: str, schema: str = SUCCESSOR_SCHEMA) -> Engine:
    """An engine for filling a successor database: unqualified names find ``schema``.

    Only the test's writes use the search path; the import gets the plain URL and has to
    find the schema itself.
    """
    return create_engine(url, connect_args={"options": f"-c search_path={schema}"})


def source_url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def fill(engine: Engine, table: str, rows: list[dict[str, Any]]) -> None:
    """Insert ``rows`` (keys matched to columns ignoring case: MySQL's ``kv.DATA`` is the
    successor's ``kv.data``)."""
    if not rows:
        return
    with engine.begin() as connection:
        target = Table(table, MetaData(), autoload_with=connection)
        columns = {c.name.lower(): c.name for c in target.columns}
        named = [{columns[k.lower()]: v for k, v in row.items()} for row in rows]
        connection.execute(target.insert(), named)
