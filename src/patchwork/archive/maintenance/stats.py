"""Archive statistics: the counts and sizes of ``/api/storage/status``.

The ``database`` provider computes them with aggregate queries; the others (storage
providers' own figures) differ in where the size comes from. Providers are found by name in
the entry-point group ``patchwork.storage_stats`` (``PATCHWORK_STORAGE_STATS`` picks one).

A provider is a callable taking a :class:`StatsContext` and returning a
:class:`~patchwork.archive.catalog.records.StorageStatus`. A new provider is a package that
declares an entry point in that group; Patchwork needs no edit (README, "Storage Statistics").
"""

from __future__ import annotations

import hashlib
import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, replace
from importlib.metadata import entry_points

from sqlalchemy import distinct, func, select

from patchwork.archive.catalog.records import BYTES_PER_MB, StorageStatus
from patchwork.config import Settings
from patchwork.config.values import STATS_PROVIDERS as ENTRY_POINT_GROUP
from patchwork.db import Database
from patchwork.db.models import KeyValue, StoredFile, Video
from patchwork.errors import Unavailable
from patchwork.storage import Storage, StorageError


def database_storage_status(db: Database) -> StorageStatus:
    with db.reading() as session:
        videos, channels, newest_upload, newest_archived = session.execute(
            select(
                func.count(Video.id),
                func.count(distinct(Video.channel_id)),
                func.max(Video.upload_date),
                func.max(Video.archived_at),
            )
        ).one()
        total_bytes = session.scalar(select(func.coalesce(func.sum(StoredFile.size_bytes), 0)))
    return StorageStatus(
        number_of_files=int(videos or 0),
        number_of_channels=int(channels or 0),
        storage_size_mb=round(int(total_bytes or 0) / BYTES_PER_MB, 2),
        most_recent_upload_date=newest_upload,
        most_recent_archived_at=newest_archived,
    )


class StatsUnavailable(Unavailable):
    """The provider could not produce numbers (service down, misconfigured)."""

    def shown_message(self) -> str:
        return f"Storage statistics unavailable: {self}"  # the message alone reads as a detail


@dataclass(frozen=True)
class StatsContext:
    settings: Settings
    db: Database
    storage: Storage


StorageStatsProvider = Callable[[StatsContext], StorageStatus]


# The settings a provider's figures depend on. Their digest versions the stored snapshot of
# the answer: after a restart with another provider, bucket or token, the old figures (or the
# old error's absence) are no answer, while a restart with the same configuration reuses them.
PROVIDER_SETTINGS = (
    "storage_stats",
    "storage_url",
    "s3_endpoint_url",
    "s3_region",
    "cloudflare_account_id",
    "cloudflare_bucket",
    "cloudflare_api_token",
    "cloudflare_api_url",
)


def provider_fingerprint(settings: Settings) -> str:
    """A digest, never the values: the token must not reach the snapshot table."""
    values = [str(getattr(settings, name)) for name in PROVIDER_SETTINGS]
    return hashlib.sha256("\0".join(values).encode()).hexdigest()[:16]


def available_providers() -> list[str]:
    return sorted(ep.name for ep in entry_points(group=ENTRY_POINT_GROUP))


def load_provider(name: str) -> StorageStatsProvider:
    matches = entry_points(group=ENTRY_POINT_GROUP, name=name)
    if not matches:
        raise StatsUnavailable(
            f"PATCHWORK_STORAGE_STATS: no provider {name!r} "
            f"(installed: {', '.join(available_providers()) or 'none'})"
        )
    provider: StorageStatsProvider = next(iter(matches)).load()
    return provider


def database_provider(ctx: StatsContext) -> StorageStatus:
    """Counts and sizes from the ``files`` table (aggregate queries only)."""
    return database_storage_status(ctx.db)


def none_provider(ctx: StatsContext) -> StorageStatus:
    """No storage numbers at all (the counts of videos and channels stay)."""
    return replace(database_storage_status(ctx.db), storage_size_mb=0.0)


def kv_provider(ctx: StatsContext) -> StorageStatus:
    """The original's manual numbers: kv keys video_bucket_size, _units and _count."""
    with ctx.db.reading() as session:
        rows = {key: value for key, value in session.execute(select(KeyValue.key, KeyValue.value))}
    base = database_storage_status(ctx.db)
    try:
        size = float(rows.get("video_bucket_size") or 0)
        count = int(float(rows.get("video_bucket_count") or base.number_of_files))
    except ValueError as exc:
        raise StatsUnavailable(f"kv storage numbers are not numbers: {exc}") from None
    return replace(
        base,
        storage_size_mb=size,
        number_of_files=count,
        units=rows.get("video_bucket_size_units") or "MB",
    )


def s3_provider(ctx: StatsContext) -> StorageStatus:
    """Bucket listing of the videos (``video/`` keys); slow on big buckets, so cache it."""
    total = count = 0
    try:
        for obj in ctx.storage.list("video/"):
            total += obj.size
            count += 1
    except StorageError as exc:
        raise StatsUnavailable(f"cannot list the bucket: {exc}") from None
    return replace(
        database_storage_status(ctx.db),
        number_of_files=count,
        storage_size_mb=round(total / BYTES_PER_MB, 2),
    )


def cloudflare_r2_provider(ctx: StatsContext) -> StorageStatus:
    """Bucket usage from Cloudflare's API (account id, bucket and API token from settings)."""
    s = ctx.settings
    if not (s.cloudflare_account_id and s.cloudflare_api_token and s.cloudflare_bucket):
        raise StatsUnavailable(
            "cloudflare-r2 needs PATCHWORK_CLOUDFLARE_ACCOUNT_ID, PATCHWORK_CLOUDFLARE_BUCKET "
            "and PATCHWORK_CLOUDFLARE_API_TOKEN"
        )
    account = urllib.parse.quote(s.cloudflare_account_id, safe="")
    bucket = urllib.parse.quote(s.cloudflare_bucket, safe="")
    url = f"{s.cloudflare_api_url.rstrip('/')}/accounts/{account}/r2/buckets/{bucket}/usage"
    request = urllib.request.Request(
        url, headers={"Authorization": f"Bearer {s.cloudflare_api_token}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            body = json.load(response)
        usage = body["result"]
        size = int(usage.get("payloadSize") or 0) + int(usage.get("metadataSize") or 0)
        objects = int(usage.get("objectCount") or 0)
    except (urllib.error.URLError, OSError, ValueError, KeyError, TypeError) as exc:
        # The token is in a header, never in the URL, so the message cannot leak it.
        raise StatsUnavailable(f"Cloudflare API: {exc}") from None
    return replace(
        database_storage_status(ctx.db),
        number_of_files=objects,
        storage_size_mb=round(size / BYTES_PER_MB, 2),
    )
