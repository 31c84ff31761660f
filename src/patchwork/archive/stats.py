"""Archive statistics computed with aggregate queries (the ``database`` provider)."""

from __future__ import annotations

from sqlalchemy import distinct, func, select

from patchwork.archive.records import BYTES_PER_MB, StorageStatus
from patchwork.db import Database
from patchwork.db.models import StoredFile, Video


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
