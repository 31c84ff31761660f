"""S3Storage specifics, against moto's server over loopback HTTP."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ResponseStreamingError

from patchwork.storage import ObjectNotFound, S3Storage, StorageError


@pytest.fixture
def call_counter(s3_storage_client: Any) -> Iterator[dict[str, int]]:
    """Counts API calls made by the shared storage client, by operation name."""
    counts: dict[str, int] = {}

    def count(model: Any, **_: Any) -> None:
        counts[model.name] = counts.get(model.name, 0) + 1

    events = s3_storage_client.meta.events
    events.register("after-call.s3", count)
    yield counts
    events.unregister("after-call.s3", count)


def test_presigned_url_serves_the_bytes(s3_storage: S3Storage) -> None:
    data = "字幕 🎌".encode() * 1000
    s3_storage.write_bytes("captions/x/x.ja.vtt", data)
    url = s3_storage.direct_url("captions/x/x.ja.vtt", expires_seconds=600)
    assert url is not None and url.startswith("http://127.0.0.1:")
    assert "X-Amz-Signature=" in url and "X-Amz-Expires=600" in url
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.read() == data
        assert response.headers["Content-Type"] == "text/vtt; charset=utf-8"


def test_presigned_url_expiry_bounds(s3_storage: S3Storage) -> None:
    for bad in (0, -5, 7 * 24 * 3600 + 1):
        with pytest.raises(ValueError):
            s3_storage.direct_url("video/a.webm", expires_seconds=bad)


def test_list_paginates(
    s3_bucket: str, s3_storage_client: Any, call_counter: dict[str, int]
) -> None:
    storage = S3Storage(s3_bucket, "p", client=s3_storage_client, list_page_size=3)
    keys = [f"video/{i:02d}.webm" for i in range(10)]
    for key in keys:
        storage.write_bytes(key, key.encode())
    call_counter.clear()
    assert [i.key for i in storage.list("video/")] == keys
    assert call_counter["ListObjectsV2"] == 4  # 3 + 3 + 3 + 1
    assert storage.delete_prefix("video/") == 10
    assert list(storage.list()) == []


def test_prefix_isolates_objects(s3_storage: S3Storage, s3_client: Any) -> None:
    bucket = s3_storage.bucket
    s3_client.put_object(Bucket=bucket, Key="video/outside.webm", Body=b"o")
    s3_client.put_object(Bucket=bucket, Key="archive-old/x.webm", Body=b"o")
    s3_client.put_object(Bucket=bucket, Key="archive/video/", Body=b"")  # console "folder"
    s3_storage.write_bytes("video/inside.webm", b"i")
    assert [i.key for i in s3_storage.list()] == ["video/inside.webm"]
    assert s3_storage.stat("video/outside.webm") is None
    assert (
        s3_client.get_object(Bucket=bucket, Key="archive/video/inside.webm")["Body"].read() == b"i"
    )
    assert s3_storage.delete_prefix("video/") == 2  # the folder marker goes too
    assert s3_client.get_object(Bucket=bucket, Key="video/outside.webm")["Body"].read() == b"o"


def test_content_type_is_stored(s3_storage: S3Storage, s3_client: Any) -> None:
    s3_storage.write_bytes("video/a.bin", b"x", content_type="video/mp4")
    head = s3_client.head_object(Bucket=s3_storage.bucket, Key="archive/video/a.bin")
    assert head["ContentType"] == "video/mp4"
    assert s3_storage.stat("video/a.bin").content_type == "video/mp4"  # type: ignore[union-attr]


def test_etag_is_unquoted_s3_etag(s3_storage: S3Storage, s3_client: Any) -> None:
    info = s3_storage.write_bytes("video/a.webm", b"hello")
    head = s3_client.head_object(Bucket=s3_storage.bucket, Key="archive/video/a.webm")
    assert info.etag == head["ETag"].strip('"') == "5d41402abc4b2a76b9719d911017c592"


def test_check_fails_for_missing_bucket(s3_storage_client: Any, s3_storage: S3Storage) -> None:
    s3_storage.check()
    missing = S3Storage("no-such-bucket-here", client=s3_storage_client)
    with pytest.raises(StorageError, match="does not exist"):
        missing.check()
    with pytest.raises(StorageError):
        missing.write_bytes("video/a.webm", b"x")
    with pytest.raises(StorageError):
        list(missing.list())


class _FlakyBody:
    """A response body that drops the connection after its first chunk."""

    def __init__(self, body: Any) -> None:
        self._body = body

    def iter_chunks(self, chunk_size: int) -> Iterator[bytes]:
        chunks = self._body.iter_chunks(chunk_size)
        yield next(chunks)
        raise ResponseStreamingError(error="connection reset by peer")

    def close(self) -> None:
        self._body.close()


class _FlakyClient:
    """Delegates to a real client; the first ``flaky`` get_object bodies break mid-way."""

    def __init__(self, client: Any, flaky: int) -> None:
        self._client = client
        self.flaky = flaky
        self.gets: list[dict[str, Any]] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def get_object(self, **kwargs: Any) -> Any:
        self.gets.append(kwargs)
        response = self._client.get_object(**kwargs)
        if self.flaky > 0:
            self.flaky -= 1
            response["Body"] = _FlakyBody(response["Body"])
        return response


def test_read_resumes_after_dropped_connection(s3_storage: S3Storage) -> None:
    data = bytes(range(256)) * 40
    s3_storage.write_bytes("video/r.webm", data)
    flaky = _FlakyClient(s3_storage.client, flaky=2)
    storage = S3Storage(s3_storage.bucket, s3_storage.prefix, client=flaky)  # type: ignore[arg-type]
    assert (
        b"".join(storage.read_range("video/r.webm", 100, 9_999, chunk_size=1_000))
        == data[100:10_000]
    )
    ranges = [g.get("Range") for g in flaky.gets]
    assert ranges == ["bytes=100-9999", "bytes=1100-9999", "bytes=2100-9999"]
    assert all("IfMatch" in g for g in flaky.gets[1:])


def test_read_gives_up_after_repeated_drops(s3_storage: S3Storage) -> None:
    s3_storage.write_bytes("video/r.webm", b"x" * 10_000)
    flaky = _FlakyClient(s3_storage.client, flaky=10)
    storage = S3Storage(s3_storage.bucket, s3_storage.prefix, client=flaky)  # type: ignore[arg-type]
    with pytest.raises(StorageError):
        list(storage.iter_object("video/r.webm", chunk_size=1_000))


def test_resume_refuses_a_replaced_object(s3_storage: S3Storage) -> None:
    s3_storage.write_bytes("video/r.webm", b"a" * 10_000)
    flaky = _FlakyClient(s3_storage.client, flaky=1)
    storage = S3Storage(s3_storage.bucket, s3_storage.prefix, client=flaky)  # type: ignore[arg-type]
    chunks = storage.iter_object("video/r.webm", chunk_size=1_000)
    assert next(chunks) == b"a" * 1_000
    s3_storage.write_bytes("video/r.webm", b"b" * 10_000)
    # Splicing the new object's bytes onto the old one's would corrupt the download.
    with pytest.raises(StorageError):
        list(chunks)


def test_deleted_object_raises_not_found(s3_storage: S3Storage) -> None:
    s3_storage.write_bytes("video/x.webm", b"x")
    s3_storage.delete("video/x.webm")
    with pytest.raises(ObjectNotFound):
        s3_storage.iter_object("video/x.webm")
