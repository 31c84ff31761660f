"""Behaviour every backend must share; each test runs against LocalStorage and S3Storage."""

from __future__ import annotations

import hashlib
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from patchwork.storage import (
    CHUNK_SIZE,
    InvalidKey,
    LocalStorage,
    ObjectInfo,
    ObjectNotFound,
    S3Storage,
    Storage,
)

MiB = 1024 * 1024
# A prime-length random block: repeated, it never lines up with power-of-two part sizes,
# so swapped, duplicated or dropped parts change the hash.
_BLOCK = hashlib.shake_256(b"patchwork").digest(65_521)


def pattern(start: int, length: int) -> bytes:
    """Bytes ``start .. start+length`` of an endless deterministic stream."""
    out = bytearray()
    pos = start
    while len(out) < length:
        offset = pos % len(_BLOCK)
        piece = _BLOCK[offset : offset + length - len(out)]
        out += piece
        pos += len(piece)
    return bytes(out)


def pattern_sha256(length: int) -> str:
    digest = hashlib.sha256()
    for start in range(0, length, MiB):
        digest.update(pattern(start, min(MiB, length - start)))
    return digest.hexdigest()


class SourceBrokeError(Exception):
    """Raised by a test stream to simulate a client disconnecting mid-upload."""


class GuardedStream(io.RawIOBase):
    """Generates ``size`` bytes on demand and refuses unbounded or oversized reads.

    Reading everything at once (``read()``/``read(-1)``) or in huge gulps is how an
    implementation would silently hold a multi-GB video in memory; here it fails the test.
    """

    def __init__(self, size: int, *, fail_at: int | None = None, max_read: int = CHUNK_SIZE):
        self.size = size
        self.pos = 0
        self.fail_at = fail_at
        self.max_read = max_read
        self.largest_read = 0

    def readable(self) -> bool:
        return True

    def read(self, n: int | None = -1) -> bytes:
        if n is None or n < 0:
            raise AssertionError("read() without a size would load the whole stream")
        if n > self.max_read:
            raise AssertionError(f"read({n}) is larger than {self.max_read}")
        self.largest_read = max(self.largest_read, n)
        if self.fail_at is not None and self.pos + n > self.fail_at:
            raise SourceBrokeError(f"source broke at byte {self.pos}")
        data = pattern(self.pos, min(n, self.size - self.pos))
        self.pos += len(data)
        return data


def sha256_of(chunks: Any) -> tuple[str, int]:
    digest = hashlib.sha256()
    total = 0
    for chunk in chunks:
        digest.update(chunk)
        total += len(chunk)
    return digest.hexdigest(), total


def read_all(storage: Storage, key: str) -> bytes:
    return b"".join(storage.iter_object(key))


# -- round trips ---------------------------------------------------------------------


def test_write_bytes_round_trip(storage: Storage) -> None:
    data = pattern(0, 300_000)
    info = storage.write_bytes("video/abc.webm", data)
    assert info.key == "video/abc.webm"
    assert info.size == len(data)
    assert read_all(storage, "video/abc.webm") == data
    assert storage.stat("video/abc.webm") == info


def test_stat_reports_metadata(storage: Storage) -> None:
    before = datetime.now(UTC) - timedelta(minutes=5)
    storage.write_bytes("thumbnails/abc.jpg", b"\xff\xd8jpeg")
    info = storage.stat("thumbnails/abc.jpg")
    assert isinstance(info, ObjectInfo)
    assert info.size == 6
    assert info.content_type == "image/jpeg"
    assert info.modified.utcoffset() == timedelta(0)
    assert before < info.modified < datetime.now(UTC) + timedelta(minutes=5)
    assert info.etag and '"' not in info.etag


def test_missing_objects(storage: Storage) -> None:
    assert storage.stat("video/missing.webm") is None
    assert not storage.exists("video/missing.webm")
    # Raised when called, before iteration: the web layer answers 404 before headers go out.
    with pytest.raises(ObjectNotFound):
        storage.iter_object("video/missing.webm")
    with pytest.raises(ObjectNotFound):
        storage.read_range("video/missing.webm", 0, 10)


def test_overwrite_changes_etag(storage: Storage) -> None:
    first = storage.write_bytes("metadata/abc.info.json", b'{"v": 1}')
    second = storage.write_bytes("metadata/abc.info.json", b'{"v": 22}')
    assert first.etag != second.etag
    assert read_all(storage, "metadata/abc.info.json") == b'{"v": 22}'
    assert storage.stat("metadata/abc.info.json") == second


def test_empty_object(storage: Storage) -> None:
    info = storage.write_bytes("captions/e/e.en.vtt", b"")
    assert info.size == 0
    assert read_all(storage, "captions/e/e.en.vtt") == b""
    with pytest.raises(ValueError):
        storage.read_range("captions/e/e.en.vtt", 0, 0)


def test_unicode_keys_and_content(storage: Storage) -> None:
    text = "WEBVTT\n\n00:00.000 --> 00:01.000\n日本語の字幕 🎌\n".encode()
    keys = ["captions/x/x.ja.vtt", "captions/日本語/字幕.ja.vtt", "thumbnails/🎌.jpg"]
    for key in keys:
        storage.write_bytes(key, text)
    for key in keys:
        assert read_all(storage, key) == text
        info = storage.stat(key)
        assert info is not None and info.size == len(text)
    assert [i.key for i in storage.list("captions/")] == sorted(keys[:2])
    assert storage.stat("captions/x/x.ja.vtt").content_type == "text/vtt; charset=utf-8"  # type: ignore[union-attr]


# -- ranges --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end"),
    [(0, 0), (9_999, 9_999), (1_234, 5_678), (0, 9_999), (9_000, 50_000), (5_000, 5_001)],
)
def test_read_range(storage: Storage, start: int, end: int) -> None:
    data = pattern(0, 10_000)
    storage.write_bytes("video/r.mp4", data)
    chunks = list(storage.read_range("video/r.mp4", start, end, chunk_size=1_000))
    assert b"".join(chunks) == data[start : end + 1]  # end is inclusive, clamped at size
    assert all(len(c) <= 1_000 for c in chunks)


def test_read_range_rejects_bad_ranges(storage: Storage) -> None:
    storage.write_bytes("video/r.mp4", b"0123456789")
    for start, end in [(-1, 3), (5, 4), (10, 20)]:
        with pytest.raises(ValueError):
            list(storage.read_range("video/r.mp4", start, end))


def test_iter_object_chunks(storage: Storage) -> None:
    data = pattern(0, 2_500)
    storage.write_bytes("video/c.mkv", data)
    chunks = list(storage.iter_object("video/c.mkv", chunk_size=1_000))
    assert b"".join(chunks) == data
    assert max(len(c) for c in chunks) <= 1_000 and len(chunks) >= 3


# -- streaming writes ----------------------------------------------------------------


def test_streaming_write_of_large_object(storage: Storage) -> None:
    size = 20 * MiB + 12_345
    stream = GuardedStream(size)
    info = storage.write("video/big.webm", stream)  # type: ignore[arg-type]
    assert stream.pos == size
    assert info.size == size
    assert info.content_type == "video/webm"
    assert sha256_of(storage.iter_object("video/big.webm")) == (pattern_sha256(size), size)
    tail = b"".join(storage.read_range("video/big.webm", size - 100, size - 1))
    assert tail == pattern(size - 100, 100)


def test_guarded_stream_catches_unbounded_reads() -> None:
    # The guard itself must be able to fail, or the streaming test proves nothing.
    with pytest.raises(AssertionError):
        GuardedStream(10).read()
    with pytest.raises(AssertionError):
        GuardedStream(10).read(CHUNK_SIZE + 1)


@pytest.mark.parametrize("fail_at", [100_000, 7 * MiB])
def test_failed_upload_leaves_nothing(storage: Storage, fail_at: int) -> None:
    stream = GuardedStream(20 * MiB, fail_at=fail_at)
    with pytest.raises(SourceBrokeError):
        storage.write("video/broken.webm", stream)  # type: ignore[arg-type]
    assert storage.stat("video/broken.webm") is None
    assert list(storage.list()) == []


def test_failed_overwrite_keeps_old_object(storage: Storage) -> None:
    storage.write_bytes("video/keep.webm", b"old contents")
    with pytest.raises(SourceBrokeError):
        storage.write("video/keep.webm", GuardedStream(MiB, fail_at=10))  # type: ignore[arg-type]
    assert read_all(storage, "video/keep.webm") == b"old contents"


def test_readers_see_old_object_during_write(storage: Storage) -> None:
    storage.write_bytes("video/swap.webm", b"old")
    seen: list[bytes] = []

    class Spy(GuardedStream):
        def read(self, n: int | None = -1) -> bytes:
            if self.pos:  # part of the new object has been consumed already
                seen.append(read_all(storage, "video/swap.webm"))
            return super().read(n)

    storage.write("video/swap.webm", Spy(3 * MiB))  # type: ignore[arg-type]
    assert seen and set(seen) == {b"old"}
    assert storage.stat("video/swap.webm").size == 3 * MiB  # type: ignore[union-attr]


def test_content_type_is_guessed_or_given(storage: Storage) -> None:
    assert storage.write_bytes("captions/a/a.en.srv3", b"<x/>").content_type == "application/xml"
    info = storage.write_bytes("misc/blob", b"x", content_type="text/plain")
    expected = "text/plain" if isinstance(storage, S3Storage) else "application/octet-stream"
    assert info.content_type == expected


# -- delete and list -----------------------------------------------------------------


def test_delete_is_idempotent(storage: Storage) -> None:
    storage.write_bytes("video/d.webm", b"x")
    storage.delete("video/d.webm")
    assert not storage.exists("video/d.webm")
    storage.delete("video/d.webm")
    storage.delete("never/existed.bin")


def test_list_with_prefix_is_sorted_like_s3(storage: Storage) -> None:
    # "-" (0x2d) and "." (0x2e) sort before "/" (0x2f): a naive directory walk gets this wrong.
    keys = ["a/c.txt", "a-b.txt", "a.txt", "ab/x", "b", "a/d/e.txt"]
    for key in keys:
        storage.write_bytes(key, key.encode())
    listed = list(storage.list())
    assert [i.key for i in listed] == sorted(keys)
    assert [i.size for i in listed] == [len(k) for k in sorted(keys)]
    assert [i.key for i in storage.list("a/")] == ["a/c.txt", "a/d/e.txt"]
    assert [i.key for i in storage.list("a")] == sorted(k for k in keys if k != "b")
    assert [i.key for i in storage.list("a.")] == ["a.txt"]
    assert [i.key for i in storage.list("a/d")] == ["a/d/e.txt"]
    assert list(storage.list("zzz/")) == []
    for info in listed:
        assert info == _without_content_type(storage, storage.stat(info.key))


def _without_content_type(storage: Storage, info: ObjectInfo | None) -> ObjectInfo | None:
    # S3 listings carry no content type (it would cost a HEAD per object).
    if info is None or not isinstance(storage, S3Storage):
        return info
    return ObjectInfo(info.key, info.size, info.modified, info.etag, None)


def test_delete_prefix(storage: Storage) -> None:
    for key in ["captions/a/a.en.vtt", "captions/a/a.ja.vtt", "captions/ab/ab.en.vtt", "video/a"]:
        storage.write_bytes(key, b"x")
    assert storage.delete_prefix("captions/a/") == 2
    assert [i.key for i in storage.list()] == ["captions/ab/ab.en.vtt", "video/a"]
    assert storage.delete_prefix("captions/a/") == 0
    assert storage.delete_prefix("captions") == 1
    assert [i.key for i in storage.list()] == ["video/a"]
    with pytest.raises(InvalidKey):
        storage.delete_prefix("")
    with pytest.raises(InvalidKey):
        storage.delete_prefix("../")


def test_local_path_and_direct_url(storage: Storage) -> None:
    storage.write_bytes("video/p.webm", b"bytes")
    path = storage.local_path("video/p.webm")
    if isinstance(storage, LocalStorage):
        assert isinstance(path, Path) and path.read_bytes() == b"bytes"
        assert storage.direct_url("video/p.webm") is None
    else:
        assert path is None
        assert storage.direct_url("video/p.webm") is not None


def test_check_passes(storage: Storage) -> None:
    storage.check()
    assert "://" in storage.describe()


def test_backends_satisfy_protocol(storage: Storage) -> None:
    assert isinstance(storage, Storage)


# -- S3 managed (multipart) transfer ---------------------------------------------------


@pytest.fixture
def multipart_storage(s3_bucket: str, s3_storage_client: Any) -> S3Storage:
    return S3Storage(
        s3_bucket,
        "archive",
        client=s3_storage_client,
        multipart_threshold=5 * MiB,
        multipart_chunksize=5 * MiB,
    )


def test_multipart_upload_is_byte_identical(multipart_storage: S3Storage, s3_client: Any) -> None:
    size = 12 * MiB + 7
    info = multipart_storage.write("video/mp.webm", GuardedStream(size))  # type: ignore[arg-type]
    assert info.size == size
    # A multipart ETag is "<md5 of part md5s>-<part count>": proves the multipart path ran.
    assert info.etag.endswith("-3")
    head = s3_client.head_object(Bucket=multipart_storage.bucket, Key="archive/video/mp.webm")
    assert head["ContentType"] == "video/webm"
    assert sha256_of(multipart_storage.iter_object("video/mp.webm")) == (
        pattern_sha256(size),
        size,
    )


def test_failed_multipart_upload_is_aborted(multipart_storage: S3Storage, s3_client: Any) -> None:
    stream = GuardedStream(30 * MiB, fail_at=17 * MiB)
    with pytest.raises(SourceBrokeError):
        multipart_storage.write("video/mp.webm", stream)  # type: ignore[arg-type]
    assert stream.pos > 10 * MiB  # parts were really sent before the failure
    assert multipart_storage.stat("video/mp.webm") is None
    uploads = s3_client.list_multipart_uploads(Bucket=multipart_storage.bucket)
    assert uploads.get("Uploads", []) == []


def test_small_write_is_a_single_put(multipart_storage: S3Storage) -> None:
    info = multipart_storage.write("video/small.webm", GuardedStream(MiB))  # type: ignore[arg-type]
    assert "-" not in info.etag
