"""Key validation, URL parsing and content types."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from patchwork.storage import (
    InvalidKey,
    LocalStorage,
    S3Storage,
    Storage,
    StorageError,
    guess_content_type,
    open_storage,
    validate_key,
    validate_prefix,
)

BAD_KEYS = [
    "",
    "../x",
    "/etc/passwd",
    "a/../../b",
    "a/..",
    "..",
    "a\\b",
    "..\\x",
    "a\x00b",
    "a\nb",
    "a//b",
    "./a",
    "a/./b",
    "dir/",
    "x" * 1025,
]

GOOD_KEYS = [
    "video/abc.webm",
    "captions/abc/abc.en.vtt",
    "channels/UC123/avatar.jpg",
    "captions/x/x.ja.vtt",
    "thumbnails/日本語 🎌.jpg",
    "a..b/c...d",
    ".hidden",
]


@pytest.mark.parametrize("key", BAD_KEYS)
def test_validate_key_rejects(key: str) -> None:
    with pytest.raises(InvalidKey):
        validate_key(key)


@pytest.mark.parametrize("key", GOOD_KEYS)
def test_validate_key_accepts(key: str) -> None:
    assert validate_key(key) == key


def test_invalid_key_is_a_value_error_and_storage_error() -> None:
    with pytest.raises(ValueError):
        validate_key("../x")
    with pytest.raises(StorageError):
        validate_key("../x")


def test_validate_prefix() -> None:
    for prefix in ["", "video/", "captions/ab", "a/b/"]:
        assert validate_prefix(prefix) == prefix
    for prefix in ["/", "/video", "../", "a/../", "a\\", "a//"]:
        with pytest.raises(InvalidKey):
            validate_prefix(prefix)


OPERATIONS: dict[str, Callable[[Storage, str], Any]] = {
    "stat": lambda s, k: s.stat(k),
    "exists": lambda s, k: s.exists(k),
    "read_range": lambda s, k: s.read_range(k, 0, 1),
    "iter_object": lambda s, k: s.iter_object(k),
    "write": lambda s, k: s.write(k, io.BytesIO(b"x")),
    "write_bytes": lambda s, k: s.write_bytes(k, b"x"),
    "delete": lambda s, k: s.delete(k),
    "local_path": lambda s, k: s.local_path(k),
    "direct_url": lambda s, k: s.direct_url(k),
}


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
def test_every_operation_validates_keys(storage: Storage, operation: str) -> None:
    for key in ["../x", "/etc/passwd", "a/../../b", "a\\b", "", "a\x00b"]:
        with pytest.raises(InvalidKey):
            OPERATIONS[operation](storage, key)
    assert list(storage.list()) == []


def test_list_validates_prefix(storage: Storage) -> None:
    with pytest.raises(InvalidKey):
        list(storage.list("../"))


# -- open_storage ------------------------------------------------------------------------


def test_open_file_url(tmp_path: Path) -> None:
    storage = open_storage((tmp_path / "arch ive").as_uri())
    assert isinstance(storage, LocalStorage)
    assert storage.root == (tmp_path / "arch ive").resolve()
    assert storage.root.is_dir()
    assert storage.describe() == storage.root.as_uri()


def test_open_plain_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    storage = open_storage(str(tmp_path / "a"))
    assert isinstance(storage, LocalStorage) and storage.root == (tmp_path / "a").resolve()
    monkeypatch.chdir(tmp_path)
    relative = open_storage("rel/archive")
    assert isinstance(relative, LocalStorage)
    assert relative.root == (tmp_path / "rel" / "archive").resolve()


@pytest.mark.usefixtures("aws_env")
@pytest.mark.parametrize(
    ("url", "bucket", "prefix"),
    [
        ("s3://media", "media", ""),
        ("s3://media/", "media", ""),
        ("s3://media/archive", "media", "archive/"),
        ("s3://media/a/b/", "media", "a/b/"),
    ],
)
def test_open_s3_url(url: str, bucket: str, prefix: str) -> None:
    storage = open_storage(url, s3_endpoint_url="http://127.0.0.1:9", s3_region="eu-west-1")
    assert isinstance(storage, S3Storage)
    assert (storage.bucket, storage.prefix) == (bucket, prefix)
    assert storage.client.meta.region_name == "eu-west-1"
    assert storage.client.meta.endpoint_url == "http://127.0.0.1:9"
    assert storage.describe() == f"s3://{bucket}/{prefix} at http://127.0.0.1:9"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://host/x", "'ftp'"),
        ("gs://bucket/x", "'gs'"),
        ("http://example.com/x", "'http'"),
        ("s3://", "bucket"),
        ("s3:///prefix", "bucket"),
        ("s3://bucket/../x", "segment"),
        ("file://otherhost/x", "otherhost"),
        ("", "empty"),
    ],
)
def test_open_storage_rejects(url: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        open_storage(url)


def test_open_storage_never_echoes_credentials() -> None:
    with pytest.raises(ValueError) as excinfo:
        open_storage("s3://AKIAEXAMPLE:s3cr3t@bucket/x")
    assert "s3cr3t" not in str(excinfo.value)


@pytest.mark.usefixtures("aws_env")
def test_describe_hides_endpoint_userinfo() -> None:
    storage = S3Storage("b", endpoint_url="https://user:pw@minio.example:9000")
    assert storage.describe() == "s3://b/ at https://minio.example:9000"


# -- content types ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("video/a.webm", "video/webm"),
        ("video/a.mp4", "video/mp4"),
        ("video/a.MKV", "video/x-matroska"),
        ("video/a.m4a", "audio/mp4"),
        ("thumbnails/a.jpg", "image/jpeg"),
        ("thumbnails/a.jpeg", "image/jpeg"),
        ("thumbnails/a.webp", "image/webp"),
        ("thumbnails/a.png", "image/png"),
        ("captions/a/a.en.vtt", "text/vtt; charset=utf-8"),
        ("captions/a/a.en.srt", "application/x-subrip"),
        ("captions/a/a.en.srv3", "application/xml"),
        ("metadata/a.info.json", "application/json"),
        ("misc/noextension", "application/octet-stream"),
        ("misc/a.unknownext", "application/octet-stream"),
    ],
)
def test_guess_content_type(key: str, expected: str) -> None:
    assert guess_content_type(key) == expected
