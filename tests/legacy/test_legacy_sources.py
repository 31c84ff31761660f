"""Where ``patchwork legacy import`` reads from.

``--from`` is a URL of the original's MySQL database or of its successor's PostgreSQL one,
or ``mysql`` / ``postgresql`` alone for the original's ``DB_*`` settings (``DB_PORT``
included; the successor's default port 6543). On PostgreSQL the tables are found in
``patchwork_archive``, else ``public``, or in ``--schema``. Either source is read-only.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import SQLAlchemyError

from patchwork.cli import cli
from patchwork.db import Database
from patchwork.db.models import JobEvent, KeyValue, Video
from patchwork.legacy.source import LegacySource, SourceError
from patchwork.legacy.source import source_url as url_from
from support.legacy_fixtures import fill, source_url, successor_engine

ENV = {"DB_HOST": "db.example", "DB_DATABASE": "patchwork_archive", "DB_USERNAME": "pw"}


@pytest.mark.parametrize(
    ("given", "env", "expected"),
    [
        (None, ENV, "mysql+pymysql://pw@db.example/patchwork_archive?charset=utf8mb4"),
        ("mysql", {**ENV, "DB_PORT": "3307"}, "mysql+pymysql://pw@db.example:3307/"),
        (None, {**ENV, "DB_HOST": "db.example:3308"}, "mysql+pymysql://pw@db.example:3308/"),
        ("postgresql", ENV, "postgresql+psycopg://pw@db.example:6543/patchwork_archive"),
        ("postgresql", {**ENV, "DB_PORT": "5432"}, "postgresql+psycopg://pw@db.example:5432/"),
        # DB_PORT wins over a port in DB_HOST.
        (
            "postgres",
            {**ENV, "DB_HOST": "h:1", "DB_PORT": "5433"},
            "postgresql+psycopg://pw@h:5433/",
        ),
        ("postgresql://u@h/db", {}, "postgresql+psycopg://u@h/db"),
        ("postgresql+psycopg://u@h:6543/db?sslmode=require", {}, "postgresql+psycopg://u@h:6543/"),
        ("mysql://u@h/db", {}, "mysql+pymysql://u@h/db?charset=utf8mb4"),
        ("postgres://u@h/db", {}, "postgresql+psycopg://u@h/db"),
    ],
    # Not the backend names: the summary in conftest.py counts those as target databases.
    ids=[f"case{n}" for n in range(10)],
)
def test_source_urls(given: str | None, env: dict[str, str], expected: str) -> None:
    assert url_from(given, env).startswith(expected)


def test_bad_settings_are_one_clear_line() -> None:
    with pytest.raises(SourceError, match="DB_PORT must be a port number"):
        url_from("postgresql", {**ENV, "DB_PORT": "sixty"})
    with pytest.raises(SourceError, match="DB_DATABASE"):
        url_from("postgresql", {"DB_HOST": "h"})
    with pytest.raises(SourceError, match="not sqlite"):
        url_from("sqlite:///x.db", {})


def test_bad_source_is_one_clear_line(db: Database, cli_env: dict[str, str]) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["legacy", "import", "--from", "sqlite:///x.db"], env=cli_env)
    assert result.exit_code != 0
    assert "must name the original's MySQL database or its successor's PostgreSQL" in result.output
    for unreachable in (
        "mysql+pymysql://nobody:pw@127.0.0.1:1/none",
        "postgresql+psycopg://nobody:pw@127.0.0.1:1/none",
    ):
        result = runner.invoke(cli, ["legacy", "import", "--from", unreachable], env=cli_env)
        assert result.exit_code != 0 and "cannot read" in result.output
        assert "Traceback" not in result.output and "pw@" not in result.output
    result = runner.invoke(cli, ["legacy", "import"], env={**cli_env, "DB_DATABASE": ""})
    assert result.exit_code != 0 and "DB_DATABASE" in result.output


def test_patchworks_own_database_is_refused(tmp_path: Path) -> None:
    # Without PATCHWORK_DATABASE_URL, DB_* are Patchwork's own database too.
    env = {
        "PATCHWORK_DATABASE_URL": None,
        "PATCHWORK_INSTANCE_PATH": str(tmp_path / "instance"),
        "PATCHWORK_ENV_FILE": str(tmp_path / "no.env"),
        "PATCHWORK_CONFIG": None,
        **ENV,
    }
    result = CliRunner().invoke(cli, ["legacy", "import"], env=env)
    assert result.exit_code != 0
    assert "is Patchwork's own database" in result.output, result.output


def _one_video(engine: Engine) -> None:
    song = {
        "id": 7,
        "video_id": "dQw4w9WgXcQ",
        "title": "夜に駆ける 🎵",
        "channel_id": "UC_A",
        "channel_name": "A",
        "upload_date": "2021-05-06",
        "description": "one \\ntwo",
    }
    fill(engine, "songs", [song])
    fill(engine, "channels", [{"channel_id": "UC_A", "channel_name": "Alpha"}])
    fill(engine, "kv", [{"DATA": "video_bucket_count", "REFERENCE": "1234"}])
    fill(
        engine,
        "archive_log",
        [
            {
                "id": 1,
                "url": "https://youtu.be/aaaaaaaaaaa",
                "user": "queue-secret",
                "status": "Processed",
                "timestamp": "2024-01-02 03:04:05",
            }
        ],
    )


def _imported(db: Database) -> None:
    with db.reading() as session:
        video = session.scalars(select(Video)).one()
        assert (video.video_id, video.title, video.description) == (
            "dQw4w9WgXcQ",
            "夜に駆ける 🎵",
            "one\ntwo",
        )
        assert session.scalars(select(KeyValue.value)).one() == "1234"
        event = session.scalars(select(JobEvent).where(JobEvent.event == "queued")).one()
        # The successor's quoted "user" column was read, not PostgreSQL's CURRENT_USER.
        assert event.actor_name == "legacy" and event.message == "archive_log #1: Processed"


def test_from_the_original_settings(
    legacy_engine: Engine,
    db: Database,
    cli_env: dict[str, str],
) -> None:
    """``DB_*`` as the original (MySQL) or the successor (PostgreSQL) is configured."""
    _one_video(legacy_engine)
    url = legacy_engine.url
    env = {
        **cli_env,
        "DB_HOST": f"{url.host}:1",  # DB_PORT must win
        "DB_PORT": str(url.port or 3306),
        "DB_DATABASE": url.database or "",
        "DB_USERNAME": url.username or "",
        "DB_PASSWORD": url.password or "",
    }
    args = [] if url.get_backend_name() == "mysql" else ["--from", "postgresql"]
    result = CliRunner().invoke(cli, ["legacy", "import", *args], env=env)
    assert result.exit_code == 0, result.output
    _imported(db)


def test_the_source_is_read_only(legacy_engine: Engine) -> None:
    _one_video(legacy_engine)
    source = LegacySource(source_url(legacy_engine))
    try:
        source.check()
        songs = source.table("songs")
        for _ in range(2):  # a pooled connection stays read-only
            with pytest.raises(SQLAlchemyError, match=r"(?i)read.only"), source.engine.begin() as c:
                c.execute(songs.delete())
    finally:
        source.dispose()
    with legacy_engine.connect() as connection:
        assert connection.execute(text("SELECT COUNT(*) FROM songs")).scalar() == 1


def test_successor_tables_in_public(
    public_successor_database: str,
    db: Database,
    cli_env: dict[str, str],
) -> None:
    filler = successor_engine(public_successor_database, "public")
    try:
        with filler.begin() as connection:
            connection.execute(text("TRUNCATE TABLE songs, channels, kv, archive_log"))
        _one_video(filler)
    finally:
        filler.dispose()
    runner = CliRunner()
    named = runner.invoke(
        cli,
        ["legacy", "import", "--from", public_successor_database, "--schema", "patchwork_archive"],
        env=cli_env,
    )
    assert named.exit_code != 0
    assert "(schema patchwork_archive) is not an original Patchwork database" in named.output
    assert str(make_url(public_successor_database).database) in named.output

    found = runner.invoke(
        cli, ["legacy", "import", "--from", public_successor_database], env=cli_env
    )
    assert found.exit_code == 0, found.output
    _imported(db)
