"""Copiers of the tables beside the catalogue: files, views, kv.

Like :mod:`patchwork.legacy.copy`: each page is written in one batch, existing rows are
compared and only rewritten when something differs, rows the target cannot hold are skipped
with a reason.
"""

from __future__ import annotations

import math

from sqlalchemy import select

from patchwork.archive.ingest.video_files import KnownVideo, record_known_videos
from patchwork.archive.media.file_kinds import is_allowed
from patchwork.db.models import KeyValue, Video, ViewCount
from patchwork.legacy.report import ImportReport
from patchwork.legacy.source import LegacySource
from patchwork.legacy.writer import Progress, Writer

BYTES_PER_MIB = 1024 * 1024
# No single archived video is a pebibyte: a size_mb beyond this (or negative, NaN, infinite)
# is damage in the source row, not a size. BIGINT would hold it, the catalogue's sums would not.
MAX_PLAUSIBLE_BYTES = 1 << 50


def copy_files(source: LegacySource, writer: Writer, report: ImportReport, tick: Progress) -> None:
    rep = report.table("files")
    f = source.table("files")
    for page in source.pages(select(f.c.video_id, f.c.size_mb, f.c.extension), f.c.video_id):
        rep.read += len(page)
        with writer.batch() as session:
            ids = [vid for vid, _, _ in page]
            known = {
                vid: row
                for vid, row in session.execute(
                    select(Video.video_id, Video.id).where(Video.video_id.in_(ids))
                )
            }
            files: list[KnownVideo] = []
            for vid, size_mb, extension in page:
                ext = (extension or "").strip().lstrip(".").lower()
                if vid not in known:
                    rep.skip("video not in songs (deleted in the original)", vid)
                    continue
                if not ext:
                    rep.skip("no file: the original worker deleted it as too big (size 0)", vid)
                    continue
                if not is_allowed("video", ext):
                    # The extension becomes part of a storage key and of the served type.
                    rep.skip(f"extension {ext[:20]!r} is not a video container", vid, error=True)
                    continue
                size = _plausible_size(size_mb)
                if size is None:
                    rep.note("size_mb not plausible: copied as size unknown (storage scan)", vid)
                    size = 0
                files.append(KnownVideo(vid, ext, size))
            rep.written += record_known_videos(session, files)
        tick(len(page))


def _plausible_size(size_mb: object) -> int | None:
    """Bytes for the original's ``size_mb``; None when the row holds no believable size."""
    try:
        mib = float(size_mb or 0)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    if not math.isfinite(mib) or mib < 0 or mib * BYTES_PER_MIB > MAX_PLAUSIBLE_BYTES:
        return None
    return round(mib * BYTES_PER_MIB)


def copy_views(source: LegacySource, writer: Writer, report: ImportReport, tick: Progress) -> None:
    rep = report.table("views")
    v = source.table("views")
    for page in source.pages(select(v.c.video_id, v.c.view_count), v.c.video_id):
        rep.read += len(page)
        with writer.batch() as session:
            ids = [vid for vid, _ in page]
            known = {
                vid: row
                for vid, row in session.execute(
                    select(Video.video_id, Video.id).where(Video.video_id.in_(ids))
                )
            }
            counts = {
                v.video_id: v
                for v in session.scalars(select(ViewCount).where(ViewCount.video_id.in_(ids)))
            }
            for vid, count in page:
                if vid not in known:
                    rep.skip("video not in songs", vid)
                    continue
                row = counts.get(vid)
                if row is None:
                    session.add(
                        ViewCount(video_id=vid, count=max(0, int(count or 0)), video_row=known[vid])
                    )
                    rep.written += 1
                elif row.count < int(count or 0):
                    # Views counted by Patchwork since the switch-over are never taken back.
                    row.count = int(count or 0)
                    rep.written += 1
        tick(len(page))


def copy_kv(source: LegacySource, writer: Writer, report: ImportReport, tick: Progress) -> None:
    rep = report.table("kv")
    kv = source.table("kv")
    for page in source.pages(select(kv.c.data, kv.c.reference), kv.c.data):
        rep.read += len(page)
        with writer.batch() as session:
            rows = {
                r.key: r
                for r in session.scalars(
                    select(KeyValue).where(KeyValue.key.in_([k for k, _ in page]))
                )
            }
            for key, value in page:
                row = rows.get(key)
                if row is None:
                    session.add(KeyValue(key=key, value=value))
                    rep.written += 1
                elif row.value != value:
                    row.value = value
                    rep.written += 1
        tick(len(page))
