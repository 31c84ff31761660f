"""``patchwork storage scan``: what is really in storage, recorded and checked.

The walk lists storage once, in pages of objects. Each object is matched to its video by its
key (docs/design.md layout; an original bucket appears in that layout through
:mod:`patchwork.storage.legacy_layout`): exact sizes replace the original's approximate
``size_mb``, thumbnails, metadata and captions the original never recorded get rows, channel
images set the channel's flags, and with ``hash_files`` every file's SHA-256 is recorded —
or, when one was recorded before and differs now, the file is reported damaged (fixity).

Memory stays bounded: one page of objects at a time, a bitmap of the row ids seen (one bit
per row) to find rows whose object is missing, and at most :data:`MAX_LISTED` names per list.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from patchwork.archive.media.layout import HISTORY_FOLDER, parse_key
from patchwork.db import Database
from patchwork.db.models import Caption, Channel, StoredFile, Video
from patchwork.storage import ObjectInfo, Storage, StorageError, guess_content_type

MAX_LISTED = 100
PAGE = 500


@dataclass
class Listed:
    """A count and the first :data:`MAX_LISTED` names."""

    count: int = 0
    names: list[str] = field(default_factory=list)

    def add(self, name: str) -> None:
        self.count += 1
        if len(self.names) < MAX_LISTED:
            self.names.append(name)


@dataclass
class ScanReport:
    objects: int = 0
    recorded: int = 0  # new rows for objects the database did not know
    updated: int = 0  # exact size, content type or first hash recorded
    hashed: int = 0
    damaged: Listed = field(default_factory=Listed)  # "key: reason"
    missing: Listed = field(default_factory=Listed)  # rows whose object is gone
    orphans: Listed = field(default_factory=Listed)  # objects of no known video
    unknown: Listed = field(default_factory=Listed)  # keys outside the layout
    videos_without_file: Listed = field(default_factory=Listed)

    @property
    def ok(self) -> bool:
        return not (self.damaged.count or self.missing.count)


class _Seen:
    """One bit per row id: which rows had their object listed."""

    def __init__(self) -> None:
        self.bits = bytearray()

    def add(self, row_id: int) -> None:
        index = row_id >> 3
        if index >= len(self.bits):
            self.bits.extend(bytes(index - len(self.bits) + 1 + len(self.bits) // 2))
        self.bits[index] |= 1 << (row_id & 7)

    def __contains__(self, row_id: int) -> bool:
        index = row_id >> 3
        return index < len(self.bits) and bool(self.bits[index] & (1 << (row_id & 7)))


def sha256_of(storage: Storage, key: str) -> str:
    digest = hashlib.sha256()
    for chunk in storage.iter_object(key):
        digest.update(chunk)
    return digest.hexdigest()


def scan_storage(
    db: Database,
    storage: Storage,
    *,
    hash_files: bool = False,
    progress: Callable[[int], None] | None = None,
) -> ScanReport:
    report = ScanReport()
    seen_files, seen_captions = _Seen(), _Seen()
    for page in _pages(storage.list("")):
        with db.transaction() as session:
            _scan_page(session, storage, page, report, hash_files, seen_files, seen_captions)
        if progress:
            progress(len(page))
    _find_missing(db, report, seen_files, seen_captions)
    return report


def _pages(objects: Iterator[ObjectInfo]) -> Iterator[list[ObjectInfo]]:
    page: list[ObjectInfo] = []
    for info in objects:
        page.append(info)
        if len(page) >= PAGE:
            yield page
            page = []
    if page:
        yield page


def _scan_page(
    session: Session,
    storage: Storage,
    page: list[ObjectInfo],
    report: ScanReport,
    hash_files: bool,
    seen_files: _Seen,
    seen_captions: _Seen,
) -> None:
    parsed = [(info, parse_key(info.key)) for info in page]
    owners = {p.owner for _, p in parsed if p is not None}
    videos = set(session.scalars(select(Video.video_id).where(Video.video_id.in_(owners))))
    files = {
        (f.video_id, f.kind): f
        for f in session.scalars(select(StoredFile).where(StoredFile.video_id.in_(videos)))
    }
    captions = {
        (c.video_id, c.language, c.format): c
        for c in session.scalars(select(Caption).where(Caption.video_id.in_(videos)))
    }
    referenced = {f.storage_key for f in files.values()} | {
        c.storage_key for c in captions.values()
    }
    new_files: list[StoredFile] = []
    new_captions: list[Caption] = []
    for info, p in parsed:
        report.objects += 1
        if info.key.startswith(f"{HISTORY_FOLDER}/"):
            continue  # metadata versions: their rows point at them, no file row adopts them
        if p is None:
            report.unknown.add(info.key)
            continue
        if p.kind in ("avatar", "banner"):
            flag = Channel.has_avatar if p.kind == "avatar" else Channel.has_banner
            session.execute(
                update(Channel)
                .where(Channel.channel_id == p.owner, flag.is_(False))
                .values({flag: True})
            )
            continue
        if p.owner not in videos:
            report.orphans.add(info.key)
            continue
        if p.version is not None and info.key not in referenced:
            # Written by an import or completion that never committed (or superseded and
            # not yet deleted): adopting it would switch the served file behind its back.
            report.orphans.add(info.key)
            continue
        digest = _hash(storage, info.key, report) if hash_files else None
        if p.kind == "caption":
            row: Any = captions.get((p.owner, p.language, p.format))
            if row is None:
                new_captions.append(
                    Caption(
                        video_id=p.owner,
                        language=p.language,
                        format=p.format,
                        storage_key=info.key,
                        size_bytes=info.size,
                        sha256=digest,
                    )
                )
                report.recorded += 1
                continue
            seen_captions.add(row.id)
        else:
            row = files.get((p.owner, p.kind))
            if row is None:
                new_files.append(
                    StoredFile(
                        video_id=p.owner,
                        kind=p.kind,
                        storage_key=info.key,
                        extension=info.key.rsplit(".", 1)[-1].lower(),
                        size_bytes=info.size,
                        size_is_approximate=False,
                        sha256=digest,
                        content_type=info.content_type or guess_content_type(info.key),
                    )
                )
                report.recorded += 1
                continue
            if row.storage_key != info.key:
                report.unknown.add(f"{info.key} (the row points at {row.storage_key})")
                continue
            seen_files.add(row.id)
        _check_row(row, info, digest, report)
    session.add_all([*new_files, *new_captions])
    session.flush()
    for new_file in new_files:
        seen_files.add(new_file.id)
    for new_caption in new_captions:
        seen_captions.add(new_caption.id)


def _hash(storage: Storage, key: str, report: ScanReport) -> str | None:
    try:
        digest = sha256_of(storage, key)
    except StorageError as exc:
        report.damaged.add(f"{key}: unreadable ({exc})")
        return None
    report.hashed += 1
    return digest


def _check_row(row: Any, info: ObjectInfo, digest: str | None, report: ScanReport) -> None:
    """Compare what is recorded with what is stored; record what was not known yet."""
    changed = False
    approximate = getattr(row, "size_is_approximate", False)
    if row.size_bytes != info.size:
        if not approximate and not (row.sha256 is None and row.size_bytes == 0):
            report.damaged.add(f"{info.key}: size {info.size}, recorded {row.size_bytes}")
            return
        row.size_bytes = info.size  # the original's rounded size_mb, now exact
        changed = True
    if approximate:
        row.size_is_approximate = False
        changed = True
    if digest is not None:
        if row.sha256 is None:
            row.sha256 = digest
            changed = True
        elif row.sha256 != digest:
            # The recorded hash is kept: the file stays reported until it is restored.
            report.damaged.add(f"{info.key}: sha256 changed since it was recorded")
            return
    if hasattr(row, "content_type") and row.content_type is None:
        row.content_type = guess_content_type(info.key)
        changed = True
    if changed:
        report.updated += 1


def _find_missing(db: Database, report: ScanReport, files: _Seen, captions: _Seen) -> None:
    for model, seen in ((StoredFile, files), (Caption, captions)):
        last = 0
        while True:
            with db.reading() as session:
                rows = session.execute(
                    select(model.id, model.storage_key)
                    .where(model.id > last)
                    .order_by(model.id)
                    .limit(5000)
                ).all()
            for row_id, key in rows:
                if row_id not in seen:
                    report.missing.add(key)
            if len(rows) < 5000:
                break
            last = rows[-1][0]
    last_id = 0
    while True:
        with db.reading() as session:
            rows = session.execute(
                select(Video.id, Video.video_id)
                .outerjoin(
                    StoredFile,
                    (StoredFile.video_id == Video.video_id) & (StoredFile.kind == "video"),
                )
                .where(StoredFile.id.is_(None), Video.id > last_id)
                .order_by(Video.id)
                .limit(5000)
            ).all()
        for _, video_id in rows:
            report.videos_without_file.add(video_id)
        if len(rows) < 5000:
            break
        last_id = rows[-1][0]
