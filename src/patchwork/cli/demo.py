"""``patchwork demo``: something to watch right after ``make run``."""

from __future__ import annotations

import click

from patchwork.cli.context import database_or_exit, settings_or_exit, storage_or_exit
from patchwork.demo import DEMO_VIDEOS, load_demo


@click.command()
def demo() -> None:
    """Add three tiny demo videos (with thumbnails and captions) to the archive."""
    settings = settings_or_exit()
    report = load_demo(database_or_exit(settings), storage_or_exit(settings))
    for path, reason in report.failed:
        raise click.ClickException(f"{path.name}: {reason}")
    ids = ", ".join(v["id"] for v in DEMO_VIDEOS)
    click.echo(f"Demo videos in the archive: {ids}. Try /api/video/{DEMO_VIDEOS[0]['id']}")
