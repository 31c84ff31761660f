"""Serving an original Patchwork bucket in place: Patchwork's keys mapped onto its layout.

The original's rclone targets (docs/api-contract.md §7) put videos at ``<prefix>/{id}.{ext}``,
thumbnails, metadata and captions under ``thumbnails/``, ``metadata/`` and ``captions/`` of
another prefix (often another bucket), and channel images at ``{channel_id}_pfp.jpg`` and
``{channel_id}_banner.jpg``. :class:`LegacyLayoutStorage` is a :class:`Storage` that keeps
Patchwork's own keys (docs/design.md) everywhere else — database rows, the media endpoints, the
scan — and translates them here only, so nothing is copied and ``storage migrate`` can later
move objects into Patchwork's layout without touching a row.

Settings (declared and checked in :mod:`patchwork.config`):

``PATCHWORK_STORAGE_LAYOUT``         ``patchwork`` (default) or ``legacy``
``PATCHWORK_LEGACY_VIDEO_URL``       where ``{id}.webm|mp4`` live (default: the storage URL)
``PATCHWORK_LEGACY_CONTENT_URL``     holds ``thumbnails/``, ``metadata/``, ``captions/``
                                     (default: the video URL)
``PATCHWORK_LEGACY_CHANNEL_IMAGES_URL``  holds ``{channel_id}_pfp.jpg`` / ``_banner.jpg``
                                     (default: the content URL)
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import BinaryIO

from patchwork.config import ConfigError, Settings
from patchwork.storage import (
    CHUNK_SIZE,
    InvalidKey,
    ObjectInfo,
    Storage,
    open_storage,
    validate_prefix,
)
from patchwork.storage.base import SweepsTempFiles

CONTENT_PREFIXES = ("thumbnails/", "metadata/", "captions/")
CHANNEL_IMAGES = {"avatar.jpg": "_pfp.jpg", "banner.jpg": "_banner.jpg"}


class LegacyLayoutStorage:
    """Routes each Patchwork key to the storage and key where the original put it."""

    def __init__(
        self, videos: Storage, content: Storage, channel_images: Storage, fallback: Storage
    ) -> None:
        self.videos = videos
        self.content = content
        self.channel_images = channel_images
        self.fallback = fallback

    # ---- the mapping ----------------------------------------------------------------------

    def route(self, key: str) -> tuple[Storage, str]:
        head, _, rest = key.partition("/")
        if head == "video" and rest and "/" not in rest:
            return self.videos, rest
        if key.startswith(CONTENT_PREFIXES):
            return self.content, key
        if head == "channels":
            channel_id, _, image = rest.rpartition("/")
            suffix = CHANNEL_IMAGES.get(image)
            if channel_id and "/" not in channel_id and suffix:
                return self.channel_images, f"{channel_id}{suffix}"
        return self.fallback, key

    def _mounts(self, prefix: str) -> Iterator[tuple[Storage, str, str]]:
        """(storage, prefix to list it with, Patchwork prefix) of mounts ``prefix`` touches."""
        mounts = [
            (self.videos, "video/"),
            *((self.content, p) for p in CONTENT_PREFIXES),
            (self.channel_images, "channels/"),
        ]
        for storage, mapped in mounts:
            if mapped.startswith(prefix):
                native = mapped if mapped in CONTENT_PREFIXES else ""
            elif prefix.startswith(mapped):
                if mapped in CONTENT_PREFIXES:
                    native = prefix  # the same key on the content storage
                elif mapped == "video/":
                    native = prefix[len(mapped) :]
                else:
                    native = ""  # channel images: picked out by claim()
            else:
                continue
            yield storage, native, mapped

    def claim(self, storage: Storage, native_key: str) -> str | None:
        """The one Patchwork key an object of ``storage`` is listed under, or ``None``.

        By default every mount and the fallback are one storage, where ``{id}.webm`` is both
        the video ``video/{id}.webm`` and the fallback key ``{id}.webm``: each object goes
        to the first mount on that storage that maps a key onto it (content, channel images,
        videos; a ``.jpg`` is never a video), else to the fallback if the fallback is where
        its own key routes, so nothing is listed twice and every listed key routes back to
        the object.
        """
        if storage is self.content and native_key.startswith(CONTENT_PREFIXES):
            return native_key
        if storage is self.channel_images:
            for image, suffix in CHANNEL_IMAGES.items():
                channel_id = native_key.removesuffix(suffix)
                if native_key.endswith(suffix) and channel_id and "/" not in channel_id:
                    return f"channels/{channel_id}/{image}"
        if storage is self.videos and native_key and "/" not in native_key:
            return f"video/{native_key}"
        if storage is self.fallback and self.route(native_key) == (storage, native_key):
            return native_key
        return None

    def _listings(self, prefix: str) -> list[tuple[Storage, list[str]]]:
        """Each storage ``prefix`` reaches, once, with the native prefixes to list it with
        (none inside another, so no object is listed twice)."""
        wanted: dict[int, tuple[Storage, set[str]]] = {}
        for storage, native, _ in self._mounts(prefix):
            wanted.setdefault(id(storage), (storage, set()))[1].add(native)
        wanted.setdefault(id(self.fallback), (self.fallback, set()))[1].add(prefix)
        listings = []
        for storage, natives in wanted.values():
            kept: list[str] = []
            for native in sorted(natives):  # a prefix sorts before every longer one
                if not any(native.startswith(k) for k in kept):
                    kept.append(native)
            listings.append((storage, kept))
        return listings

    # ---- Storage protocol -----------------------------------------------------------------

    def stat(self, key: str) -> ObjectInfo | None:
        storage, native = self.route(key)
        info = storage.stat(native)
        return replace(info, key=key) if info is not None else None

    def exists(self, key: str) -> bool:
        storage, native = self.route(key)
        return storage.exists(native)

    def read_range(
        self, key: str, start: int, end: int, *, chunk_size: int = CHUNK_SIZE
    ) -> Iterator[bytes]:
        storage, native = self.route(key)
        return storage.read_range(native, start, end, chunk_size=chunk_size)

    def iter_object(self, key: str, chunk_size: int = CHUNK_SIZE) -> Iterator[bytes]:
        storage, native = self.route(key)
        return storage.iter_object(native, chunk_size)

    def write(self, key: str, stream: BinaryIO, *, content_type: str | None = None) -> ObjectInfo:
        storage, native = self.route(key)
        return replace(storage.write(native, stream, content_type=content_type), key=key)

    def write_bytes(self, key: str, data: bytes, *, content_type: str | None = None) -> ObjectInfo:
        storage, native = self.route(key)
        return replace(storage.write_bytes(native, data, content_type=content_type), key=key)

    def delete(self, key: str) -> None:
        storage, native = self.route(key)
        storage.delete(native)

    def delete_prefix(self, prefix: str) -> int:
        validate_prefix(prefix)
        if not prefix:
            raise InvalidKey("refusing to delete with an empty prefix (the whole archive)")
        keys = [info.key for info in self.list(prefix)]
        for key in keys:
            self.delete(key)
        return len(keys)

    def list(self, prefix: str = "") -> Iterator[ObjectInfo]:
        """Objects whose Patchwork key starts with ``prefix``, each once (see :meth:`claim`).

        The fallback (where uploads are staged) is listed too when it is one storage with a
        mount, the default.
        """
        validate_prefix(prefix)
        for storage, natives in self._listings(prefix):
            for native in natives:
                for info in storage.list(native):
                    key = self.claim(storage, info.key)
                    if key is not None and key.startswith(prefix):
                        yield info if key == info.key else replace(info, key=key)

    def remove_temp_files(self, prefix: str, older_than_seconds: float) -> int:
        """Temp files of dead writes under ``prefix``, on each storage it reaches."""
        removed = 0
        for storage, natives in self._listings(prefix):
            if isinstance(storage, SweepsTempFiles):
                for native in natives:
                    removed += storage.remove_temp_files(native, older_than_seconds)
        return removed

    def direct_url(self, key: str, *, expires_seconds: int = 3600) -> str | None:
        storage, native = self.route(key)
        return storage.direct_url(native, expires_seconds=expires_seconds)

    def local_path(self, key: str) -> Path | None:
        storage, native = self.route(key)
        return storage.local_path(native)

    def check(self) -> None:
        for storage in {id(s): s for s in self._all()}.values():
            storage.check()

    def describe(self) -> str:
        return (
            f"original layout: videos {self.videos.describe()}, content "
            f"{self.content.describe()}, channel images {self.channel_images.describe()}"
        )

    def _all(self) -> tuple[Storage, ...]:
        return (self.videos, self.content, self.channel_images, self.fallback)


def open_archive_storage(settings: Settings) -> Storage:
    """The archive's storage as configured, in Patchwork's layout or the original's."""
    options = {"s3_endpoint_url": settings.s3_endpoint_url, "s3_region": settings.s3_region}
    main = open_storage(settings.storage_url, **options)
    if settings.storage_layout == "patchwork":
        return main
    urls: dict[str, str] = {}
    previous = settings.storage_url
    for name, url in (
        ("VIDEO", settings.legacy_video_url),
        ("CONTENT", settings.legacy_content_url),
        ("CHANNEL_IMAGES", settings.legacy_channel_images_url),
    ):
        urls[name] = url or previous
        previous = urls[name]
    opened: dict[str, Storage] = {settings.storage_url: main}
    for name, url in urls.items():
        if url not in opened:
            try:
                opened[url] = open_storage(url, **options)
            except ValueError as exc:
                raise ConfigError(f"PATCHWORK_LEGACY_{name}_URL: {exc}") from None
    return LegacyLayoutStorage(
        opened[urls["VIDEO"]], opened[urls["CONTENT"]], opened[urls["CHANNEL_IMAGES"]], main
    )
