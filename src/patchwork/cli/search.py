"""``patchwork search``: maintain the search index."""

from __future__ import annotations

import time

import click

from patchwork.archive.search import service as search_service
from patchwork.cli.context import database_or_exit, settings_or_exit


@click.group()
def search() -> None:
    """Maintain the search index (it normally keeps itself up to date)."""


@search.command("reindex")
def reindex() -> None:
    """Rebuild the search index of every video and channel from their rows."""
    db = database_or_exit(settings_or_exit())
    total = search_service.indexed_video_count(db)
    started = time.monotonic()
    with click.progressbar(length=total, label="Indexing videos", file=None) as bar:
        done = search_service.rebuild_index(db, bar.update)
    click.echo(f"Indexed {done} videos in {time.monotonic() - started:.1f} s.")
