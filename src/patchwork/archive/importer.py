"""Import yt-dlp output folders: metadata, the video, its thumbnail and captions.

yt-dlp leaves ``NAME.info.json`` beside ``NAME.webm`` (or mp4, mkv …), ``NAME.jpg`` (or webp,
png) and ``NAME.<lang>.vtt`` (or srv3, srt …). Every file is stored first, under the layout of
DESIGN.md; only then are the video's rows committed, in one transaction. A video whose file
cannot be stored is therefore never visible, and the objects already written are removed.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from patchwork.archive.ingest import (
    INFO_SUFFIX,
    IngestError,
    VideoMetadata,
    read_info_file,
    upsert_video,
)
from patchwork.db import Database
from patchwork.db.models import Caption, StoredFile
from patchwork.storage import Storage, StorageError, guess_content_type
from patchwork.storage.streams import HashingReader

VIDEO_EXTENSIONS = ("webm", "mp4", "mkv", "mov", "m4v", "flv", "avi", "ts", "m4a", "opus", "mp3")
THUMBNAIL_EXTENSIONS = ("jpg", "jpeg", "webp", "png")
CAPTION_EXTENSIONS = ("vtt", "srv3", "srv2", "srv1", "srt", "ttml", "ass", "json3")
# yt-dlp's own side files that share the name but are not captions.
NOT_CAPTIONS = ("live_chat", "rechat", "danmaku")


@dataclass
class Download:
    """One video's files as yt-dlp left them."""

    info: Path
    video: Path | None = None
    thumbnail: Path | None = None
    captions: list[tuple[str, str, Path]] = field(default_factory=list)  # language, format


@dataclass(frozen=True)
class StoredObject:
    kind: str
    key: str
    extension: str
    size: int
    sha256: str
    content_type: str
    language: str | None = None


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    failed: list[tuple[Path, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed


def video_key(video_id: str, extension: str) -> str:
    return f"video/{video_id}.{extension}"


def thumbnail_key(video_id: str, extension: str) -> str:
    return f"thumbnails/{video_id}.{extension}"


def metadata_key(video_id: str) -> str:
    return f"metadata/{video_id}.info.json"


def caption_key(video_id: str, language: str, extension: str) -> str:
    return f"captions/{video_id}/{video_id}.{language}.{extension}"


def find_downloads(paths: Iterable[Path]) -> Iterator[Download]:
    """Every ``*.info.json`` under the paths, with the files yt-dlp left beside it."""
    for path in paths:
        if path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs.sort()
                yield from _downloads_in(Path(root), sorted(files))
        else:
            siblings = sorted(p.name for p in path.parent.iterdir()) if path.parent.is_dir() else []
            for download in _downloads_in(path.parent, siblings):
                if download.info.name == path.name:
                    yield download


def _downloads_in(folder: Path, names: list[str]) -> Iterator[Download]:
    stems = {n[: -len(INFO_SUFFIX)]: Download(folder / n) for n in names if n.endswith(INFO_SUFFIX)}
    if not stems:
        return
    for name in names:
        if name.endswith(INFO_SUFFIX) or name.endswith(".part"):
            continue
        stem, _, rest = name.partition(".")
        # A stem may itself contain dots ("Song ft. X [id]"): try every split point.
        while stem not in stems and rest and "." in rest:
            head, _, rest = rest.partition(".")
            stem = f"{stem}.{head}"
        download = stems.get(stem)
        if download is None or not rest:
            continue
        _attach(download, folder / name, rest)
    yield from stems.values()


def _attach(download: Download, path: Path, rest: str) -> None:
    parts = rest.split(".")
    extension = parts[-1].lower()
    if len(parts) == 1:
        if extension in VIDEO_EXTENSIONS and download.video is None:
            download.video = path
        elif extension in THUMBNAIL_EXTENSIONS and download.thumbnail is None:
            download.thumbnail = path
    elif len(parts) == 2 and extension in CAPTION_EXTENSIONS:
        language = parts[0]
        if language not in NOT_CAPTIONS and 0 < len(language) <= 32:
            download.captions.append((language, extension, path))


def store_file(storage: Storage, kind: str, key: str, path: Path, **extra: str) -> StoredObject:
    extension = key.rsplit(".", 1)[-1].lower()
    content_type = guess_content_type(key)
    with path.open("rb") as handle:
        reader = HashingReader(handle)
        storage.write(key, reader, content_type=content_type)  # type: ignore[arg-type]
    return StoredObject(
        kind=kind,
        key=key,
        extension=extension,
        size=reader.size,
        sha256=reader.hexdigest(),
        content_type=content_type,
        language=extra.get("language"),
    )


def store_download(
    storage: Storage, download: Download, meta: VideoMetadata, *, require_video: bool
) -> list[StoredObject]:
    """Write a download's files to storage; on failure remove what was written and raise."""
    if download.video is None and require_video:
        raise IngestError("has no video file beside it")
    vid = meta.video_id
    plan: list[tuple[str, str, Path, dict[str, str]]] = [
        ("metadata", metadata_key(vid), download.info, {})
    ]
    if download.video is not None:
        ext = download.video.suffix[1:].lower()
        plan.append(("video", video_key(vid, ext), download.video, {}))
    if download.thumbnail is not None:
        ext = download.thumbnail.suffix[1:].lower().replace("jpeg", "jpg")
        plan.append(("thumbnail", thumbnail_key(vid, ext), download.thumbnail, {}))
    for language, fmt, path in download.captions:
        plan.append(("caption", caption_key(vid, language, fmt), path, {"language": language}))
    stored: list[StoredObject] = []
    try:
        for kind, key, path, extra in plan:
            stored.append(store_file(storage, kind, key, path, **extra))
    except (OSError, StorageError, ValueError) as exc:
        for obj in stored:
            storage.delete(obj.key)
        raise IngestError(f"could not store {plan[len(stored)][2].name}: {exc}") from None
    return stored


def record_files(session: Session, video_id: str, stored: list[StoredObject]) -> list[str]:
    """Point the video's ``files``/``captions`` rows at ``stored``; returns keys now unused."""
    old_keys = set(
        session.scalars(select(StoredFile.storage_key).where(StoredFile.video_id == video_id))
    )
    files = [o for o in stored if o.kind != "caption"]
    kinds = {o.kind for o in files}
    for row in session.scalars(select(StoredFile).where(StoredFile.video_id == video_id)):
        if row.kind in kinds:
            session.delete(row)
    session.flush()
    for obj in files:
        session.add(
            StoredFile(
                video_id=video_id,
                kind=obj.kind,
                storage_key=obj.key,
                extension=obj.extension,
                size_bytes=obj.size,
                sha256=obj.sha256,
                content_type=obj.content_type,
            )
        )
    captions = [o for o in stored if o.kind == "caption"]
    if captions:
        old_keys |= set(
            session.scalars(select(Caption.storage_key).where(Caption.video_id == video_id))
        )
        session.execute(delete(Caption).where(Caption.video_id == video_id))
        for obj in captions:
            session.add(
                Caption(
                    video_id=video_id,
                    language=obj.language or "und",
                    format=obj.extension,
                    storage_key=obj.key,
                    size_bytes=obj.size,
                    sha256=obj.sha256,
                )
            )
    return sorted(old_keys - {o.key for o in stored})


def import_downloads(
    db: Database,
    storage: Storage,
    downloads: Iterable[Download],
    *,
    require_video: bool = True,
    on_download: Callable[[Download], None] | None = None,
) -> ImportReport:
    """Import each download in its own transaction; a bad one is reported and skipped."""
    report = ImportReport()
    for download in downloads:
        try:
            created = _import_one(db, storage, download, require_video=require_video)
            report.created += created
            report.updated += not created
        except IngestError as exc:
            report.failed.append((download.info, str(exc)))
        if on_download is not None:
            on_download(download)
    return report


def _import_one(db: Database, storage: Storage, download: Download, *, require_video: bool) -> bool:
    meta = read_info_file(download.info)
    stored = store_download(storage, download, meta, require_video=require_video)
    with db.transaction() as session:
        _, created = upsert_video(session, meta)
        unused = record_files(session, meta.video_id, stored)
    # Only after the commit: a re-archive in another container (mp4 → webm) drops the old file.
    for key in unused:
        storage.delete(key)
    return created
