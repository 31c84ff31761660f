"""Shared fixtures: every database test runs on SQLite, and on MariaDB and PostgreSQL when
``PATCHWORK_TEST_MYSQL_URL`` / ``PATCHWORK_TEST_POSTGRES_URL`` are set.

Each backend gets one scratch database per test session (per xdist worker), migrated once;
every test then starts from empty tables and a fresh app.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from patchwork.app import create_app
from patchwork.archive import snapshots
from patchwork.config import Settings
from patchwork.db import Database
from patchwork.db.migrate import upgrade
from patchwork.db.models import Base
from patchwork.state import app_state

# Fixtures shared across rooms, from tests/support/ (a test asks for them by name).
pytest_plugins = [
    "support.s3_fixtures",  # moto's S3 server and storage backends
    "support.queue_fixtures",  # queue and worker tokens
    "support.worker_fixtures",  # a loopback video source and a live server for the worker
    "support.browser_fixtures",  # Chromium against a live archive
    "support.frontend_archive",  # an archive laid out the way Patchwork-Browser reads it
    "support.legacy_fixtures",  # the original's databases on MariaDB and PostgreSQL
    "support.legacy_awkward",  # one of them filled with the original's awkward rows
    "support.media_fixtures",  # one video's files on each storage backend, for /media
    "support.statements",  # count_statements: SQL statements and transactions of a block
]

BACKEND_ENV = {
    "mysql": "PATCHWORK_TEST_MYSQL_URL",
    "postgresql": "PATCHWORK_TEST_POSTGRES_URL",
}


def _worker_suffix() -> str:
    # The pid keeps two test runs on one machine (or two xdist workers) off each other's data.
    return f"{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_{os.getpid()}"


def _server_url(base: str, backend: str) -> str:
    url = make_url(base)
    return url.set(database="mysql" if backend == "mysql" else "postgres").render_as_string(
        hide_password=False
    )


def _scratch_statements(backend: str, name: str) -> tuple[str, str]:
    if backend == "mysql":
        return (
            f"DROP DATABASE IF EXISTS `{name}`",
            f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci",
        )
    return (
        f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
        f"CREATE DATABASE \"{name}\" ENCODING 'UTF8'",
    )


def _run_on_server(backend: str, base_url: str, *statements: str) -> None:
    server = create_engine(_server_url(base_url, backend), isolation_level="AUTOCOMMIT")
    try:
        with server.connect() as connection:
            for statement in statements:
                connection.execute(text(statement))
    except Exception as exc:  # pragma: no cover - CI must fail loudly, never skip
        pytest.fail(f"{BACKEND_ENV[backend]} is set but its server is unreachable: {exc}")
    finally:
        server.dispose()


def _create_scratch_database(backend: str, base_url: str) -> str:
    """A fresh, empty database on the server ``base_url`` points at; returns its URL."""
    name = f"patchwork_test_{_worker_suffix()}"
    _run_on_server(backend, base_url, *_scratch_statements(backend, name))
    return make_url(base_url).set(database=name).render_as_string(hide_password=False)


def _backends() -> list[str]:
    return ["sqlite"] + [b for b, env in BACKEND_ENV.items() if os.environ.get(env)]


@pytest.fixture(scope="session")
def migrated_urls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    urls: dict[str, str] = {}
    for backend in _backends():
        if backend == "sqlite":
            path = tmp_path_factory.mktemp("sqlite") / "patchwork.db"
            url = f"sqlite:///{path}"
        else:
            url = _create_scratch_database(backend, os.environ[BACKEND_ENV[backend]])
        db = Database(url)
        upgrade(db)
        db.dispose()
        urls[backend] = url
    yield urls
    for backend, url in urls.items():
        if backend != "sqlite":
            name = make_url(url).database or ""
            _run_on_server(
                backend, os.environ[BACKEND_ENV[backend]], _scratch_statements(backend, name)[0]
            )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" in metafunc.fixturenames:
        metafunc.parametrize("backend", _backends(), scope="session")


@pytest.fixture
def database_url(backend: str, migrated_urls: dict[str, str]) -> Iterator[str]:
    url = migrated_urls[backend]
    _empty_all_tables(url)
    yield url


def _empty_all_tables(url: str) -> None:
    db = Database(url)
    try:
        with db.transaction() as session:
            for table in reversed(Base.metadata.sorted_tables):
                session.execute(table.delete())
    finally:
        db.dispose()


@pytest.fixture(autouse=True)
def first_answers_waited_for(monkeypatch: pytest.MonkeyPatch) -> None:
    """An app's first computation of an answer is waited for, however loaded the machine:
    in production a request waits 0.8 s and then gets a 503 (tested with an explicit
    ``first_wait`` in tests/archive/catalog/test_snapshot_answers.py)."""
    monkeypatch.setattr(snapshots, "FIRST_WAIT_SECONDS", 120.0)


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    instance = tmp_path / "instance"
    return Settings(
        instance_path=instance,
        database_url=database_url,
        storage_url=f"file://{instance / 'archive'}",
        # Each view written in its request: a tally's timer outliving its test would write
        # into the next test's tables (tests/archive/catalog/test_view_tally.py tests the tally).
        view_flush_seconds=0,
    )


@pytest.fixture
def app(settings: Settings) -> Iterator[Flask]:
    app = create_app(settings)
    app.config["TESTING"] = True
    yield app
    app_state(app).db.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def db(app: Flask) -> Database:
    return app_state(app).db


@pytest.fixture
def cli_env(settings: Settings, tmp_path: Path) -> dict[str, str]:
    """Environment for running the ``patchwork`` command against the test database."""
    return {
        "PATCHWORK_DATABASE_URL": settings.database_url,
        "PATCHWORK_INSTANCE_PATH": str(settings.instance_path),
        "PATCHWORK_ENV_FILE": str(tmp_path / "no.env"),
    }


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Show how many tests ran on each database, so CI output proves none was skipped."""
    counts: dict[str, dict[str, int]] = {}
    for outcome in ("passed", "failed", "skipped", "error"):
        for report in terminalreporter.stats.get(outcome, []):
            nodeid = getattr(report, "nodeid", "")
            for backend in ("sqlite", "mysql", "postgresql"):
                if f"[{backend}" in nodeid or f"-{backend}]" in nodeid or f"-{backend}-" in nodeid:
                    counts.setdefault(backend, {}).setdefault(outcome, 0)
                    counts[backend][outcome] += 1
    if counts:
        terminalreporter.section("tests per database")
        for backend, by_outcome in sorted(counts.items()):
            parts = ", ".join(f"{n} {o}" for o, n in sorted(by_outcome.items()))
            terminalreporter.write_line(f"{backend}: {parts}")
