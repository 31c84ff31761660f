"""Import yt-dlp output folders: metadata, the video, its thumbnail and captions.

yt-dlp leaves ``NAME.info.json`` beside ``NAME.webm`` (or mp4, mkv …), ``NAME.jpg`` (or webp,
png) and ``NAME.<lang>.vtt`` (or srv3, srt …). Every file is stored first, under the layout of
:mod:`patchwork.archive.media.layout` under a fresh version; only then are the video's rows switched
to them, in one transaction, by the same writer a worker's completion uses
(:mod:`patchwork.archive.ingest.video_files`). A video whose file cannot be stored is therefore
never visible, the objects already written are removed, and a kind the download lacks (often the
thumbnail) keeps the archived one.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from patchwork.archive.ingest.info_json import (
    INFO_SUFFIX,
    IngestError,
    VideoMetadata,
    read_info_file,
    upsert_video,
)
from patchwork.archive.ingest.regular_files import (
    NotRegularFile,
    open_regular,
    why_not_regular,
)
from patchwork.archive.ingest.targets import TargetError, normalise_url
from patchwork.archive.ingest.video_files import (
    NewFile,
    delete_unreferenced,
    missing_objects,
    record_video_files,
    write_file,
)
from patchwork.archive.media import file_kinds
from patchwork.archive.media.layout import METADATA_EXT, import_version
from patchwork.db import Database
from patchwork.db.retry import retrying
from patchwork.storage import Storage, StorageError

# The upload allow-lists: a NAME.html or NAME.svg beside the metadata is never archived.
VIDEO_EXTENSIONS = file_kinds.VIDEO_EXTENSIONS
THUMBNAIL_EXTENSIONS = file_kinds.THUMBNAIL_EXTENSIONS
CAPTION_EXTENSIONS = file_kinds.CAPTION_EXTENSIONS
# yt-dlp's own side files that share the name but are not captions.
NOT_CAPTIONS = ("live_chat", "rechat", "danmaku")


@dataclass
class Download:
    """One video's files as yt-dlp left them."""

    info: Path
    video: Path | None = None
    thumbnail: Path | None = None
    captions: list[tuple[str, str, Path]] = field(default_factory=list)  # language, format
    # Files named like this download that are not regular files, and why: never read.
    left_out: list[tuple[Path, str]] = field(default_factory=list)


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    failed: list[tuple[Path, str]] = field(default_factory=list)
    left_out: list[tuple[Path, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed


def find_downloads(paths: Iterable[Path]) -> Iterator[Download]:
    """Every ``*.info.json`` under the paths, with the files yt-dlp left beside it.

    Only regular files are taken: a symbolic link (``NAME.webm -> /etc/passwd``), a FIFO or
    a device beside the metadata is left out, and symlinked folders are not entered, so an
    import reads nothing outside the folders it was given and never blocks on a pipe.
    """
    for path in paths:
        if path.is_dir():
            for root, dirs, files in os.walk(path, followlinks=False):
                dirs.sort()
                yield from _downloads_in(Path(root), sorted(files))
        else:
            siblings = sorted(p.name for p in path.parent.iterdir()) if path.parent.is_dir() else []
            for download in _downloads_in(path.parent, siblings):
                if download.info.name == path.name:
                    yield download


def _downloads_in(folder: Path, names: list[str]) -> Iterator[Download]:
    # Every .info.json is yielded, regular or not: read_info_file refuses a bad one by name.
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
        reason = why_not_regular(folder / name)
        if reason is not None:
            download.left_out.append((folder / name, f"{reason}, not a regular file: not read"))
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


def open_regular_file(path: Path) -> BinaryIO:
    """``path`` opened for reading; IngestError if it is not (or no longer) a regular file.

    Discovery already left out links, FIFOs and devices, but the name can be swapped
    between discovery and storing, so the open itself refuses them too.
    """
    try:
        return open_regular(path)
    except NotRegularFile as exc:
        raise IngestError(f"{path.name} {exc.strerror or 'is not a regular file'}") from None
    except OSError as exc:
        raise IngestError(f"{path.name} cannot be read: {exc.strerror or exc}") from None


def store_download(
    storage: Storage, download: Download, meta: VideoMetadata, *, require_video: bool
) -> list[NewFile]:
    """Write a download's files under a fresh version; on failure remove them and raise."""
    if download.video is None and require_video:
        raise IngestError("has no video file beside it")
    plan: list[tuple[str, str, Path]] = [("metadata", METADATA_EXT, download.info)]
    if download.video is not None:
        plan.append(("video", download.video.suffix[1:].lower(), download.video))
    if download.thumbnail is not None:
        ext = download.thumbnail.suffix[1:].lower().replace("jpeg", "jpg")
        plan.append(("thumbnail", ext, download.thumbnail))
    for language, fmt, path in download.captions:
        plan.append((f"captions/{language}", fmt, path))
    version = import_version()
    stored: list[NewFile] = []
    try:
        for kind, ext, path in plan:
            # A file swapped for a link or FIFO since discovery is refused here, not read.
            with open_regular_file(path) as handle:
                stored.append(write_file(storage, kind, ext, meta.video_id, version, handle))
    except (OSError, StorageError, ValueError) as exc:
        for item in stored:
            storage.delete(item.key)
        raise IngestError(f"could not store {plan[len(stored)][2].name}: {exc}") from None
    return stored


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
        report.left_out.extend(download.left_out)
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
    superseded: set[str] = set()

    def commit() -> bool:
        with db.transaction() as session:
            _, created = upsert_video(session, meta, source_target=_target_of(meta))
            if missing_objects(storage, stored):
                # Under the video's row lock: a delete swept the objects just stored.
                raise IngestError("was deleted while it was imported; import it again")
            superseded.clear()
            superseded.update(record_video_files(session, meta.video_id, stored))
            return created

    try:
        created = retrying(commit, duplicates=True)
    except BaseException:
        delete_unreferenced(db, storage, meta.video_id, {item.key for item in stored})
        raise
    # Only after the commit: a re-download in another container (mp4 -> webm) drops the
    # old file; kinds this download lacks keep theirs.
    delete_unreferenced(db, storage, meta.video_id, superseded)
    return created


def _target_of(meta: VideoMetadata) -> str | None:
    """The queue target of the video's page, which pins its identity (decision 0007)."""
    if not meta.source_url:
        return None
    try:
        return normalise_url(meta.source_url).key
    except TargetError:
        return None
