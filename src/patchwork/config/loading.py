"""Reading the settings: environment, ``.env``, config.ini, the original's names; every value
checked before anything starts.

Precedence, highest first:
1. ``PATCHWORK_*`` variables in the process environment;
2. the same names in a ``.env`` file (``PATCHWORK_ENV_FILE``; never overriding the
   environment);
3. ``config.ini`` (``PATCHWORK_CONFIG``, or ``./config.ini`` when present) with the original
   backend's ``[database]`` section (host, user, password, database) and ``[storage]`` keys;
4. the original backend's variables (``DB_HOST``, ``DB_PORT``, ``DB_DATABASE``, ``DB_USERNAME``,
   ``DB_PASSWORD``, ``RESULTS_PER_PAGE``, ``RESULTS_PER_PAGE_CHANNEL``), so an existing
   deployment's environment starts Patchwork unchanged;
5. the declared defaults, which need nothing: SQLite and a local archive under the instance
   folder.

Every problem is raised as one :class:`ConfigError` whose one-line message names each bad
setting, so the CLI can stop start-up with one clear line.
"""

from __future__ import annotations

import configparser
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from dotenv import dotenv_values
from sqlalchemy.engine import URL

from patchwork.config import values
from patchwork.config.settings import Settings
from patchwork.config.table import SETTINGS, declared, read_environment
from patchwork.config.values import ConfigError

CLOUDFLARE = (
    "PATCHWORK_CLOUDFLARE_ACCOUNT_ID",
    "PATCHWORK_CLOUDFLARE_BUCKET",
    "PATCHWORK_CLOUDFLARE_API_TOKEN",
)


def load_settings(
    environ: Mapping[str, str] | None = None,
    *,
    env_file: Path | None = None,
    **overrides: Any,
) -> Settings:
    """Build :class:`Settings` from the environment, ``.env`` and ``config.ini``."""
    env = _merged_environment(os.environ if environ is None else environ, env_file)
    found, problems = read_environment(env)
    if problems:
        raise ConfigError("; ".join(problems))

    def value(name: str) -> Any:
        return found[name] if name in found else declared(name).default_value

    instance_path: Path = value("PATCHWORK_INSTANCE_PATH").resolve()  # against the cwd now
    found["PATCHWORK_INSTANCE_PATH"] = instance_path
    ini = _read_config_ini(found.get("PATCHWORK_CONFIG"))
    for setting in SETTINGS:
        if setting.ini is not None and setting.name not in found:
            from_ini = _ini_value(ini, *setting.ini)
            if from_ini is not None:
                found[setting.name] = from_ini
    found.setdefault("PATCHWORK_DATABASE_URL", _database_url(found, ini, instance_path))
    found.setdefault("PATCHWORK_STORAGE_URL", f"file://{instance_path / 'archive'}")
    _check_together(value)

    fields = {s.field: value(s.name) for s in SETTINGS if s.field is not None}
    settings = Settings(**fields)
    return settings.with_overrides(**overrides) if overrides else settings


def _check_together(value: Callable[[str], Any]) -> None:
    """What no single value shows: settings that need each other."""
    if value("PATCHWORK_STORAGE_STATS") == "cloudflare-r2":
        missing = [name for name in CLOUDFLARE if not value(name)]
        if missing:
            raise ConfigError(
                f"PATCHWORK_STORAGE_STATS=cloudflare-r2 needs {', '.join(missing)} "
                "(or config.ini [storage] accountID, bucket_name, api_token)"
            )


def _merged_environment(environ: Mapping[str, str], env_file: Path | None) -> dict[str, str]:
    if env_file is None:
        raw = environ.get("PATCHWORK_ENV_FILE") or declared("PATCHWORK_ENV_FILE").default or ""
        env_file = values.path(raw)
    merged: dict[str, str] = {}
    if env_file.is_file():
        merged.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
    merged.update(environ)
    return merged


def _read_config_ini(explicit: Path | None) -> configparser.ConfigParser | None:
    path = explicit or Path("config.ini")
    if not path.is_file():
        return None
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(path, encoding="utf-8")
    except (configparser.Error, UnicodeDecodeError) as exc:
        reason = exc.message if isinstance(exc, configparser.Error) else str(exc)
        raise ConfigError(
            f"PATCHWORK_CONFIG: cannot parse {path}: {' '.join(reason.split())}"
        ) from None
    return parser


def _ini_value(ini: configparser.ConfigParser | None, section: str, key: str) -> str | None:
    if ini is None or not ini.has_section(section):
        return None
    return ini[section].get(key) or None


def _database_url(
    found: Mapping[str, Any], ini: configparser.ConfigParser | None, instance_path: Path
) -> str:
    section = ini["database"] if ini is not None and ini.has_section("database") else None
    if section is not None and section.get("database"):
        host = section.get("host") or "127.0.0.1"
        try:
            values.host_and_port(host)
        except ValueError as exc:
            raise ConfigError(f"config.ini [database] host {exc}") from None
        return _mysql_url(
            host=host,
            user=section.get("user") or None,
            password=section.get("password") or None,
            database=section.get("database", ""),
        )
    if "DB_HOST" in found or "DB_DATABASE" in found:
        database = str(found.get("DB_DATABASE") or "").strip()
        if not database:
            raise ConfigError("DB_DATABASE must name the MySQL database when DB_HOST is set")
        host = str(found.get("DB_HOST") or "127.0.0.1")
        if "DB_PORT" in found:
            host = f"{host.partition(':')[0]}:{found['DB_PORT']}"  # DB_PORT wins over host:port
        return _mysql_url(
            host=host,
            user=found.get("DB_USERNAME"),
            password=found.get("DB_PASSWORD"),
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
