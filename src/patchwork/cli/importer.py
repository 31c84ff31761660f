"""``patchwork import``: ingest folders of yt-dlp output."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from patchwork.archive.ingest.folders import find_downloads, import_downloads
from patchwork.cli.context import database_or_exit, settings_or_exit, storage_or_exit


@click.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--metadata-only",
    is_flag=True,
    help="Import .info.json metadata even when the video file is not beside it.",
)
def import_command(paths: tuple[Path, ...], metadata_only: bool) -> None:
    """Import what yt-dlp downloaded: each NAME.info.json with the video (NAME.webm, .mp4 …),
    thumbnail (NAME.jpg, .webp, .png) and captions (NAME.<lang>.vtt, .srv3 …) beside it.

    PATHS are files or folders (searched recursively). Files go to the archive's storage and
    the video becomes visible only once all of them are stored. Re-importing updates. Videos
    that cannot be imported are named and skipped; the command then exits with status 1.
    """
    settings = settings_or_exit()
    db = database_or_exit(settings)
    storage = storage_or_exit(settings)
    downloads = list(find_downloads(paths))
    with click.progressbar(
        length=len(downloads), label="Importing", file=sys.stderr, show_pos=True
    ) as bar:
        report = import_downloads(
            db,
            storage,
            downloads,
            require_video=not metadata_only,
            on_download=lambda _download: bar.update(1),
        )
    for path, reason in report.left_out:
        click.echo(f"left out {path}: {reason}", err=True)
    for path, reason in report.failed:
        click.echo(f"skipped {path}: {reason}", err=True)
    click.echo(
        f"Imported {report.created} new and updated {report.updated} videos"
        f"{f'; {len(report.failed)} failed' if report.failed else ''}."
    )
    if not report.ok:
        sys.exit(1)
