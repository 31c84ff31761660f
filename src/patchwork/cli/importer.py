"""``patchwork import``: ingest folders of yt-dlp output."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from patchwork.archive.ingest import find_info_files, import_info_files
from patchwork.cli.context import database_or_exit, settings_or_exit


@click.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
def import_command(paths: tuple[Path, ...]) -> None:
    """Import yt-dlp .info.json files (files or folders, searched recursively).

    Re-importing a video updates it. Files that cannot be imported are named and skipped;
    the command then exits with status 1.
    """
    db = database_or_exit(settings_or_exit())
    files = list(find_info_files(paths))
    with click.progressbar(
        length=len(files), label="Importing", file=sys.stderr, show_pos=True
    ) as bar:
        report = import_info_files(db, files, on_file=lambda _path: bar.update(1))
    for path, reason in report.failed:
        click.echo(f"skipped {path}: {reason}", err=True)
    click.echo(
        f"Imported {report.created} new and updated {report.updated} videos"
        f"{f'; {len(report.failed)} files failed' if report.failed else ''}."
    )
    if not report.ok:
        sys.exit(1)
