"""Every server setting, declared once: its name, the original's names for it, how its value
is read and checked, its default and what it does.

README's "Settings" section lists the same rows (tests/config/test_settings_table.py keeps the
two equal). The worker's options are its own table (patchwork/worker/config.py): it runs on
machines that have none of these.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from patchwork.config import values
from patchwork.config.values import Parser

MiB = 1024**2


@dataclass(frozen=True)
class Setting:
    name: str
    parse: Parser
    doc: str
    #: The value it has when unset, written as one would set it (parsed like a set value).
    #: None: unset, or worked out from other settings (``shown_default`` says how).
    default: str | None = None
    #: The :class:`~patchwork.config.Settings` field it fills; None: read while loading only.
    field: str | None = None
    #: The original backend's names for it, read when ``name`` is not set.
    aliases: tuple[str, ...] = ()
    #: ``(section, key)`` of the original's config.ini, read when no name is set.
    ini: tuple[str, str] | None = None
    #: README's default cell when it is not the default itself (a derived default).
    shown_default: str | None = None

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)

    @property
    def default_value(self) -> Any:
        return self.parse(self.default) if self.default is not None else None

    @property
    def documented_default(self) -> str:
        if self.shown_default is not None:
            return self.shown_default
        return f"`{self.default}`" if self.default is not None else "unset"


SETTINGS: tuple[Setting, ...] = (
    # -- where things are ------------------------------------------------------------------
    Setting(
        "PATCHWORK_INSTANCE_PATH",
        values.folder,
        "folder for the default database and archive",
        default="instance",
        field="instance_path",
        shown_default="`./instance`",
    ),
    Setting(
        "PATCHWORK_ENV_FILE",
        values.optional_file,
        "the `.env` file to read (set in the process environment only); a missing file is none",
        default=".env",
    ),
    Setting(
        "PATCHWORK_CONFIG",
        values.existing_file,
        "INI file with the original's `[database]` and `[storage]` sections",
        shown_default="`./config.ini` if present",
    ),
    Setting(
        "PATCHWORK_DATABASE_URL",
        values.database_url,
        "any SQLAlchemy URL: `mysql+pymysql://user:pw@host/db`, "
        "`postgresql+psycopg://user@host/db`, `sqlite:///path`",
        field="database_url",
        shown_default="`sqlite:///<instance>/patchwork.db`",
    ),
    Setting(
        "PATCHWORK_STORAGE_URL",
        values.storage_url,
        "`file:///path` or `s3://bucket/prefix` (or an installed backend's scheme)",
        field="storage_url",
        shown_default="`file://<instance>/archive`",
    ),
    Setting(
        "PATCHWORK_STORAGE_LAYOUT",
        values.choice("patchwork", "legacy"),
        "`legacy` serves (and fills) an original bucket in place (docs/legacy.md)",
        default="patchwork",
        field="storage_layout",
    ),
    Setting(
        "PATCHWORK_LEGACY_VIDEO_URL",
        values.storage_url,
        "with the legacy layout: where `{id}.webm`/`.mp4` live",
        field="legacy_video_url",
        shown_default="the storage URL",
    ),
    Setting(
        "PATCHWORK_LEGACY_CONTENT_URL",
        values.storage_url,
        "with the legacy layout: holds `thumbnails/`, `metadata/`, `captions/`",
        field="legacy_content_url",
        shown_default="the video URL",
    ),
    Setting(
        "PATCHWORK_LEGACY_CHANNEL_IMAGES_URL",
        values.storage_url,
        "with the legacy layout: holds `{channel_id}_pfp.jpg` and `_banner.jpg`",
        field="legacy_channel_images_url",
        shown_default="the content URL",
    ),
    Setting(
        "PATCHWORK_S3_ENDPOINT_URL",
        values.http_url,
        "any S3-compatible service (R2, B2, MinIO); credentials from `AWS_ACCESS_KEY_ID`, "
        "`AWS_SECRET_ACCESS_KEY`",
        field="s3_endpoint_url",
        shown_default="AWS",
    ),
    Setting(
        "AWS_DEFAULT_REGION",
        values.text,
        "the S3 region",
        field="s3_region",
        shown_default="AWS's default",
    ),
    # -- serving ----------------------------------------------------------------------------
    Setting(
        "PATCHWORK_MEDIA_REDIRECT",
        values.media_redirect,
        "`proxy`, `presign` or `public:<base URL>`",
        default="proxy",
        field="media_redirect",
    ),
    Setting(
        "PATCHWORK_REDIS_URL",
        values.redis_url,
        "shared cache for discover/featured/popular/status/storage answers (and rate limit "
        "counters); without it, an in-process cache. Redis being down means uncached answers, "
        "never errors",
        field="redis_url",
    ),
    Setting(
        "PATCHWORK_RESULTS_PER_PAGE",
        values.whole_number(1, 500),
        "page size of `/api/search/results` and `/api/channel/<id>` (the original's "
        "`RESULTS_PER_PAGE` too)",
        default="14",
        field="results_per_page",
        aliases=("RESULTS_PER_PAGE",),
    ),
    Setting(
        "PATCHWORK_RESULTS_PER_PAGE_CHANNEL",
        values.whole_number(1, 500),
        "page size of `/api/search/channel` (the original's `RESULTS_PER_PAGE_CHANNEL` too)",
        default="14",
        field="results_per_page_channel",
        aliases=("RESULTS_PER_PAGE_CHANNEL",),
    ),
    Setting(
        "PATCHWORK_CORS_ORIGINS",
        values.origins,
        "comma-separated origins allowed to call `/api/*` and `/media/*` from a browser",
        default="*",
        field="cors_origins",
    ),
    Setting(
        "PATCHWORK_STORAGE_STATS",
        values.stats_provider,
        "where `/api/storage/status` gets its numbers (see Storage Statistics)",
        default="database",
        field="storage_stats",
    ),
    # -- the queue --------------------------------------------------------------------------
    Setting(
        "PATCHWORK_LEASE_SECONDS",
        values.whole_number(10, 7 * 86400),
        "how long a worker holds a claimed job without reporting",
        default="3600",
        field="lease_seconds",
    ),
    Setting(
        "PATCHWORK_HEARTBEAT_SECONDS",
        values.whole_number(1, 86400),
        "how often workers are expected to report; one silent for 3 of these is offline",
        default="60",
        field="heartbeat_seconds",
    ),
    Setting(
        "PATCHWORK_VIEW_FLUSH_SECONDS",
        values.whole_number(0, 3600),
        "views are counted in memory and written this often (0: each in its request)",
        default="5",
        field="view_flush_seconds",
    ),
    Setting(
        "PATCHWORK_MAX_UPLOAD_BYTES",
        values.whole_number(1, 2**50),
        "largest file a worker may upload",
        default=str(8 * 1024 * MiB),
        field="max_upload_bytes",
        shown_default=f"`{8 * 1024 * MiB}` (8 GiB)",
    ),
    # -- lost media (docs/availability.md) --------------------------------------------------
    Setting(
        "PATCHWORK_AVAILABILITY_CHECK_DAYS",
        values.whole_number(1, 3650),
        "a video is checked again on its site after this many days",
        default="30",
        field="availability_check_days",
    ),
    Setting(
        "PATCHWORK_AVAILABILITY_CHECKS_PER_HOUR",
        values.whole_number(0, 1_000_000),
        "most availability checks queued in any hour (0: only checks asked for by hand)",
        default="600",
        field="availability_checks_per_hour",
    ),
    Setting(
        "PATCHWORK_AVAILABILITY_CONFIRMATIONS",
        values.whole_number(1, 10),
        "consecutive definitive answers that change a video's availability",
        default="2",
        field="availability_confirmations",
    ),
    # -- Cloudflare R2's usage numbers (PATCHWORK_STORAGE_STATS=cloudflare-r2) ---------------
    Setting(
        "PATCHWORK_CLOUDFLARE_ACCOUNT_ID",
        values.text,
        "for `cloudflare-r2` storage statistics",
        field="cloudflare_account_id",
        ini=("storage", "accountID"),
        shown_default="config.ini `[storage] accountID`",
    ),
    Setting(
        "PATCHWORK_CLOUDFLARE_BUCKET",
        values.text,
        "for `cloudflare-r2` storage statistics",
        field="cloudflare_bucket",
        ini=("storage", "bucket_name"),
        shown_default="config.ini `[storage] bucket_name`",
    ),
    Setting(
        "PATCHWORK_CLOUDFLARE_API_TOKEN",
        values.text,
        "for `cloudflare-r2` storage statistics",
        field="cloudflare_api_token",
        ini=("storage", "api_token"),
        shown_default="config.ini `[storage] api_token`",
    ),
    Setting(
        "PATCHWORK_CLOUDFLARE_API_URL",
        values.http_url,
        "Cloudflare's API",
        default="https://api.cloudflare.com/client/v4",
        field="cloudflare_api_url",
    ),
    # -- operations (README, "Operating Patchwork") -------------------------------------------
    Setting(
        "PATCHWORK_LOG_FORMAT",
        values.choice("text", "json"),
        "request log lines as text or as JSON (see Operating Patchwork)",
        default="text",
        field="log_format",
    ),
    Setting(
        "PATCHWORK_METRICS_TOKEN",
        values.text,
        "when set, `/metrics` asks for `Authorization: Bearer <token>`",
        field="metrics_token",
    ),
    Setting(
        "PATCHWORK_RATE_LIMITS",
        values.switch,
        "`off` turns all rate limits off",
        default="on",
        field="rate_limits",
    ),
    # Sized for one fast person on the reference frontend, counted in one server process
    # (without Redis each process counts alone; docs/decisions/0110): a page view costs at most
    # 5 reads and 2 searches (a results page fires search/results and search/channel), so a
    # page a second for a minute is 300 reads or 120 searches. The rest is room for a second
    # tab or a shared address.
    Setting(
        "PATCHWORK_RATE_LIMIT_READ",
        values.rate_limit,
        "budget of /api reads per client address (see Operating Patchwork)",
        default="1200/minute",
        field="rate_limit_read",
    ),
    Setting(
        "PATCHWORK_RATE_LIMIT_SEARCH",
        values.rate_limit,
        "budget of searches per client address",
        default="180/minute",
        field="rate_limit_search",
    ),
    Setting(
        "PATCHWORK_RATE_LIMIT_WRITE",
        values.rate_limit,
        "budget of /api writes per client address",
        default="120/minute",
        field="rate_limit_write",
    ),
    Setting(
        "PATCHWORK_RATE_LIMIT_WORKER",
        values.rate_limit,
        "budget of workers' job requests per client address",
        default="off",
        field="rate_limit_worker",
    ),
    # Failed authentications (no token, unknown or revoked token) per client address. The
    # reference worker stops at its first 401, so an honest client never comes near this.
    Setting(
        "PATCHWORK_RATE_LIMIT_AUTH_FAILURES",
        values.rate_limit,
        "budget of failed authentications per client address",
        default="30/minute;300/hour",
        field="rate_limit_auth_failures",
    ),
    Setting(
        "PATCHWORK_RATE_LIMIT_STORAGE",
        values.rate_limit_store,
        "where rate limit counters live",
        field="rate_limit_storage",
        shown_default="Redis URL or `memory://`",
    ),
    Setting(
        "PATCHWORK_TRUSTED_PROXIES",
        values.whole_number(
            0, 100, "the number of reverse proxies in front of Patchwork (e.g. 1 behind nginx)"
        ),
        "how many reverse proxies in front of Patchwork append to `X-Forwarded-For`",
        default="0",
        field="trusted_proxies",
    ),
    # -- the original backend's database settings (used when PATCHWORK_DATABASE_URL and
    # config.ini's [database] are not there; `legacy import` reads them too) ------------------
    Setting(
        "DB_HOST",
        values.host_and_port,
        "the original's MySQL server, `host` or `host:port`",
        shown_default="`127.0.0.1` when `DB_DATABASE` is set",
    ),
    Setting("DB_PORT", values.whole_number(1, 65535, "a TCP port number"), "its port"),
    Setting(
        "DB_DATABASE",
        values.text,
        "the original's database name; set, that database is Patchwork's",
    ),
    Setting("DB_USERNAME", values.text, "its user"),
    Setting("DB_PASSWORD", values.text, "its password"),
)

BY_NAME: Mapping[str, Setting] = {name: s for s in SETTINGS for name in s.names}


def declared(name: str) -> Setting:
    """The setting called ``name`` (or one of the original's names for it)."""
    return BY_NAME[name]


#: The typed default of each setting, for the Settings field it fills.
DEFAULTS: Mapping[str, Any] = {s.name: s.default_value for s in SETTINGS}


def read_environment(env: Mapping[str, str]) -> tuple[dict[str, Any], list[str]]:
    """Every declared setting set in ``env``, parsed; and a message for each bad value.

    An empty value is unset. Every name set is checked, an alias overridden by its
    ``PATCHWORK_*`` name too; the first name set wins.
    """
    found: dict[str, Any] = {}
    problems: list[str] = []
    for setting in SETTINGS:
        for name in setting.names:
            raw = env.get(name)
            if raw is None or not raw.strip():
                continue
            try:
                value = setting.parse(raw)
            except ValueError as exc:
                problems.append(message(name, str(exc)))
                continue
            found.setdefault(setting.name, value)
    return found, problems


def message(name: str, problem: str) -> str:
    """One line naming the setting: ``NAME must be …`` or ``NAME: …``."""
    line = " ".join(problem.splitlines())
    return f"{name}{line}" if line.startswith(":") else f"{name} {line}"
