"""The declarative base every model builds on, and the column types search needs."""

from __future__ import annotations

from sqlalchemy import MetaData, String, Text
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeEngine

# Deterministic constraint names keep migrations identical on every database.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def SearchText() -> TypeEngine[str]:
    """Normalised search text compared byte for byte (``LIKE`` must not fold anything more)."""
    return Text().with_variant(
        mysql.MEDIUMTEXT(charset="utf8mb4", collation="utf8mb4_bin"), "mysql", "mariadb"
    )


def SearchTerm() -> TypeEngine[str]:
    """An index term, ordered by code point so a word prefix is one range on every database."""
    return (
        String(64)
        .with_variant(
            mysql.VARCHAR(64, charset="utf8mb4", collation="utf8mb4_bin"), "mysql", "mariadb"
        )
        .with_variant(String(64, collation="C"), "postgresql")
    )


MYSQL_TABLE_ARGS = {"mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_unicode_ci"}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
