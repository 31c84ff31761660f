"""Settings: where they come from and what they mean.

Precedence, highest first:
1. ``PATCHWORK_*`` variables in the process environment;
2. the same names in a ``.env`` file (never overriding the environment);
3. ``config.ini`` (``PATCHWORK_CONFIG``, or ``./config.ini`` when present) with the original
   backend's ``[database]`` section (host, user, password, database);
4. the original backend's variables (``DB_HOST``, ``DB_PORT``, ``DB_DATABASE``, ``DB_USERNAME``,
   ``DB_PASSWORD``, ``RESULTS_PER_PAGE``, ``RESULTS_PER_PAGE_CHANNEL``), so an existing
   deployment's environment starts Patchwork unchanged;
5. defaults that need nothing: SQLite and a local archive under the instance folder.

Every problem is raised as :class:`ConfigError` whose message names the setting, so the CLI
can stop start-up with one clear line.
"""

from __future__ import annotations

import configparser
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from dotenv import dotenv_values
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError


class ConfigError(Exception):
    """A setting is missing or malformed; the message names it."""


DEFAULT_RESULTS_PER_PAGE = 14
DEFAULT_LEASE_SECONDS = 3600
DEFAULT_MAX_UPLOAD_BYTES = 8 * 1024**3


@dataclass(frozen=True)
class Settings:
    instance_path: Path
    database_url: str
    storage_url: str
    s3_endpoint_url: str | None = None
    s3_region: str | None = None
    media_redirect: str = "proxy"
    redis_url: str | None = None
    results_per_page: int = DEFAULT_RESULTS_PER_PAGE
    results_per_page_channel: int = DEFAULT_RESULTS_PER_PAGE
    storage_stats: str = "database"
    cors_origins: tuple[str, ...] = ("*",)
    lease_seconds: int = DEFAULT_LEASE_SECONDS
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES
    heartbeat_seconds: int = 60
    cloudflare_account_id: str | None = None
    cloudflare_api_token: str | None = None
    cloudflare_bucket: str | None = None
    cloudflare_api_url: str = "https://api.cloudflare.com/client/v4"
    extra: Mapping[str, str] = field(default_factory=dict)

    def with_overrides(self, **changes: Any) -> Settings:
        return replace(self, **changes)

    @property
    def database_backend(self) -> str:
        return make_url(self.database_url).get_backend_name()

    def redacted_database_url(self) -> str:
        return make_url(self.database_url).render_as_string(hide_password=True)


def load_settings(
    environ: Mapping[str, str] | None = None,
    *,
    env_file: Path | None = None,
    **overrides: Any,
) -> Settings:
    """Build :class:`Settings` from the environment, ``.env`` and ``config.ini``."""
    env = _merged_environment(os.environ if environ is None else environ, env_file)

    instance_path = Path(env.get("PATCHWORK_INSTANCE_PATH") or "instance").expanduser()
    instance_path = instance_path.resolve()
    ini = _read_config_ini(env)

    database_url = _database_url(env, ini, instance_path)
    storage_url = env.get("PATCHWORK_STORAGE_URL") or f"file://{instance_path / 'archive'}"
    _check_storage_url(storage_url)

    media_redirect = env.get("PATCHWORK_MEDIA_REDIRECT") or "proxy"
    if not (media_redirect in ("proxy", "presign") or media_redirect.startswith("public:")):
        raise ConfigError(
            "PATCHWORK_MEDIA_REDIRECT must be 'proxy', 'presign' or 'public:<base URL>', "
            f"not {media_redirect!r}"
        )

    redis_url = env.get("PATCHWORK_REDIS_URL") or None
    if redis_url and not redis_url.startswith(("redis://", "rediss://", "unix://")):
        raise ConfigError(
            f"PATCHWORK_REDIS_URL must start with redis://, not {redact_url(redis_url)!r}"
        )
    if redis_url:
        try:
            _ = urlsplit(redis_url).port  # a port that is not a number raises here
        except ValueError:
            raise ConfigError(
                f"PATCHWORK_REDIS_URL: cannot parse {redact_url(redis_url)!r} (its port?)"
            ) from None

    per_page = _int_setting(
        env, ("PATCHWORK_RESULTS_PER_PAGE", "RESULTS_PER_PAGE"), DEFAULT_RESULTS_PER_PAGE, 1, 500
    )
    per_page_channel = _int_setting(
        env,
        ("PATCHWORK_RESULTS_PER_PAGE_CHANNEL", "RESULTS_PER_PAGE_CHANNEL"),
        DEFAULT_RESULTS_PER_PAGE,
        1,
        500,
    )
    cors = tuple(
        o.strip() for o in (env.get("PATCHWORK_CORS_ORIGINS") or "*").split(",") if o.strip()
    )

    settings = Settings(
        instance_path=instance_path,
        database_url=database_url,
        storage_url=storage_url,
        s3_endpoint_url=env.get("PATCHWORK_S3_ENDPOINT_URL") or None,
        s3_region=env.get("AWS_DEFAULT_REGION") or None,
        media_redirect=media_redirect,
        redis_url=redis_url,
        results_per_page=per_page,
        results_per_page_channel=per_page_channel,
        storage_stats=env.get("PATCHWORK_STORAGE_STATS") or "database",
        cors_origins=cors or ("*",),
        lease_seconds=_int_setting(
            env, ("PATCHWORK_LEASE_SECONDS",), DEFAULT_LEASE_SECONDS, 10, 7 * 86400
        ),
        max_upload_bytes=_int_setting(
            env, ("PATCHWORK_MAX_UPLOAD_BYTES",), DEFAULT_MAX_UPLOAD_BYTES, 1, 2**50
        ),
        heartbeat_seconds=_int_setting(env, ("PATCHWORK_HEARTBEAT_SECONDS",), 60, 1, 86400),
        # The original's config.ini kept the Cloudflare numbers in [storage].
        cloudflare_account_id=env.get("PATCHWORK_CLOUDFLARE_ACCOUNT_ID")
        or _ini_value(ini, "storage", "accountID"),
        cloudflare_api_token=env.get("PATCHWORK_CLOUDFLARE_API_TOKEN")
        or _ini_value(ini, "storage", "api_token"),
        cloudflare_bucket=env.get("PATCHWORK_CLOUDFLARE_BUCKET")
        or _ini_value(ini, "storage", "bucket_name"),
        cloudflare_api_url=env.get("PATCHWORK_CLOUDFLARE_API_URL")
        or "https://api.cloudflare.com/client/v4",
        extra={k: v for k, v in env.items() if k.startswith("PATCHWORK_")},
    )
    return settings.with_overrides(**overrides) if overrides else settings


def _merged_environment(environ: Mapping[str, str], env_file: Path | None) -> dict[str, str]:
    path = env_file if env_file is not None else Path(environ.get("PATCHWORK_ENV_FILE", ".env"))
    merged: dict[str, str] = {}
    if path.is_file():
        merged.update({k: v for k, v in dotenv_values(path).items() if v is not None})
    merged.update(environ)
    return merged


def _read_config_ini(env: Mapping[str, str]) -> configparser.ConfigParser | None:
    explicit = env.get("PATCHWORK_CONFIG")
    path = Path(explicit) if explicit else Path("config.ini")
    if not path.is_file():
        if explicit:
            raise ConfigError(f"PATCHWORK_CONFIG: no such file {explicit!r}")
        return None
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(path, encoding="utf-8")
    except configparser.Error as exc:
        raise ConfigError(f"PATCHWORK_CONFIG: cannot parse {path}: {exc.message}") from None
    return parser


def _ini_value(ini: configparser.ConfigParser | None, section: str, key: str) -> str | None:
    if ini is None or not ini.has_section(section):
        return None
    return ini[section].get(key) or None


def _database_url(
    env: Mapping[str, str], ini: configparser.ConfigParser | None, instance_path: Path
) -> str:
    explicit = env.get("PATCHWORK_DATABASE_URL")
    if explicit:
        return _parse_database_url(explicit, "PATCHWORK_DATABASE_URL")
    section = ini["database"] if ini is not None and ini.has_section("database") else None
    if section is not None and section.get("database"):
        return _mysql_url(
            host=section.get("host") or "127.0.0.1",
            user=section.get("user") or None,
            password=section.get("password") or None,
            database=section.get("database", ""),
        )
    if env.get("DB_HOST") or env.get("DB_DATABASE"):
        database = (env.get("DB_DATABASE") or "").strip()
        if not database:
            raise ConfigError("DB_DATABASE must name the MySQL database when DB_HOST is set")
        host = env.get("DB_HOST") or "127.0.0.1"
        port = (env.get("DB_PORT") or "").strip()
        if port:
            if not port.isdigit() or not 0 < int(port) < 65536:
                raise ConfigError(f"DB_PORT must be a TCP port number, not {port!r}")
            host = f"{host.partition(':')[0]}:{port}"  # DB_PORT wins over a host:port
        return _mysql_url(
            host=host,
            user=env.get("DB_USERNAME") or None,
            password=env.get("DB_PASSWORD") or None,
            database=database,
        )
    return f"sqlite:///{instance_path / 'patchwork.db'}"


def _mysql_url(host: str, user: str | None, password: str | None, database: str) -> str:
    host, _, port = host.partition(":")
    url = URL.create(
        "mysql+pymysql",
        username=user,
        password=password,
        host=host,
        port=int(port) if port.isdigit() else None,
        database=database,
        query={"charset": "utf8mb4"},
    )
    return url.render_as_string(hide_password=False)


def redact_url(raw: str) -> str:
    """``raw`` with the password of its userinfo replaced by ``***``: safe to print or log."""
    return _USERINFO_PASSWORD.sub(r"\1***@", raw)


_USERINFO_PASSWORD = re.compile(r"(//[^/@:]*:)[^/@]*@")


def _parse_database_url(raw: str, setting: str) -> str:
    try:
        url = make_url(raw)
        url.port  # noqa: B018  (a port that is not a number raises here, not later)
    except (ArgumentError, ValueError):
        raise ConfigError(
            f"{setting}: cannot parse {redact_url(raw)!r} as a database URL"
        ) from None
    if url.get_backend_name() not in ("sqlite", "mysql", "mariadb", "postgresql"):
        raise ConfigError(
            f"{setting}: unsupported database {url.get_backend_name()!r} "
            "(use sqlite, mysql, mariadb or postgresql)"
        )
    return raw


def _check_storage_url(url: str) -> None:
    if not url.startswith(("file://", "s3://")):
        raise ConfigError(
            "PATCHWORK_STORAGE_URL must be file:///path or s3://bucket/prefix, "
            f"not {redact_url(url)!r}"
        )
    if url.startswith("s3://") and not url[len("s3://") :].split("/", 1)[0]:
        raise ConfigError(f"PATCHWORK_STORAGE_URL: {redact_url(url)!r} names no bucket")


def _int_setting(
    env: Mapping[str, str], names: tuple[str, ...], default: int, low: int, high: int
) -> int:
    for name in names:
        raw = env.get(name)
        if raw is None or not raw.strip():
            continue
        # The original's .env.template quoted numbers ("14"); accept that.
        text = raw.strip().strip("\"'")
        try:
            value = int(text)
        except ValueError:
            raise ConfigError(f"{name} must be a whole number, not {raw!r}") from None
        if not low <= value <= high:
            raise ConfigError(f"{name} must be between {low} and {high}, not {value}")
        return value
    return default
