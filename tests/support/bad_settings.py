"""A bad value of every declared setting that can have one, for the tests that feed them to
``load_settings`` (tests/config) and to the real ``patchwork`` command (tests/cli)."""

from __future__ import annotations

#: A bad value of every setting that has one.
BAD_VALUES: dict[str, str] = {
    "PATCHWORK_INSTANCE_PATH": "/dev/null/instance",
    "PATCHWORK_ENV_FILE": "/",
    "PATCHWORK_CONFIG": "/no/such.ini",
    "PATCHWORK_DATABASE_URL": "not a url",
    "PATCHWORK_STORAGE_URL": "ftp://x",
    "PATCHWORK_STORAGE_LAYOUT": "bogus",
    "PATCHWORK_LEGACY_VIDEO_URL": "videos",
    "PATCHWORK_LEGACY_CONTENT_URL": "ftp://content",
    "PATCHWORK_LEGACY_CHANNEL_IMAGES_URL": "s3://",
    "PATCHWORK_S3_ENDPOINT_URL": "localhost:9000",
    "PATCHWORK_MEDIA_REDIRECT": "sometimes",
    "PATCHWORK_REDIS_URL": "localhost:6379",
    "PATCHWORK_RESULTS_PER_PAGE": "lots",
    "RESULTS_PER_PAGE": "lots",
    "PATCHWORK_RESULTS_PER_PAGE_CHANNEL": "0",
    "RESULTS_PER_PAGE_CHANNEL": "501",
    "PATCHWORK_CORS_ORIGINS": "https://ok.example,example.org",
    "PATCHWORK_STORAGE_STATS": "bogus",
    "PATCHWORK_LEASE_SECONDS": "5",
    "PATCHWORK_HEARTBEAT_SECONDS": "1.5",
    "PATCHWORK_VIEW_FLUSH_SECONDS": "-5",
    "PATCHWORK_MAX_UPLOAD_BYTES": "8 GiB",
    "PATCHWORK_AVAILABILITY_CHECK_DAYS": "0",
    "PATCHWORK_AVAILABILITY_CHECKS_PER_HOUR": "-1",
    "PATCHWORK_AVAILABILITY_CONFIRMATIONS": "11",
    "PATCHWORK_CLOUDFLARE_API_URL": "api.cloudflare.com",
    "PATCHWORK_LOG_FORMAT": "bogus",
    "PATCHWORK_RATE_LIMITS": "sometimes",
    "PATCHWORK_RATE_LIMIT_READ": "lots",
    "PATCHWORK_RATE_LIMIT_SEARCH": "10/fortnight",
    "PATCHWORK_RATE_LIMIT_WRITE": "lots",
    "PATCHWORK_RATE_LIMIT_WORKER": "many/minute",
    "PATCHWORK_RATE_LIMIT_AUTH_FAILURES": "5",
    "PATCHWORK_RATE_LIMIT_STORAGE": "bogus://x",
    "PATCHWORK_TRUSTED_PROXIES": "١",
    "DB_HOST": "db:high",
    "DB_PORT": "high",
}

#: Free-form: every text is a value (a token, a name, a password).
FREE_FORM = {
    "AWS_DEFAULT_REGION",
    "PATCHWORK_CLOUDFLARE_ACCOUNT_ID",
    "PATCHWORK_CLOUDFLARE_BUCKET",
    "PATCHWORK_CLOUDFLARE_API_TOKEN",
    "PATCHWORK_METRICS_TOKEN",
    "DB_DATABASE",
    "DB_USERNAME",
    "DB_PASSWORD",
}
