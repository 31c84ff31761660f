"""Loading settings and the database for a command, with one-line errors.

Every ``patchwork`` command goes through :func:`load_settings_or_exit` before it runs (the
group does it, see ``cli/__init__.py``): a bad value of any setting stops it with exit status
2 and one line on stderr naming the setting. Problems of what a setting points at (a
database that cannot be reached, a bucket that is not there) are one line too, status 1.
"""

from __future__ import annotations

from pathlib import Path

import click

from patchwork.app import prepare_instance
from patchwork.config import ConfigError, Settings, load_settings
from patchwork.db import Database, DatabaseUnavailable
from patchwork.db.migrate import is_current
from patchwork.storage import Storage, StorageError
from patchwork.storage.legacy_layout import open_archive_storage


class OneLineError(click.ClickException):
    """``Error: …`` on one line of stderr (status 1), never usage text or a traceback."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(line.strip() for line in message.splitlines() if line.strip()))


class BadSetting(OneLineError):
    """A bad setting or command-line value: status 2, click's own for usage errors."""

    exit_code = 2


def load_settings_or_exit() -> Settings:
    """Every setting, read and checked; nothing is created or connected yet."""
    try:
        return load_settings()
    except ConfigError as exc:
        raise BadSetting(str(exc)) from None


def settings_or_exit() -> Settings:
    """The command's settings (checked once by the group), with the instance folder made."""
    context = click.get_current_context(silent=True)
    settings = context.find_object(Settings) if context is not None else None
    if settings is None:  # a command invoked on its own, outside the `patchwork` group
        settings = load_settings_or_exit()
    try:
        prepare_instance(settings)
    except OSError as exc:
        blocked = Path(exc.filename or "")
        inside = settings.instance_path == blocked or blocked in settings.instance_path.parents
        setting = "PATCHWORK_INSTANCE_PATH" if inside else "PATCHWORK_DATABASE_URL"
        raise BadSetting(f"{setting}: cannot create {blocked}: {exc.strerror}") from None
    return settings


def database_or_exit(settings: Settings, *, require_current: bool = True) -> Database:
    """The database, reachable and (unless asked not to check) at the latest schema."""
    try:
        db = Database(settings.database_url)
        db.ping()
    except DatabaseUnavailable as exc:
        raise OneLineError(f"PATCHWORK_DATABASE_URL: {exc}") from None
    except Exception as exc:  # a missing driver or a malformed URL option
        raise BadSetting(f"PATCHWORK_DATABASE_URL: {exc}") from None
    if require_current and not is_current(db):
        raise OneLineError(
            "the database schema is not up to date: run `patchwork db upgrade` first"
        )
    return db


def storage_or_exit(settings: Settings, *, check: bool = True) -> Storage:
    """The archive's storage, checked to be reachable (unless asked not to: then only its
    URLs are checked, by opening it)."""
    try:
        storage = open_archive_storage(settings)
        if check:
            storage.check()
    except ConfigError as exc:
        raise BadSetting(str(exc)) from None
    except ValueError as exc:  # a URL its backend cannot make sense of
        raise BadSetting(f"PATCHWORK_STORAGE_URL: {exc}") from None
    except StorageError as exc:
        raise OneLineError(f"PATCHWORK_STORAGE_URL: {exc}") from None
    return storage
