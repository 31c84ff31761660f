"""Object storage for the archive: a local directory or an S3 bucket behind one protocol."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

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
from .s3 import S3Storage

__all__ = [
    "CHUNK_SIZE",
    "InvalidKey",
    "LocalStorage",
    "ObjectInfo",
    "ObjectNotFound",
    "S3Storage",
    "Storage",
    "StorageError",
    "guess_content_type",
    "open_storage",
    "validate_key",
    "validate_prefix",
]


def open_storage(
    url: str, *, s3_endpoint_url: str | None = None, s3_region: str | None = None
) -> Storage:
    """Open ``file:///abs/path``, a plain filesystem path, or ``s3://bucket/optional/prefix``.

    S3 credentials are never part of the URL; boto3 reads them from the standard AWS
    environment variables and config files.
    """
    if not url:
        raise ValueError("storage URL is empty")
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "":
        return LocalStorage(Path(url))
    if scheme == "file":
        if parts.netloc not in ("", "localhost"):
            raise ValueError(
                f"file storage URL must be file:///absolute/path, got host {parts.netloc!r}"
            )
        if parts.query or parts.fragment:
            raise ValueError("file storage URL must not have a query or fragment")
        path = unquote(parts.path)
        if not path.startswith("/"):
            raise ValueError("file storage URL must hold an absolute path")
        return LocalStorage(Path(path))
    if scheme == "s3":
        # Only the scheme and bucket are echoed in errors: the rest might hold secrets.
        if "@" in parts.netloc:
            raise ValueError(
                "s3 storage URL must not contain credentials; use AWS_ACCESS_KEY_ID and "
                "AWS_SECRET_ACCESS_KEY"
            )
        bucket = parts.netloc
        if not bucket:
            raise ValueError("s3 storage URL must name a bucket: s3://bucket/optional/prefix")
        if parts.query or parts.fragment:
            raise ValueError("s3 storage URL must not have a query or fragment")
        prefix = unquote(parts.path).strip("/")
        if prefix:
            validate_prefix(prefix)
        return S3Storage(bucket, prefix, endpoint_url=s3_endpoint_url, region=s3_region)
    raise ValueError(
        f"unsupported storage URL scheme {parts.scheme!r}: use file:///path or s3://bucket/prefix"
    )
