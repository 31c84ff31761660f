"""``patchwork tokens``: add, list and revoke API tokens."""

from __future__ import annotations

import click

from patchwork.archive import tokens as token_service
from patchwork.cli.context import database_or_exit, settings_or_exit


@click.group()
def tokens() -> None:
    """Manage queue, worker and admin tokens (only their hashes are stored)."""


@tokens.command("add")
@click.option("--role", type=click.Choice(token_service.ROLES), required=True)
@click.option("--name", help="A name to recognise the token by (default: ROLE-N).")
@click.option(
    "--token",
    "secret",
    help="Use this secret instead of generating one (e.g. to keep an existing worker's).",
)
def add(role: str, name: str | None, secret: str | None) -> None:
    """Create a token. The secret is printed once, on the last line, and never again."""
    db = database_or_exit(settings_or_exit())
    try:
        info, secret_out = token_service.create_token(db, role, name=name, secret=secret)
    except token_service.TokenError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Created {info.role} token {info.name!r} (id {info.id}). Its secret:", err=True)
    click.echo(secret_out)


@tokens.command("list")
def list_command() -> None:
    """List tokens (names and roles; secrets are never shown)."""
    db = database_or_exit(settings_or_exit())
    rows = token_service.list_tokens(db)
    if not rows:
        click.echo("No tokens. Add one with: patchwork tokens add --role queue")
        return
    click.echo(f"{'id':>4}  {'name':<24} {'role':<7} {'created':<20} {'last used':<20} state")
    for t in rows:
        last = t.last_used_at.strftime("%Y-%m-%d %H:%M") if t.last_used_at else "never"
        state = "revoked" if t.revoked_at else "active"
        created = t.created_at.strftime("%Y-%m-%d %H:%M")
        click.echo(f"{t.id:>4}  {t.name:<24} {t.role:<7} {created:<20} {last:<20} {state}")


@tokens.command("revoke")
@click.argument("name")
def revoke(name: str) -> None:
    """Revoke the token called NAME; requests using it are refused from now on."""
    db = database_or_exit(settings_or_exit())
    try:
        info = token_service.revoke_token(db, name)
    except token_service.TokenError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Revoked {info.role} token {info.name!r}.")
