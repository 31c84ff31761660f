"""``patchwork legacy import``: adopt an original Patchwork deployment's MySQL database."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click
from sqlalchemy.exc import SQLAlchemyError

from patchwork.cli.context import database_or_exit, settings_or_exit
from patchwork.legacy.run import import_legacy
from patchwork.legacy.source import LegacySource, SourceError, redacted, source_url
from patchwork.legacy.writer import Progress


@click.group()
def legacy() -> None:
    """Adopt an original Patchwork deployment (docs/legacy.md)."""


@legacy.command("import")
@click.option(
    "--from",
    "from_url",
    metavar="URL",
    help="The original's database, e.g. mysql+pymysql://user:pw@host/patchwork_archive. "
    "Default: the original's DB_HOST, DB_DATABASE, DB_USERNAME, DB_PASSWORD.",
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
    from_url: str | None, dry_run: bool, source_timezone: str | None, batch_size: int
) -> None:
    """Copy the original's songs, channels, files, views, kv, queue, log, tokens and workers.

    The original database is only read. Tokens keep working with the same secrets (only
    their SHA-256 is stored). Safe to run again: a second run updates what changed and
    writes nothing else. Exits with status 1 when a row had to be skipped for an error.
    """
    tz = _timezone(source_timezone)
    settings = settings_or_exit()
    db = database_or_exit(settings)
    try:
        source = LegacySource(source_url(from_url), page_size=batch_size)
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
