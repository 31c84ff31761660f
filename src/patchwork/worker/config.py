"""The worker's options: command line > ``PATCHWORK_WORKER_*`` > config.ini > defaults.

The config.ini is the original worker's: ``[queue] base_url, worker_password, worker_name``
and ``[youtube] cookies``. New options live in a ``[worker]`` section under the same names
as the environment variables without their prefix (``max_height``, ``pause`` …).
"""

from __future__ import annotations

import configparser
import math
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

    def validate(self, sources: Mapping[str, str] | None = None) -> WorkerConfig:
        """Checked; ``sources`` names where each value came from (``--pause``,
        ``PATCHWORK_WORKER_PAUSE``, ``[worker] pause in worker.ini``) for the messages."""

        def named(option: str) -> str:
            return (sources or {}).get(option, option)

        if not self.server:
            raise WorkerConfigError(
                "--server (PATCHWORK_WORKER_SERVER, [queue] base_url) is required"
            )
        if not re.match(r"https?://", self.server):
            raise WorkerConfigError(
                f"{named('server')} must be an http(s) URL, not {self.server!r}"
            )
        if not self.token:
            raise WorkerConfigError(
                "--token (PATCHWORK_WORKER_TOKEN, [queue] worker_password) is required"
            )
        if not self.name or len(self.name) > 255:
            raise WorkerConfigError(f"{named('name')} must be 1 to 255 characters")
        for option in NOT_NEGATIVE:
            if getattr(self, option) < 0:
                raise WorkerConfigError(f"{named(option)} must not be negative")
        if not 0 <= self.jitter <= 1:
            raise WorkerConfigError(f"{named('jitter')} must be between 0 and 1")
        for raw in self.extractor_args:
            try:
                parse_extractor_args(raw)
            except WorkerConfigError:
                raise WorkerConfigError(
                    f"{named('extractor_args')}: {raw!r} is not IE_KEY:ARGS"
                ) from None
        return replace(self, server=self.server.rstrip("/"))


NOT_NEGATIVE = (
    "max_height",
    "max_filesize",
    "retries",
    "pause",
    "idle",
    "cooldown",
    "socket_timeout",
)


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
    """Merge the sources; ``overrides`` are the command-line values (None = not given).

    Every value is checked, and a bad one is a :class:`WorkerConfigError` naming where it
    came from: the flag, the variable or the config file's section and key.
    """
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    path = config_path or environ.get(f"{ENV_PREFIX}CONFIG")
    if path is None and Path("config.ini").is_file():
        path = "config.ini"
    found: list[tuple[str, Any, str]] = []  # (option, raw value, where), lowest first
    if path:
        found += [(name, raw, where) for name, (raw, where) in _from_ini(Path(path)).items()]
    for f in fields(WorkerConfig):
        variable = f"{ENV_PREFIX}{f.name.upper()}"
        raw = environ.get(variable)
        if raw is not None and raw != "":
            found.append((f.name, raw, variable))
    known = {f.name for f in fields(WorkerConfig)}
    for key, raw in overrides.items():
        if key in known and raw is not None and raw != ():
            found.append((key, raw, f"--{key.replace('_', '-')}"))
    for name, raw, where in found:  # each checked, also one a later source overrides
        values[name], sources[name] = _converted(name, raw, where), where
    return WorkerConfig(**values).validate(sources)


def _from_ini(path: Path) -> dict[str, tuple[Any, str]]:
    """(value, where it is) of each option the file sets."""
    parser = configparser.ConfigParser(interpolation=None)
    try:
        with path.open(encoding="utf-8") as handle:
            parser.read_file(handle)
    except (OSError, UnicodeDecodeError, configparser.Error) as exc:
        reason = " ".join(str(exc).split())
        raise WorkerConfigError(f"config file {path}: {reason}") from None
    found: dict[str, tuple[Any, str]] = {}
    for name, (section, key) in INI_KEYS.items():
        if parser.has_option(section, key) and parser.get(section, key).strip():
            found[name] = (parser.get(section, key).strip(), f"[{section}] {key} in {path}")
    if parser.has_section("worker"):
        known = {f.name for f in fields(WorkerConfig)}
        for key, value in parser.items("worker"):
            if key not in known:
                raise WorkerConfigError(f"config file {path}: unknown [worker] option {key!r}")
            found[key] = (value, f"[worker] {key} in {path}")
    return found


def _converted(name: str, raw: Any, where: str) -> Any:
    try:
        return _convert(name, raw)
    except ValueError as exc:
        raise WorkerConfigError(f"{where} must be {exc}, not {raw!r}") from None


def _convert(name: str, raw: Any) -> Any:
    """The option's value from its text; a ValueError says what it must be."""
    default = getattr(WorkerConfig(), name)
    if isinstance(default, bool):
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in ("1", "true", "yes", "on"):
            return True
        if text in ("0", "false", "no", "off"):
            return False
        raise ValueError("true or false (yes/no, on/off, 1/0)")
    if isinstance(default, int):
        try:
            return int(raw)
        except ValueError:
            raise ValueError("a whole number") from None
    if isinstance(default, float):
        try:
            number = float(raw)
        except ValueError:
            raise ValueError("a number") from None
        if not math.isfinite(number):  # "nan" and "inf" parse, but wait forever or never
            raise ValueError("a finite number")
        return number
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
