"""Loading settings and the database for a command, with one-line errors."""

from __future__ import annotations

import click

from patchwork.app import prepare_instance
from patchwork.config import ConfigError, Settings, load_settings
from patchwork.db import Database, DatabaseUnavailable
from patchwork.db.migrate import is_current
from patchwork.storage import Storage, StorageError
from patchwork.storage.legacy_layout import open_archive_storage


def settings_or_exit() -> Settings:
    try:
        settings = load_settings()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    prepare_instance(settings)
    return settings


def database_or_exit(settings: Settings, *, require_current: bool = True) -> Database:
    """The database, reachable and (unless asked not to check) at the latest schema."""
    try:
        db = Database(settings.database_url)
        db.ping()
    except DatabaseUnavailable as exc:
        raise click.ClickException(f"PATCHWORK_DATABASE_URL: {exc}") from None
    except Exception as exc:  # a missing driver or a malformed URL option
        raise click.ClickException(f"PATCHWORK_DATABASE_URL: {exc}") from None
    if require_current and not is_current(db):
        raise click.ClickException(
            "the database schema is not up to date: run `patchwork db upgrade` first"
        )
    return db


def storage_or_exit(settings: Settings) -> Storage:
    """The archive's storage, checked to be reachable."""
    try:
        storage = open_archive_storage(settings)
        storage.check()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    except (ValueError, StorageError) as exc:
        raise click.ClickException(f"PATCHWORK_STORAGE_URL: {exc}") from None
    return storage
