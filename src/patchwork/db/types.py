"""Column types whose behaviour must be the same on SQLite, MySQL/MariaDB and PostgreSQL."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, Integer, String, Text
from sqlalchemy.dialects import mysql
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

#: Largest BIGINT: a larger id overflows on SQLite/PostgreSQL (a 500), so it names no row.
MAX_ID = 2**63 - 1
LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def storable_text(value: str) -> str:
    """``value`` as every database stores it alike: without its NULs (PostgreSQL refuses
    one) and with each lone UTF-16 surrogate (a JSON ``\\ud800`` escape, which no driver can
    encode) replaced by U+FFFD."""
    return LONE_SURROGATE.sub("\ufffd", value.replace("\x00", ""))


def IdString(length: int = 255) -> TypeEngine[str]:
    """An identifier compared byte for byte.

    YouTube ids are case-sensitive (``abcDEF`` and ``ABCdef`` are two videos), but MySQL's
    default collations are case-insensitive, so identifiers get ``utf8mb4_bin`` there.
    """
    return String(length).with_variant(
        mysql.VARCHAR(length, charset="utf8mb4", collation="utf8mb4_bin"), "mysql", "mariadb"
    )


def LongText() -> TypeEngine[str]:
    """Text that may exceed MySQL's 64 KiB ``TEXT`` (video descriptions can)."""
    return Text().with_variant(mysql.MEDIUMTEXT(), "mysql", "mariadb")


# SQLite only auto-increments INTEGER PRIMARY KEY, so big ids are BIGINT elsewhere only.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class UtcDateTime(TypeDecorator[datetime]):
    """Timestamps stored as naive UTC and returned as aware UTC.

    MySQL ``DATETIME`` and SQLite have no time zone, so every value is normalised to UTC
    on the way in and labelled UTC on the way out; the application never sees a naive value.
    """

    impl = DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        # MySQL's DATETIME drops fractions of a second unless asked to keep them.
        if dialect.name in ("mysql", "mariadb"):
            return dialect.type_descriptor(mysql.DATETIME(fsp=6))
        return dialect.type_descriptor(DateTime())

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected datetime, got {type(value).__name__}")
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)
