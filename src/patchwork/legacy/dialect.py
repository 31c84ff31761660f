"""What differs between the original's MySQL and the successor's PostgreSQL, in one place.

The original (pinapelz/Patchwork-Flask) ran on MySQL; its successor
(Patchwork-Archive/Patchwork-Backend, January 2026) keeps the same tables and columns in a
PostgreSQL schema ``patchwork_archive``. The copiers build their queries with SQLAlchemy Core
(:mod:`patchwork.legacy.tables`), which quotes and qualifies names for either; the few
things Core cannot paper over are here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import ColumnElement, LargeBinary, and_, cast
from sqlalchemy.engine import URL

#: The backend names ``--from`` accepts alone (settings from ``DB_*``) → SQLAlchemy driver.
DRIVERS = {
    "mysql": "mysql+pymysql",
    "mariadb": "mysql+pymysql",
    "postgresql": "postgresql+psycopg",
    "postgres": "postgresql+psycopg",
}
#: Port when ``DB_PORT`` is unset: the original left it to the MySQL driver (3306), the
#: successor reads ``DB_PORT`` with 6543 as its default (a Supabase-style pooler).
DEFAULT_PORTS = {"mysql": None, "postgresql": 6543}
#: Where the successor's tables are, and where a plain PostgreSQL copy of them would be.
POSTGRES_SCHEMAS = ("patchwork_archive", "public")


def backend_of(url: URL) -> str | None:
    """``mysql`` or ``postgresql`` for a URL of either, else ``None``."""
    name = url.get_backend_name()
    if name in ("mysql", "mariadb"):
        return "mysql"
    if name in ("postgresql", "postgres"):
        return "postgresql"
    return None


def with_driver(url: URL) -> URL:
    """Installed drivers for URLs that name none; the original worker's charset on MySQL."""
    backend = backend_of(url)
    if url.drivername in DRIVERS:
        url = url.set(drivername=DRIVERS[url.drivername])
    if backend == "mysql" and "charset" not in url.query:
        # As the original worker connected: utf8mb4, or emoji in titles arrive as '?'.
        url = url.update_query_dict({"charset": "utf8mb4"})
    return url


def env_url(backend: str, env: Mapping[str, str]) -> URL:
    """The original's (or the successor's) ``DB_*`` settings as a URL for ``backend``."""
    host, _, host_port = (env.get("DB_HOST") or "127.0.0.1").strip().partition(":")
    port_text = (env.get("DB_PORT") or "").strip() or host_port
    if port_text and not port_text.isdigit():
        raise ValueError(f"DB_PORT must be a port number, not {port_text!r}")
    return with_driver(
        URL.create(
            backend,
            username=env.get("DB_USERNAME") or None,
            password=env.get("DB_PASSWORD") or None,
            host=host or "127.0.0.1",
            port=int(port_text) if port_text else DEFAULT_PORTS[backend],
            database=(env.get("DB_DATABASE") or "").strip(),
        )
    )


def connect_args(url: URL) -> dict[str, Any]:
    if url.drivername == "postgresql+psycopg":
        # psycopg prepares a statement run 5 times (every keyset page is); a transaction
        # pooler such as the successor's port 6543 hands the next page to a server
        # connection that never saw it ("prepared statement does not exist").
        return {"prepare_threshold": None}
    return {}


def read_only_statement(backend: str) -> str:
    if backend == "postgresql":
        return "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY"
    return "SET SESSION TRANSACTION READ ONLY"


def exact(backend: str, column: ColumnElement[Any]) -> ColumnElement[Any]:
    """``column`` compared and grouped byte for byte.

    The original's ``utf8mb4_general_ci`` makes ``abc`` equal ``ABC`` (two YouTube videos),
    so MySQL compares the bytes. PostgreSQL's collations are deterministic: equal means the
    same string already.
    """
    if backend == "mysql":
        return cast(column, LargeBinary)
    return column


def exactly_equal(
    backend: str, left: ColumnElement[Any], right: ColumnElement[Any]
) -> ColumnElement[bool]:
    if backend == "mysql":
        # The plain comparison first: it can use the index, the byte comparison cannot.
        return and_(left == right, exact(backend, left) == exact(backend, right))
    return left == right


def as_text(value: Any) -> str:
    """A value read through :func:`exact`: bytes from MySQL, text from PostgreSQL."""
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).decode("utf-8", "replace")
    return str(value)
