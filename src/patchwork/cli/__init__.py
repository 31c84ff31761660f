"""The ``patchwork`` command."""

from __future__ import annotations

from typing import Any

import click

from patchwork.cli import availability as availability_cli
from patchwork.cli import database, demo, importer, search, serve, tokens
from patchwork.cli import jobs as jobs_cli
from patchwork.cli import legacy as legacy_cli
from patchwork.cli import sources as sources_cli
from patchwork.cli import storage as storage_cli
from patchwork.cli import worker as worker_cli
from patchwork.cli.context import BadSetting, load_settings_or_exit

HELP_ASKED = "patchwork.help_asked"


class PatchworkGroup(click.Group):
    """Every error of every command is one line on stderr: a usage error too (``--port abc``),
    which click would print after the usage text and a hint."""

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        try:
            return super().make_context(info_name, args, parent, **extra)
        except click.UsageError as exc:
            raise _one_line(exc) from None

    def invoke(self, ctx: click.Context) -> Any:
        # Seen here: click hands the subcommand's arguments on before the group's callback runs.
        ctx.meta[HELP_ASKED] = any(arg in ctx.help_option_names for arg in ctx.args)
        try:
            return super().invoke(ctx)
        except click.UsageError as exc:
            raise _one_line(exc) from None


def _one_line(exc: click.UsageError) -> click.ClickException:
    if isinstance(exc, click.exceptions.NoArgsIsHelpError):
        return exc  # `patchwork db` alone: the help text is the answer
    hint = f" (see '{exc.ctx.command_path} --help')" if exc.ctx is not None else ""
    return BadSetting(exc.format_message() + hint)


@click.group(cls=PatchworkGroup)
@click.version_option(package_name="patchwork")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Patchwork: a self-hosted archive of online videos."""
    # Every command, the worker's too, starts only with every setting valid. Help is shown
    # whatever the settings: it is how one finds out what to fix.
    if ctx.resilient_parsing or ctx.meta.get(HELP_ASKED):
        return
    ctx.obj = load_settings_or_exit()


cli.add_command(serve.serve)
cli.add_command(database.db)
cli.add_command(importer.import_command)
cli.add_command(tokens.tokens)
cli.add_command(demo.demo)
cli.add_command(jobs_cli.jobs)
cli.add_command(sources_cli.sources)
cli.add_command(availability_cli.availability)
cli.add_command(legacy_cli.legacy)
cli.add_command(storage_cli.storage)
cli.add_command(search.search)
cli.add_command(worker_cli.worker)


def main() -> None:
    cli(prog_name="patchwork")
