"""What the server runs with: one typed field per declared setting (table.py)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import MISSING, dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Literal

from sqlalchemy.engine import make_url

from patchwork.config.table import BY_NAME, DEFAULTS, message, read_environment
from patchwork.config.values import ConfigError

StorageLayout = Literal["patchwork", "legacy"]
LogFormat = Literal["text", "json"]


@dataclass(frozen=True)
class Settings:
    """Each default is the declared one, so a Settings made in code (tests, embedding) is what
    ``load_settings`` gives with nothing set."""

    instance_path: Path
    database_url: str
    storage_url: str
    storage_layout: StorageLayout = DEFAULTS["PATCHWORK_STORAGE_LAYOUT"]
    # None: the previous one (video: the storage URL; content: the video URL; images: content).
    legacy_video_url: str | None = DEFAULTS["PATCHWORK_LEGACY_VIDEO_URL"]
    legacy_content_url: str | None = DEFAULTS["PATCHWORK_LEGACY_CONTENT_URL"]
    legacy_channel_images_url: str | None = DEFAULTS["PATCHWORK_LEGACY_CHANNEL_IMAGES_URL"]
    s3_endpoint_url: str | None = DEFAULTS["PATCHWORK_S3_ENDPOINT_URL"]
    s3_region: str | None = DEFAULTS["AWS_DEFAULT_REGION"]
    media_redirect: str = DEFAULTS["PATCHWORK_MEDIA_REDIRECT"]
    redis_url: str | None = DEFAULTS["PATCHWORK_REDIS_URL"]
    results_per_page: int = DEFAULTS["PATCHWORK_RESULTS_PER_PAGE"]
    results_per_page_channel: int = DEFAULTS["PATCHWORK_RESULTS_PER_PAGE_CHANNEL"]
    cors_origins: tuple[str, ...] = DEFAULTS["PATCHWORK_CORS_ORIGINS"]
    storage_stats: str = DEFAULTS["PATCHWORK_STORAGE_STATS"]
    lease_seconds: int = DEFAULTS["PATCHWORK_LEASE_SECONDS"]
    heartbeat_seconds: int = DEFAULTS["PATCHWORK_HEARTBEAT_SECONDS"]
    view_flush_seconds: int = DEFAULTS["PATCHWORK_VIEW_FLUSH_SECONDS"]
    max_upload_bytes: int = DEFAULTS["PATCHWORK_MAX_UPLOAD_BYTES"]
    availability_check_days: int = DEFAULTS["PATCHWORK_AVAILABILITY_CHECK_DAYS"]
    availability_checks_per_hour: int = DEFAULTS["PATCHWORK_AVAILABILITY_CHECKS_PER_HOUR"]
    availability_confirmations: int = DEFAULTS["PATCHWORK_AVAILABILITY_CONFIRMATIONS"]
    cloudflare_account_id: str | None = DEFAULTS["PATCHWORK_CLOUDFLARE_ACCOUNT_ID"]
    cloudflare_bucket: str | None = DEFAULTS["PATCHWORK_CLOUDFLARE_BUCKET"]
    # Secrets stay out of repr(): a Settings may end up in a log or a traceback.
    cloudflare_api_token: str | None = field(
        default=DEFAULTS["PATCHWORK_CLOUDFLARE_API_TOKEN"], repr=False
    )
    cloudflare_api_url: str = DEFAULTS["PATCHWORK_CLOUDFLARE_API_URL"]
    log_format: LogFormat = DEFAULTS["PATCHWORK_LOG_FORMAT"]
    metrics_token: str | None = field(default=DEFAULTS["PATCHWORK_METRICS_TOKEN"], repr=False)
    rate_limits: bool = DEFAULTS["PATCHWORK_RATE_LIMITS"]
    # Each budget: None is no limit.
    rate_limit_read: str | None = DEFAULTS["PATCHWORK_RATE_LIMIT_READ"]
    rate_limit_search: str | None = DEFAULTS["PATCHWORK_RATE_LIMIT_SEARCH"]
    rate_limit_write: str | None = DEFAULTS["PATCHWORK_RATE_LIMIT_WRITE"]
    rate_limit_worker: str | None = DEFAULTS["PATCHWORK_RATE_LIMIT_WORKER"]
    rate_limit_auth_failures: str | None = DEFAULTS["PATCHWORK_RATE_LIMIT_AUTH_FAILURES"]
    # None: in Redis when PATCHWORK_REDIS_URL is set, else in process memory.
    rate_limit_storage: str | None = DEFAULTS["PATCHWORK_RATE_LIMIT_STORAGE"]
    trusted_proxies: int = DEFAULTS["PATCHWORK_TRUSTED_PROXIES"]

    def with_overrides(self, **changes: Any) -> Settings:
        return replace(self, **changes)

    def with_environment(self, environment: Mapping[str, str]) -> Settings:
        """These settings with some given as ``NAME=value`` text, each read and checked as
        :func:`~patchwork.config.load_settings` reads it (an empty value is the default).

        Only settings that fill a field can be given: the others (``PATCHWORK_CONFIG``,
        ``DB_HOST`` …) only take part in loading.
        """
        found, problems = read_environment(environment)
        changes: dict[str, Any] = {}
        for name, raw in environment.items():
            setting = BY_NAME.get(name)
            if setting is None:
                problems.append(f"{name} is not a setting")
            elif setting.field is None:
                problems.append(f"{name} is only read by load_settings")
            elif setting.name in found:
                changes[setting.field] = found[setting.name]
            elif not raw.strip():
                if setting.default is None and setting.field in _REQUIRED:
                    problems.append(message(name, ": needs a value here (its default is derived)"))
                changes[setting.field] = setting.default_value
        if problems:
            raise ConfigError("; ".join(problems))
        return replace(self, **changes)

    @property
    def database_backend(self) -> str:
        return make_url(self.database_url).get_backend_name()

    def redacted_database_url(self) -> str:
        return make_url(self.database_url).render_as_string(hide_password=True)


#: Fields a Settings cannot be made without: their defaults depend on other settings.
_REQUIRED = frozenset(f.name for f in fields(Settings) if f.default is MISSING)
