"""The ``patchwork`` command."""

from __future__ import annotations

import click

from patchwork.cli import database, demo, importer, search, serve, tokens
from patchwork.cli import jobs as jobs_cli
from patchwork.cli import legacy as legacy_cli
from patchwork.cli import storage as storage_cli
from patchwork.cli import worker as worker_cli


@click.group()
@click.version_option(package_name="patchwork")
def cli() -> None:
    """Patchwork: a self-hosted archive of online videos."""


cli.add_command(serve.serve)
cli.add_command(database.db)
cli.add_command(importer.import_command)
cli.add_command(tokens.tokens)
cli.add_command(demo.demo)
cli.add_command(jobs_cli.jobs)
cli.add_command(legacy_cli.legacy)
cli.add_command(storage_cli.storage)
cli.add_command(search.search)
cli.add_command(worker_cli.worker)


def main() -> None:
    cli(prog_name="patchwork")
