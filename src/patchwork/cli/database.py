"""``patchwork db``: create and upgrade the schema."""

from __future__ import annotations

import click

from patchwork.archive.maintenance.recount import recount_summaries
from patchwork.cli.context import database_or_exit, settings_or_exit
from patchwork.db.migrate import current_revision, head_revision, upgrade


@click.group()
def db() -> None:
    """Manage the database schema."""


@db.command("upgrade")
def upgrade_command() -> None:
    """Create the schema, or bring it to the latest version (safe to run again)."""
    settings = settings_or_exit()
    database = database_or_exit(settings, require_current=False)
    before = current_revision(database)
    upgrade(database)
    after = current_revision(database)
    where = database.redacted_url()
    if before == after:
        click.echo(f"Database {where} is up to date (revision {after}).")
    else:
        click.echo(f"Database {where} upgraded from {before or 'empty'} to {after}.")


@db.command("current")
def current_command() -> None:
    """Show the schema revision of the database and of this code."""
    settings = settings_or_exit()
    database = database_or_exit(settings, require_current=False)
    click.echo(f"database: {current_revision(database) or 'empty'}")
    click.echo(f"code:     {head_revision()}")


@db.command("recount")
def recount_command() -> None:
    """Recount each channel's names and videos and the availability totals from the rows.

    Every write through Patchwork keeps them in step; this is for rows changed around it
    (manual SQL, a restored dump): one pass over the videos and their availability.
    """
    settings = settings_or_exit()
    database = database_or_exit(settings)
    names = recount_summaries(database)
    click.echo(f"Recounted {names} channel names and the availability totals.")
