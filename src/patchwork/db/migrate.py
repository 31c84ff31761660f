"""Create or upgrade the schema with Alembic; safe to run any number of times."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Column, Connection, MetaData, String, Table, inspect, select

from patchwork.db.engine import Database

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
#: The newest migration's revision. ``patchwork serve`` and ``/readyz`` compare the database
#: with it without importing Alembic: Alembic and Mako cost every server process ~11 MB of
#: memory, and the workers are forked from the process that checks. tests/db/test_schema.py
#: holds it to Alembic's own head, so a new migration that does not move it fails there.
SCHEMA_HEAD = "0008"
_VERSIONS = Table("alembic_version", MetaData(), Column("version_num", String(32)))

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
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def upgrade(database: Database, revision: str = "head") -> None:
    from alembic import command

    config = alembic_config()
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def head_revision() -> str:
    return SCHEMA_HEAD


def scripts_head_revision() -> str | None:
    """The head as Alembic reads it from the migration scripts."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(database: Database) -> str | None:
    """The database's revision (None: an empty database), as Alembic's version table says."""
    with database.engine.connect() as connection:
        if not inspect(connection).has_table(_VERSIONS.name):
            return None
        revisions = list(connection.scalars(select(_VERSIONS.c.version_num)))
    if len(revisions) > 1:  # Patchwork's history has one branch
        raise RuntimeError(f"the database has several schema heads: {sorted(revisions)}")
    return revisions[0] if revisions else None


def is_current(database: Database) -> bool:
    return current_revision(database) == head_revision()
