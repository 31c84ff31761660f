"""S3 backend (AWS, MinIO, R2, B2 or any S3-compatible service) through boto3."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, cast
from urllib.parse import SplitResult, unquote, urlsplit, urlunsplit

import boto3
from boto3.exceptions import Boto3Error
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    IncompleteReadError,
    ReadTimeoutError,
    ResponseStreamingError,
)

from .backends import StorageOptions
from .base import (
    CHUNK_SIZE,
    InvalidKey,
    ObjectInfo,
    ObjectNotFound,
    StorageError,
    check_range,
    validate_key,
    validate_prefix,
)
from .content_types import guess_content_type
from .streams import ChainedReader, read_up_to

if TYPE_CHECKING:
    from botocore.response import StreamingBody
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import ObjectIdentifierTypeDef

MiB = 1024 * 1024
_NOT_FOUND = {"404", "NoSuchKey", "NotFound"}
_MAX_PRESIGN_SECONDS = 7 * 24 * 3600  # SigV4 limit
_READ_RETRIES = 2
_STREAM_ERRORS = (ReadTimeoutError, ResponseStreamingError, IncompleteReadError)


def make_client(endpoint_url: str | None = None, region: str | None = None) -> S3Client:
    """An S3 client; credentials come from the standard AWS environment/config chain."""
    options: dict[str, Any] = {
        "retries": {"max_attempts": 5, "mode": "standard"},
        "signature_version": "s3v4",
    }
    if endpoint_url:
        # MinIO, moto and most self-hosted services have no per-bucket DNS names.
        options["s3"] = {"addressing_style": "path"}
        # botocore >= 1.36 sends CRC checksums with a streaming trailer by default, which
        # several S3-compatible services reject; only checksum when the API demands it.
        if "request_checksum_calculation" in Config.OPTION_DEFAULTS:  # botocore >= 1.36
            options["request_checksum_calculation"] = "when_required"
            options["response_checksum_validation"] = "when_required"
    # A private session: boto3's default session is not safe to share between threads.
    session = boto3.session.Session()
    return session.client(
        "s3", endpoint_url=endpoint_url, region_name=region, config=Config(**options)
    )


class S3Storage:
    """Objects under ``prefix`` in an S3 bucket."""

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        *,
        client: S3Client | None = None,
        endpoint_url: str | None = None,
        region: str | None = None,
        multipart_threshold: int = 16 * MiB,
        multipart_chunksize: int = 16 * MiB,
        max_concurrency: int = 4,
        list_page_size: int = 1000,
    ) -> None:
        if not bucket or "/" in bucket:
            raise ValueError(f"invalid bucket name: {bucket!r}")
        if multipart_chunksize < 5 * MiB:
            raise ValueError("S3 multipart parts must be at least 5 MiB")
        prefix = prefix.strip("/")
        if prefix:
            validate_key(prefix)
            prefix += "/"
        self.bucket = bucket
        self.prefix = prefix
        self._client = client if client is not None else make_client(endpoint_url, region)
        self._endpoint_url = endpoint_url
        self._threshold = multipart_threshold
        self._page_size = list_page_size
        # 16 MiB parts allow objects up to ~156 GiB (10,000 parts).  The caller's stream is
        # not seekable, so s3transfer buffers parts in memory: cap them so one upload
        # holds at most ~100 MiB.
        self._transfer_config = TransferConfig(
            multipart_threshold=multipart_threshold,
            multipart_chunksize=multipart_chunksize,
            max_concurrency=max_concurrency,
            # CRT (when awscrt is installed) handles unseekable streams differently;
            # the classic manager's behaviour is the one tested here.
            preferred_transfer_client="classic",
        )
        self._transfer_config.max_in_memory_upload_chunks = max_concurrency + 2

    @property
    def client(self) -> S3Client:
        return self._client

    def __repr__(self) -> str:
        return f"S3Storage({self.describe()!r})"

    def _full(self, key: str) -> str:
        return self.prefix + validate_key(key)

    def _error(self, exc: Exception, action: str, key: str | None) -> StorageError:
        where = f"s3://{self.bucket}/{self.prefix}{key or ''}"
        if isinstance(exc, ClientError):
            code = _code(exc)
            if key is not None and code in _NOT_FOUND:
                return ObjectNotFound(key)
            if code == "NoSuchBucket" or (key is None and code in _NOT_FOUND):
                return StorageError(f"bucket {self.bucket!r} does not exist")
        # ClientError's text already names the operation, error code and message.
        return StorageError(f"cannot {action} {where}: {exc}")

    @contextlib.contextmanager
    def _errors(self, action: str, key: str | None) -> Iterator[None]:
        """Translate boto3/botocore failures; anything else (the caller's stream) passes."""
        try:
            yield
        except (ClientError, BotoCoreError, Boto3Error) as exc:
            raise self._error(exc, action, key) from exc

    # -- reading --------------------------------------------------------------------

    def stat(self, key: str) -> ObjectInfo | None:
        full = self._full(key)
        try:
            with self._errors("stat", key):
                head = self._client.head_object(Bucket=self.bucket, Key=full)
        except ObjectNotFound:
            return None
        return ObjectInfo(
            key=key,
            size=head["ContentLength"],
            modified=_utc(head["LastModified"]),
            etag=head["ETag"].strip('"'),
            content_type=head.get("ContentType"),
        )

    def exists(self, key: str) -> bool:
        return self.stat(key) is not None

    def _get(self, key: str, range_: str | None, if_match: str | None) -> Any:
        extra: dict[str, Any] = {}
        if range_ is not None:
            extra["Range"] = range_
        if if_match is not None:
            extra["IfMatch"] = f'"{if_match}"'
        full = self._full(key)
        with self._errors("read", key):
            try:
                return self._client.get_object(Bucket=self.bucket, Key=full, **extra)
            except ClientError as exc:
                if _code(exc) == "InvalidRange":
                    raise ValueError(f"range {range_} not satisfiable for {key!r}") from exc
                raise

    def read_range(
        self, key: str, start: int, end: int, *, chunk_size: int = CHUNK_SIZE
    ) -> Iterator[bytes]:
        check_range(start, end)
        # S3 clamps an end beyond the object, as HTTP does; the body is still streamed.
        response = self._get(key, f"bytes={start}-{end}", None)
        return self._stream(key, response, start, chunk_size)

    def iter_object(self, key: str, chunk_size: int = CHUNK_SIZE) -> Iterator[bytes]:
        return self._stream(key, self._get(key, None, None), 0, chunk_size)

    def _stream(self, key: str, response: Any, pos: int, chunk_size: int) -> Iterator[bytes]:
        """Yield the body; on a dropped connection resume where it broke.

        A multi-GB video streamed to a viewer should survive a transient network error
        between us and S3; If-Match makes sure the resumed bytes belong to the same object.
        """
        body: StreamingBody = response["Body"]
        etag = str(response.get("ETag", "")).strip('"') or None
        last = pos + int(response["ContentLength"]) - 1  # inclusive
        retries = 0
        try:
            while True:
                try:
                    for chunk in body.iter_chunks(chunk_size):
                        pos += len(chunk)
                        yield chunk
                    return
                except _STREAM_ERRORS as exc:
                    retries += 1
                    if retries > _READ_RETRIES or pos > last:
                        raise self._error(exc, "read", key) from exc
                    body.close()
                    body = self._get(key, f"bytes={pos}-{last}", etag)["Body"]
        finally:
            body.close()

    # -- writing --------------------------------------------------------------------

    def write(self, key: str, stream: BinaryIO, *, content_type: str | None = None) -> ObjectInfo:
        full = self._full(key)
        ctype = content_type or guess_content_type(key)
        head = read_up_to(stream, self._threshold)
        with self._errors("write", key):
            if len(head) < self._threshold:
                # Small objects (captions, thumbnails, metadata): one request, no threads.
                self._client.put_object(Bucket=self.bucket, Key=full, Body=head, ContentType=ctype)
            else:
                # The managed transfer aborts the multipart upload if anything fails,
                # including the caller's stream raising, so no partial object appears.
                reader = ChainedReader(head, stream)
                del head  # the reader drops its copy once consumed; so must we
                self._client.upload_fileobj(
                    cast("BinaryIO", reader),  # it only needs read/readable/seekable
                    self.bucket,
                    full,
                    ExtraArgs={"ContentType": ctype},
                    Config=self._transfer_config,
                )
        info = self.stat(key)
        if info is None:
            raise StorageError(f"{key!r} missing right after it was written")
        return info

    def write_bytes(self, key: str, data: bytes, *, content_type: str | None = None) -> ObjectInfo:
        return self.write(key, io.BytesIO(data), content_type=content_type)

    # -- deleting -------------------------------------------------------------------

    def delete(self, key: str) -> None:
        full = self._full(key)
        # S3 answers 204 for a missing key, but not every compatible service does.
        with contextlib.suppress(ObjectNotFound), self._errors("delete", key):
            self._client.delete_object(Bucket=self.bucket, Key=full)

    def delete_prefix(self, prefix: str) -> int:
        validate_prefix(prefix)
        if not prefix:
            raise InvalidKey("refusing to delete with an empty prefix (the whole archive)")
        count = 0
        # Raw keys, not list(): folder markers and oddly named objects go too.
        for page in self._pages(prefix):
            objects: list[ObjectIdentifierTypeDef] = [
                {"Key": obj["Key"]} for obj in page.get("Contents", [])
            ]
            if not objects:
                continue
            with self._errors("delete", prefix):
                result = self._client.delete_objects(
                    Bucket=self.bucket, Delete={"Objects": objects, "Quiet": True}
                )
            errors = result.get("Errors", [])
            if errors:
                first = errors[0]
                raise StorageError(
                    f"cannot delete {len(errors)} objects under {prefix!r}, e.g. "
                    f"{first.get('Key')!r}: {first.get('Code')} {first.get('Message')}"
                )
            count += len(objects)
        return count

    # -- listing --------------------------------------------------------------------

    def _pages(self, prefix: str) -> Iterator[Any]:
        paginator = self._client.get_paginator("list_objects_v2")
        pages = paginator.paginate(
            Bucket=self.bucket,
            Prefix=self.prefix + prefix,
            PaginationConfig={"PageSize": self._page_size},
        )
        with self._errors("list", prefix):
            yield from pages

    def list(self, prefix: str = "") -> Iterator[ObjectInfo]:
        validate_prefix(prefix)
        strip = len(self.prefix)
        for page in self._pages(prefix):
            for obj in page.get("Contents", []):
                key = obj["Key"][strip:]
                try:
                    validate_key(key)
                except InvalidKey:
                    continue  # "folder/" markers made by consoles, foreign junk
                yield ObjectInfo(
                    key=key,
                    size=obj["Size"],
                    modified=_utc(obj["LastModified"]),
                    etag=obj["ETag"].strip('"'),
                    content_type=None,  # would cost a HEAD per object
                )

    # -- URLs and health ----------------------------------------------------------------

    def direct_url(self, key: str, *, expires_seconds: int = 3600) -> str:
        if not 1 <= expires_seconds <= _MAX_PRESIGN_SECONDS:
            raise ValueError(f"expires_seconds must be 1..{_MAX_PRESIGN_SECONDS}")
        return self._client.generate_presigned_url(
            "get_object",
            Params={"Bucket": self.bucket, "Key": self._full(key)},
            ExpiresIn=expires_seconds,
        )

    def local_path(self, key: str) -> Path | None:
        validate_key(key)
        return None

    def check(self) -> None:
        with self._errors("reach bucket", None):
            self._client.head_bucket(Bucket=self.bucket)

    def describe(self) -> str:
        text = f"s3://{self.bucket}/{self.prefix}"
        if self._endpoint_url:
            parts = urlsplit(self._endpoint_url)
            host = parts.hostname or ""
            if parts.port:
                host = f"{host}:{parts.port}"
            # Userinfo in an endpoint URL would be a secret: never echo it.
            text += f" at {urlunsplit((parts.scheme, host, parts.path, '', ''))}"
        return text


def open_s3_url(url: SplitResult, options: StorageOptions) -> S3Storage:
    """The ``s3`` backend: ``s3://bucket/optional/prefix``, at PATCHWORK_S3_ENDPOINT_URL."""
    # Only the scheme and bucket are echoed in errors: the rest might hold secrets.
    if "@" in url.netloc:
        raise ValueError(
            "s3 storage URL must not contain credentials; use AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY"
        )
    bucket = url.netloc
    if not bucket:
        raise ValueError("s3 storage URL must name a bucket: s3://bucket/optional/prefix")
    if url.query or url.fragment:
        raise ValueError("s3 storage URL must not have a query or fragment")
    prefix = unquote(url.path).strip("/")
    if prefix:
        validate_prefix(prefix)
    return S3Storage(bucket, prefix, endpoint_url=options.s3_endpoint_url, region=options.s3_region)


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))
