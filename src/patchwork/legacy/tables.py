"""The original's tables (docs/api-contract.md §5) as SQLAlchemy Core tables, for reading only.

The same columns exist in the original's MySQL schema and the successor's PostgreSQL one;
the types differ (``float`` vs ``double precision``, ``int`` vs ``integer``) but only the
names matter here: the drivers return the same Python values for either. Names are lower
case: MySQL's column names are case-insensitive (``kv.DATA``), PostgreSQL folds unquoted
ones to lower case. ``user`` and ``timestamp`` are always quoted: in PostgreSQL a bare
``user`` is ``CURRENT_USER``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column, Float, Integer, MetaData, String, Table, Text

#: Every table the original's ``schema.sql`` creates, in the order the report lists them.
TABLES = (
    "songs",
    "romanized",
    "channels",
    "files",
    "views",
    "kv",
    "archive_queue",
    "archive_log",
    "archive_queue_auth",
    "archive_worker_auth",
    "worker_status",
)


def _columns(name: str) -> list[Column[Any]]:
    key = String(255)
    columns: dict[str, list[Column[Any]]] = {
        "songs": [
            Column("id", Integer, primary_key=True),
            Column("video_id", key),
            Column("title", Text),
            Column("channel_name", Text),
            Column("channel_id", key),
            Column("upload_date", Text),
            Column("description", Text),
        ],
        "romanized": [
            Column("id", Integer, primary_key=True),
            Column("video_id", key),
            Column("romanized_title", Text),
        ],
        "channels": [
            Column("channel_id", key, primary_key=True),
            Column("channel_name", Text),
            Column("romanized_name", Text),
            Column("description", Text),
        ],
        "files": [
            Column("video_id", key, primary_key=True),
            Column("size_mb", Float),
            Column("extension", String(32)),
        ],
        "views": [Column("video_id", key, primary_key=True), Column("view_count", Integer)],
        "kv": [Column("data", key, primary_key=True), Column("reference", key)],
        "archive_queue": [
            Column("id", Integer, primary_key=True),
            Column("url", Text),
            Column("mode", Integer),
        ],
        "archive_log": [
            Column("id", Integer, primary_key=True),
            Column("url", Text),
            Column("user", String(128), quote=True),
            Column("status", Text),
            Column("timestamp", Text, quote=True),
        ],
        "archive_queue_auth": [
            Column("id", Integer, primary_key=True),
            Column("token", String(128)),
        ],
        "archive_worker_auth": [
            Column("id", Integer, primary_key=True),
            Column("token", String(128)),
        ],
        "worker_status": [
            Column("id", Integer, primary_key=True),
            Column("name", Text),
            Column("token", String(128)),
            Column("status", Text),
            Column("timestamp", Text, quote=True),
        ],
    }
    return columns[name]


def legacy_tables(names: dict[str, str], schema: str | None) -> dict[str, Table]:
    """Tables for the original's table names present in ``schema``.

    ``names`` maps each lower-case name to the name as the database spells it.
    """
    metadata = MetaData(schema=schema)
    return {name: Table(names[name], metadata, *_columns(name)) for name in TABLES if name in names}
