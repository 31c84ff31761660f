"""Create or upgrade the schema with Alembic; safe to run any number of times."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection

from patchwork.db.engine import Database

MIGRATIONS = Path(__file__).parent / "migrations"

#: Rebuilds the search index on a connection. The index is the search room's
#: (:mod:`patchwork.archive.search.indexing` registers its rebuild on import), and ``db/`` sits
#: below the archive, so a migration that must refill the index calls what was registered here.
_search_reindex: Callable[[Connection], object] | None = None


def register_search_reindex(reindex: Callable[[Connection], object]) -> None:
    global _search_reindex
    _search_reindex = reindex


def rebuild_search_index(connection: Connection) -> None:
    """Refill the search index of an archive that has rows (called by migrations)."""
    if _search_reindex is None:
        raise RuntimeError("this upgrade rebuilds the search index: run `patchwork db upgrade`")
    _search_reindex(connection)


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def upgrade(database: Database, revision: str = "head") -> None:
    config = alembic_config()
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(database: Database) -> str | None:
    with database.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def is_current(database: Database) -> bool:
    return current_revision(database) == head_revision()
