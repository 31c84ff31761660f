"""Object storage for the archive behind one protocol: a local directory, an S3 bucket, or
any backend installed in the entry-point group ``patchwork.storage_backends``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from .backends import (
    StorageFactory,
    StorageOptions,
    UnknownStorageScheme,
    installed_backends,
    storage_backend,
)
from .base import (
    CHUNK_SIZE,
    InvalidKey,
    ObjectInfo,
    ObjectNotFound,
    Storage,
    StorageError,
    validate_key,
    validate_prefix,
)
from .content_types import guess_content_type
from .local import LocalStorage

if TYPE_CHECKING:
    from .s3 import S3Storage


def __getattr__(name: str) -> Any:
    # boto3 and botocore cost every server process ~20 MB and a tenth of a second to import:
    # only an archive on S3 pays for them, when its storage is opened (by entry point).
    if name == "S3Storage":
        from .s3 import S3Storage

        return S3Storage
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "CHUNK_SIZE",
    "InvalidKey",
    "LocalStorage",
    "ObjectInfo",
    "ObjectNotFound",
    "S3Storage",
    "Storage",
    "StorageError",
    "StorageFactory",
    "StorageOptions",
    "UnknownStorageScheme",
    "guess_content_type",
    "installed_backends",
    "open_storage",
    "storage_backend",
    "validate_key",
    "validate_prefix",
]


def open_storage(
    url: str,
    *,
    s3_endpoint_url: str | None = None,
    s3_region: str | None = None,
) -> Storage:
    """Open a storage URL (``file:///abs/path``, ``s3://bucket/optional/prefix``, any installed
    backend's scheme) or a plain filesystem path.

    The URL's scheme picks the backend (:func:`storage_backend`); an unknown one is an
    :class:`UnknownStorageScheme` (a ConfigError naming PATCHWORK_STORAGE_URL, and a
    ValueError). A malformed URL of a known scheme is a ValueError. S3 credentials are
    never part of the URL; boto3 reads them from the standard AWS environment variables and
    config files.
    """
    if not url:
        raise ValueError("storage URL is empty")
    parts = urlsplit(url)
    if parts.scheme == "":
        # A path, not a URL: taken as it is (no percent-decoding, '#' and '?' are characters).
        return LocalStorage(Path(url))
    factory = storage_backend(parts.scheme)
    return factory(parts, StorageOptions(s3_endpoint_url=s3_endpoint_url, s3_region=s3_region))
