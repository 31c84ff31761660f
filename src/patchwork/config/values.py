"""What a setting's value may be: one parser per kind of value.

A parser takes the raw text of an environment variable and returns the typed value, or
raises ``ValueError`` whose message says what was expected (``"must be …, not 'x'"``, or
``": …"`` when the message reads better after a colon); the loader puts the setting's name in
front, so every message names the setting. A value that may hold a password is echoed only
through :func:`redact_url`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from limits import parse_many
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

Parser = Callable[[str], Any]


class ConfigError(Exception):
    """A setting is missing or malformed; the message names it and is one line."""


def redact_url(raw: str) -> str:
    """``raw`` with the password of its userinfo replaced by ``***``: safe to print or log."""
    return _USERINFO_PASSWORD.sub(r"\1***@", raw)


_USERINFO_PASSWORD = re.compile(r"(//[^/@:]*:)[^/@]*@")
_WHOLE_NUMBER = re.compile(r"[+-]?[0-9]+")


def text(raw: str) -> str:
    """Free-form text (a token, a bucket name, a password): taken as it is."""
    return raw


def path(raw: str) -> Path:
    return Path(raw.strip()).expanduser()


def folder(raw: str) -> Path:
    """A folder, made later if missing: so no file may be where it or a parent goes."""
    found = path(raw)
    for existing in (found, *found.parents):
        if existing.exists():
            if not existing.is_dir():
                raise ValueError(f": {raw.strip()!r} cannot be a folder ({existing} is a file)")
            break
    return found


def optional_file(raw: str) -> Path:
    """A file that may be missing (then there is none), but is not something else."""
    found = path(raw)
    if found.exists() and not found.is_file():
        raise ValueError(f": {raw.strip()!r} is not a file")
    return found


def existing_file(raw: str) -> Path:
    found = path(raw)
    if not found.is_file():
        raise ValueError(f": no such file {raw!r}")
    return found


def whole_number(low: int, high: int, what: str = "a whole number") -> Parser:
    def parse(raw: str) -> int:
        # The original's .env.template quoted numbers ("14"); accept that. ASCII digits only:
        # int() would take "١" or "1_000".
        number = raw.strip().strip("\"'")
        if not _WHOLE_NUMBER.fullmatch(number):
            raise ValueError(f"must be {what}, not {raw!r}")
        value = int(number)
        if not low <= value <= high:
            raise ValueError(f"must be between {low} and {high}, not {value}")
        return value

    return parse


def choice(*options: str) -> Parser:
    def parse(raw: str) -> str:
        value = raw.strip().lower()
        if value not in options:
            raise ValueError(f"must be {_either(options)}, not {raw.strip()!r}")
        return value

    return parse


ON = ("on", "true", "1")
OFF = ("off", "false", "0")


def switch(raw: str) -> bool:
    value = raw.strip().lower()
    if value not in ON + OFF:
        raise ValueError(f"must be on or off, not {raw.strip()!r}")
    return value in ON


NO_LIMIT = ("off", "none", "unlimited")


def rate_limit(raw: str) -> str | None:
    """``N/second|minute|hour|day``, several joined with ``;``; ``off`` (None): no limit."""
    value = raw.strip()
    if value.lower() in NO_LIMIT:
        return None
    try:
        parse_many(value)
    except ValueError:
        raise ValueError(
            f"must be a limit such as '60/minute' or '10/second;500/hour' (or off), not {raw!r}"
        ) from None
    return value


# The counter stores of the ``limits`` library that a synchronous server can use.
RATE_LIMIT_STORES: tuple[str, ...] = (
    *("memory", "memcached", "mongodb", "mongodb+srv"),
    *("redis", "rediss", "redis+unix", "redis+sentinel", "redis+cluster"),
    *("valkey", "valkeys", "valkey+unix", "valkey+sentinel", "valkey+cluster"),
)


def rate_limit_store(raw: str) -> str:
    value = raw.strip()
    if urlsplit(value).scheme.lower() not in RATE_LIMIT_STORES:
        raise ValueError(
            f"must be memory:// or a redis://, memcached:// or mongodb:// URL, "
            f"not {redact_url(value)!r}"
        )
    return value


SUPPORTED_DATABASES = ("sqlite", "mysql", "mariadb", "postgresql")


def database_url(raw: str) -> str:
    value = raw.strip()
    try:
        url = make_url(value)
        url.port  # noqa: B018  (a port that is not a number raises here, not later)
    except (ArgumentError, ValueError):
        raise ValueError(f": cannot parse {redact_url(value)!r} as a database URL") from None
    if url.get_backend_name() not in SUPPORTED_DATABASES:
        raise ValueError(
            f": unsupported database {url.get_backend_name()!r} "
            "(use sqlite, mysql, mariadb or postgresql)"
        )
    try:
        url.get_dialect()  # an unknown driver (postgresql+psycopq) is a typo, found now
    except NoSuchModuleError:
        raise ValueError(f": no database driver {url.drivername!r}") from None
    return value


# Where storage backends are registered by URL scheme (storage/backends.py, decision 0116).
# Read here as package metadata only: which schemes exist is known without importing storage.
STORAGE_BACKENDS = "patchwork.storage_backends"


def storage_url(raw: str) -> str:
    """``scheme://…`` whose scheme names an installed storage backend (``file``, ``s3``, or
    one a package declares); what the rest must be is the backend's to say when it opens."""
    value = raw.strip()
    scheme, colon_slashes, rest = value.partition("://")
    if not (colon_slashes and _SCHEME.fullmatch(scheme)):
        raise ValueError(
            f"must be a storage URL such as file:///path or s3://bucket/prefix, "
            f"not {redact_url(value)!r}"
        )
    installed = sorted({ep.name.lower() for ep in entry_points(group=STORAGE_BACKENDS)})
    if scheme.lower() not in installed:
        raise ValueError(
            f": no storage backend for {scheme!r} URLs (installed: {', '.join(installed)})"
        )
    if not rest.strip("/"):
        raise ValueError(f": {redact_url(value)!r} names no bucket or folder")
    return value


_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*")


def http_url(raw: str) -> str:
    value = raw.strip()
    parts = urlsplit(value)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise ValueError(f"must be an http:// or https:// URL, not {redact_url(value)!r}")
    return value


def redis_url(raw: str) -> str:
    value = raw.strip()
    if not value.startswith(("redis://", "rediss://", "unix://")):
        raise ValueError(f"must start with redis://, not {redact_url(value)!r}")
    try:
        _ = urlsplit(value).port  # a port that is not a number raises here
    except ValueError:
        raise ValueError(f": cannot parse {redact_url(value)!r} (its port?)") from None
    return value


def media_redirect(raw: str) -> str:
    value = raw.strip()
    if not (value in ("proxy", "presign") or value.startswith("public:")):
        raise ValueError(f"must be 'proxy', 'presign' or 'public:<base URL>', not {value!r}")
    return value


def origins(raw: str) -> tuple[str, ...]:
    """Comma-separated browser origins (``https://example.org``), or ``*`` for any."""
    found = tuple(o.strip() for o in raw.split(",") if o.strip())
    for origin in found:
        # flask-cors also takes patterns (https://.*\.example\.org), so only a scheme is asked
        # for: an origin without one (example.org) never matches a browser's Origin header.
        if origin != "*" and "://" not in origin:
            raise ValueError(f"must be * or origins such as https://example.org, not {origin!r}")
    return found or ("*",)


def host_and_port(raw: str) -> str:
    value = raw.strip()
    host, colon, port = value.partition(":")
    if not host or (colon and not (port.isdigit() and 0 < int(port) < 65536)):
        raise ValueError(f"must be a host name or host:port, not {value!r}")
    return value


# Where the storage statistics providers are registered (archive/maintenance/stats.py).
STATS_PROVIDERS = "patchwork.storage_stats"


def stats_provider(raw: str) -> str:
    value = raw.strip()
    installed = sorted(ep.name for ep in entry_points(group=STATS_PROVIDERS))
    # None at all: Patchwork runs without its package metadata (from a bare source tree), so
    # nothing is known to check against; the statistics room reports it when asked.
    if installed and value not in installed:
        raise ValueError(f"must be one of {', '.join(installed) or 'none'}, not {value!r}")
    return value


def _either(options: tuple[str, ...]) -> str:
    quoted = [f"'{o}'" for o in options]
    return ", ".join(quoted[:-1]) + f" or {quoted[-1]}" if len(quoted) > 1 else quoted[0]
