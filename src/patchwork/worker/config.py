"""The worker's options: command line > ``PATCHWORK_WORKER_*`` > config.ini > defaults.

The config.ini is the original worker's: ``[queue] base_url, worker_password, worker_name``
and ``[youtube] cookies``. New options live in a ``[worker]`` section under the same names
as the environment variables without their prefix (``max_height``, ``pause`` …).
"""

from __future__ import annotations

import configparser
import os
import re
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

ENV_PREFIX = "PATCHWORK_WORKER_"
MB = 1_000_000


class WorkerConfigError(ValueError):
    """An option is missing or malformed; the message names it."""


@dataclass(frozen=True)
class WorkerConfig:
    server: str = ""
    token: str = ""
    name: str = field(default_factory=lambda: f"worker-{socket.gethostname()}")
    workdir: Path = field(default_factory=lambda: Path(os.environ.get("TMPDIR", "/tmp")))
    once: bool = False
    max_height: int = 1080
    max_filesize: int = 500 * MB  # bytes, as the original (500,000,000)
    format: str = ""  # a yt-dlp format selector replacing the default one
    cookies: str = ""
    auto_captions: bool = False
    # yt-dlp's subtitlesformat for every site; empty: srv3 on YouTube, vtt elsewhere (download.py)
    caption_format: str = ""
    extractor_args: tuple[str, ...] = ()  # yt-dlp's IE_KEY:ARGS syntax, one per entry
    plugin_dirs: tuple[str, ...] = ()
    remote_components: tuple[str, ...] = ()  # e.g. ejs:github; none by default
    channel_images: bool = True
    pause: float = 30.0  # seconds between downloads
    jitter: float = 0.5  # pauses vary by ± this fraction
    idle: float = 60.0  # seconds between polls of an empty queue
    cooldown: float = 900.0  # seconds to rest after a bot check or HTTP 429
    socket_timeout: float = 30.0
    retries: int = 5  # HTTP retries towards the server

    def validate(self) -> WorkerConfig:
        if not self.server:
            raise WorkerConfigError(
                "--server (PATCHWORK_WORKER_SERVER, [queue] base_url) is required"
            )
        if not re.match(r"https?://", self.server):
            raise WorkerConfigError(f"--server must be an http(s) URL, not {self.server!r}")
        if not self.token:
            raise WorkerConfigError(
                "--token (PATCHWORK_WORKER_TOKEN, [queue] worker_password) is required"
            )
        if not self.name or len(self.name) > 255:
            raise WorkerConfigError("--name must be 1 to 255 characters")
        for name in ("max_height", "max_filesize", "retries"):
            if getattr(self, name) < 0:
                raise WorkerConfigError(f"{name} must not be negative")
        for name in ("pause", "idle", "cooldown", "socket_timeout"):
            if getattr(self, name) < 0:
                raise WorkerConfigError(f"{name} must not be negative")
        if not 0 <= self.jitter <= 1:
            raise WorkerConfigError("jitter must be between 0 and 1")
        for raw in self.extractor_args:
            parse_extractor_args(raw)
        return replace(self, server=self.server.rstrip("/"))


INI_KEYS = {  # (section, key) of the original config.ini
    "server": ("queue", "base_url"),
    "token": ("queue", "worker_password"),
    "name": ("queue", "worker_name"),
    "cookies": ("youtube", "cookies"),
}


def load_config(
    overrides: Mapping[str, Any],
    *,
    environ: Mapping[str, str] | None = None,
    config_path: str | None = None,
) -> WorkerConfig:
    """Merge the sources; ``overrides`` are the command-line values (None = not given)."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    path = config_path or environ.get(f"{ENV_PREFIX}CONFIG")
    if path is None and Path("config.ini").is_file():
        path = "config.ini"
    if path:
        values.update(_from_ini(Path(path)))
    for f in fields(WorkerConfig):
        raw = environ.get(f"{ENV_PREFIX}{f.name.upper()}")
        if raw is not None and raw != "":
            values[f.name] = raw
    for key, value in overrides.items():
        if value is not None and value != ():
            values[key] = value
    return _build(values).validate()


def _from_ini(path: Path) -> dict[str, Any]:
    parser = configparser.ConfigParser(interpolation=None)
    try:
        with path.open(encoding="utf-8") as handle:
            parser.read_file(handle)
    except (OSError, configparser.Error) as exc:
        raise WorkerConfigError(f"config file {path}: {exc}") from None
    found: dict[str, Any] = {}
    for name, (section, key) in INI_KEYS.items():
        if parser.has_option(section, key) and parser.get(section, key).strip():
            found[name] = parser.get(section, key).strip()
    if parser.has_section("worker"):
        known = {f.name for f in fields(WorkerConfig)}
        for key, value in parser.items("worker"):
            if key not in known:
                raise WorkerConfigError(f"config file {path}: unknown [worker] option {key!r}")
            found[key] = value
    return found


def _build(values: Mapping[str, Any]) -> WorkerConfig:
    kwargs: dict[str, Any] = {}
    for f in fields(WorkerConfig):
        if f.name not in values:
            continue
        raw = values[f.name]
        try:
            kwargs[f.name] = _convert(f.name, raw)
        except ValueError:
            raise WorkerConfigError(f"{f.name}: cannot use {raw!r}") from None
    return WorkerConfig(**kwargs)


def _convert(name: str, raw: Any) -> Any:
    default = getattr(WorkerConfig(), name)
    if isinstance(default, bool):
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in ("1", "true", "yes", "on"):
            return True
        if text in ("0", "false", "no", "off"):
            return False
        raise ValueError(name)
    if isinstance(default, int):
        return int(raw)
    if isinstance(default, float):
        return float(raw)
    if isinstance(default, Path):
        return Path(raw).expanduser()
    if isinstance(default, tuple):
        if isinstance(raw, str):  # one per line (config.ini) or separated by newlines (env)
            return tuple(line.strip() for line in raw.splitlines() if line.strip())
        return tuple(str(v) for v in raw)
    return str(raw)


def parse_extractor_args(raw: str) -> tuple[str, dict[str, list[str]]]:
    """yt-dlp's ``--extractor-args`` syntax: ``youtube:player_client=web,tv;po_token=X``."""
    key, colon, rest = raw.partition(":")
    if not colon or not key.strip():
        raise WorkerConfigError(f"extractor_args: {raw!r} is not IE_KEY:ARGS")
    args: dict[str, list[str]] = {}
    for item in rest.split(";"):
        if not item.strip():
            continue
        name, _, values = item.partition("=")
        args[name.strip().lower().replace("-", "_")] = [
            v.replace(r"\,", ",").strip() for v in re.split(r"(?<!\\),", values)
        ]
    return key.strip().lower(), args


def extractor_args(config: WorkerConfig) -> dict[str, dict[str, list[str]]]:
    merged: dict[str, dict[str, list[str]]] = {}
    for raw in config.extractor_args:
        key, args = parse_extractor_args(raw)
        merged.setdefault(key, {}).update(args)
    return merged
