"""``patchwork legacy import``: adopt an original Patchwork deployment's database.

The original's MySQL database, or its successor's PostgreSQL one (docs/legacy.md).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from patchwork.cli.context import database_or_exit, settings_or_exit
from patchwork.legacy.run import import_legacy
from patchwork.legacy.source import LegacySource, SourceError, redacted, source_url
from patchwork.legacy.writer import Progress

#: The drivers' ports when a URL names none.
DEFAULT_PORTS = {"mysql": 3306, "mariadb": 3306, "postgresql": 5432}


@click.group()
def legacy() -> None:
    """Adopt an original Patchwork deployment (docs/legacy.md)."""


@legacy.command("import")
@click.option(
    "--from",
    "from_url",
    metavar="URL|mysql|postgresql",
    help="The original's database, e.g. mysql+pymysql://user:pw@host/patchwork_archive, "
    "or its successor's, e.g. postgresql+psycopg://user:pw@host:6543/postgres. "
    "'mysql' or 'postgresql' alone: that backend at DB_HOST, DB_PORT, DB_DATABASE, "
    "DB_USERNAME, DB_PASSWORD (PostgreSQL's default port: 6543, as the successor's). "
    "Default: mysql.",
)
@click.option(
    "--schema",
    metavar="NAME",
    help="PostgreSQL schema holding the tables. Default: patchwork_archive (the "
    "successor's), else public.",
)
@click.option("--dry-run", is_flag=True, help="Show what would be written; write nothing.")
@click.option(
    "--source-timezone",
    metavar="ZONE",
    help="Time zone of the original server's timestamps (archive_log, worker_status), "
    "e.g. Europe/Berlin. Default: this machine's.",
)
@click.option(
    "--batch-size",
    type=click.IntRange(10, 50000),
    default=2000,
    show_default=True,
    help="Rows per read and per target transaction.",
)
def import_command(
    from_url: str | None,
    schema: str | None,
    dry_run: bool,
    source_timezone: str | None,
    batch_size: int,
) -> None:
    """Copy the original's songs, channels, files, views, kv, queue, log, tokens and workers.

    The original database is only read. Tokens keep working with the same secrets (only
    their SHA-256 is stored). Safe to run again: a second run updates what changed and
    writes nothing else. Exits with status 1 when a row had to be skipped for an error.
    """
    tz = _timezone(source_timezone)
    settings = settings_or_exit()
    try:
        url = source_url(from_url)
        _not_the_target(url, settings.database_url)
    except SourceError as exc:
        raise click.ClickException(str(exc)) from None
    db = database_or_exit(settings)
    try:
        source = LegacySource(url, page_size=batch_size, schema=schema)
    except SourceError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(
        f"{'Dry run: ' if dry_run else ''}copying {redacted(source.url)} "
        f"into {settings.redacted_database_url()}",
        err=True,
    )
    try:
        report = import_legacy(source, db, tz=tz, dry_run=dry_run, progress=_bar)
    except SourceError as exc:
        raise click.ClickException(str(exc)) from None
    except SQLAlchemyError as exc:
        orig = getattr(exc, "orig", None) or exc
        raise click.ClickException(f"writing to Patchwork's database failed: {orig}") from None
    finally:
        source.dispose()
    click.echo(report.render())
    if report.errors:
        sys.exit(1)


def _not_the_target(source: str, target: str) -> None:
    # Without PATCHWORK_DATABASE_URL, Patchwork's own database also comes from DB_*: the
    # import would then read and write one database.
    if _server_and_database(source) == _server_and_database(target):
        raise SourceError(
            f"the source {redacted(source)} is Patchwork's own database: set "
            "PATCHWORK_DATABASE_URL to the new, empty database"
        )


def _server_and_database(raw: str) -> tuple[str, str | None, int | None, str | None]:
    url = make_url(raw)
    backend = url.get_backend_name()
    return backend, url.host, url.port or DEFAULT_PORTS.get(backend), url.database


@contextmanager
def _bar(label: str, total: int) -> Iterator[Progress]:
    with click.progressbar(
        length=max(total, 1), label=label.ljust(28), file=sys.stderr, show_pos=True
    ) as bar:
        yield bar.update


def _timezone(name: str | None) -> tzinfo:
    if not name:
        local = datetime.now().astimezone().tzinfo
        assert local is not None
        return local
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise click.BadParameter(
            f"unknown time zone {name!r}", param_hint="--source-timezone"
        ) from None
