"""``patchwork storage scan`` and ``patchwork storage migrate``."""

from __future__ import annotations

import sys

import click

from patchwork.archive.maintenance.migrate import migrate_storage
from patchwork.archive.maintenance.scan import Listed, scan_storage
from patchwork.cli.context import database_or_exit, settings_or_exit, storage_or_exit
from patchwork.storage import StorageError, open_storage


@click.group()
def storage() -> None:
    """Check the archive's storage against the database, or move it into Patchwork's layout."""


@storage.command("scan")
@click.option(
    "--hash", "hash_files", is_flag=True, help="Read every file: record or check SHA-256."
)
def scan_command(hash_files: bool) -> None:
    """Record exact sizes, types (and with --hash SHA-256) of every stored file.

    Lists videos without a video file, files of no video, rows whose object is missing and
    (fixity) files whose size or SHA-256 changed since recorded. Exits with 1 when anything
    is missing or damaged. Safe to run at any time.
    """
    settings = settings_or_exit()
    db = database_or_exit(settings)
    archive = storage_or_exit(settings)
    try:
        with click.progressbar(length=0, label="Scanning", file=sys.stderr, show_pos=True) as bar:
            report = scan_storage(db, archive, hash_files=hash_files, progress=bar.update)
    except StorageError as exc:
        raise click.ClickException(f"storage: {exc}") from None
    click.echo(
        f"{report.objects} objects: {report.recorded} newly recorded, {report.updated} updated"
        + (f", {report.hashed} hashed" if hash_files else "")
    )
    _listed("damaged", report.damaged)
    _listed("missing (recorded, not in storage)", report.missing)
    _listed("videos without a video file", report.videos_without_file)
    _listed("files of no known video", report.orphans)
    _listed("objects outside the layout", report.unknown)
    if not report.ok:
        sys.exit(1)


def _listed(title: str, listed: Listed) -> None:
    if not listed.count:
        return
    click.echo(f"{title}: {listed.count}")
    for name in listed.names:
        click.echo(f"  {name}")
    if listed.count > len(listed.names):
        click.echo(f"  … and {listed.count - len(listed.names)} more")


@storage.command("migrate")
@click.option(
    "--to",
    "target_url",
    required=True,
    metavar="URL",
    help="file:///path or s3://bucket/prefix in Patchwork's layout.",
)
@click.option("--move", is_flag=True, help="Delete each source object once its copy is verified.")
@click.option("--no-verify", is_flag=True, help="Skip re-reading each copy to compare SHA-256.")
def migrate_command(target_url: str, move: bool, no_verify: bool) -> None:
    """Copy the archive (e.g. an original bucket served in place) into Patchwork's layout.

    Resumable: objects already copied are skipped. Afterwards point PATCHWORK_STORAGE_URL
    at the target and unset PATCHWORK_STORAGE_LAYOUT (docs/legacy.md).
    """
    settings = settings_or_exit()
    source = storage_or_exit(settings)
    try:
        target = open_storage(
            target_url, s3_endpoint_url=settings.s3_endpoint_url, s3_region=settings.s3_region
        )
        target.check()
    except (ValueError, StorageError) as exc:
        raise click.ClickException(f"--to: {exc}") from None
    with click.progressbar(length=0, label="Copying", file=sys.stderr, show_pos=True) as bar:
        report = migrate_storage(
            source, target, move=move, verify=not no_verify, progress=bar.update
        )
    click.echo(
        f"copied {report.copied} objects ({report.bytes_copied} bytes), {report.skipped} already "
        f"there{f', {report.moved} moved' if move else ''}, {len(report.failed)} failed"
    )
    for line in report.failed:
        click.echo(f"  {line}", err=True)
    if not report.ok:
        sys.exit(1)
