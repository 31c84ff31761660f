"""LocalStorage specifics: symlinks, temp files, directories, durability details."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from patchwork.storage import InvalidKey, LocalStorage, ObjectNotFound, StorageError
from patchwork.storage.local import TMP_PREFIX


class SourceBrokeError(Exception):
    pass


class BreakingStream:
    """Hands out ``good`` bytes in 64 KiB reads, then raises like a dropped connection."""

    def __init__(self, good: int) -> None:
        self.left = good

    def read(self, n: int = -1) -> bytes:
        if self.left <= 0:
            raise SourceBrokeError
        size = min(n if n > 0 else 65_536, 65_536, self.left)
        self.left -= size
        return b"x" * size


def all_files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if not p.is_dir())


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    directory = tmp_path / "outside"
    directory.mkdir()
    (directory / "secret.txt").write_bytes(b"secret")
    return directory


def test_symlinked_directory_escape_is_refused(local_storage: LocalStorage, outside: Path) -> None:
    (local_storage.root / "evil").symlink_to(outside, target_is_directory=True)
    with pytest.raises(InvalidKey):
        local_storage.stat("evil/secret.txt")
    with pytest.raises(InvalidKey):
        local_storage.iter_object("evil/secret.txt")
    with pytest.raises(InvalidKey):
        local_storage.write_bytes("evil/planted.txt", b"x")
    with pytest.raises(InvalidKey):
        local_storage.local_path("evil/secret.txt")
    with pytest.raises(InvalidKey):
        local_storage.delete("evil/secret.txt")
    assert sorted(p.name for p in outside.iterdir()) == ["secret.txt"]
    assert list(local_storage.list()) == []
    assert list(local_storage.list("evil/")) == []


def test_symlinked_file_escape_is_refused(local_storage: LocalStorage, outside: Path) -> None:
    (local_storage.root / "video").mkdir()
    (local_storage.root / "video" / "x.webm").symlink_to(outside / "secret.txt")
    with pytest.raises(InvalidKey):
        local_storage.read_range("video/x.webm", 0, 1)
    assert list(local_storage.list()) == []


def test_symlink_inside_root_is_followed(local_storage: LocalStorage) -> None:
    local_storage.write_bytes("video/real.webm", b"real")
    (local_storage.root / "video" / "alias.webm").symlink_to(local_storage.root / "video/real.webm")
    assert b"".join(local_storage.iter_object("video/alias.webm")) == b"real"
    assert [i.key for i in local_storage.list()] == ["video/alias.webm", "video/real.webm"]


def test_failed_write_leaves_no_temp_file(local_storage: LocalStorage) -> None:
    local_storage.write_bytes("video/other.webm", b"keep")
    with pytest.raises(SourceBrokeError):
        local_storage.write("video/x.webm", BreakingStream(3_000_000))  # type: ignore[arg-type]
    assert all_files(local_storage.root) == ["video/other.webm"]


def test_temp_files_are_invisible_and_reserved(local_storage: LocalStorage) -> None:
    local_storage.write_bytes("video/a.webm", b"a")
    # What a crash mid-write leaves behind.
    (local_storage.root / "video" / f"{TMP_PREFIX}dead.tmp").write_bytes(b"partial")
    assert [i.key for i in local_storage.list()] == ["video/a.webm"]
    with pytest.raises(InvalidKey):
        local_storage.write_bytes(f"video/{TMP_PREFIX}x.tmp", b"x")


def test_write_creates_files_with_umask_permissions(local_storage: LocalStorage) -> None:
    old = os.umask(0o022)
    try:
        local_storage.write_bytes("video/perm.webm", b"x")
    finally:
        os.umask(old)
    # mkstemp would give 0600, which a separate web server (nginx) could not read.
    assert (local_storage.root / "video" / "perm.webm").stat().st_mode & 0o777 == 0o644


def test_etag_and_mtime_come_from_stat(local_storage: LocalStorage) -> None:
    info = local_storage.write_bytes("video/e.webm", b"12345")
    path = local_storage.root / "video" / "e.webm"
    os.utime(path, ns=(1_700_000_000_123_456_789, 1_700_000_000_123_456_789))
    again = local_storage.stat("video/e.webm")
    assert again is not None
    assert again.etag == f"5-{1_700_000_000_123_456_789:x}" != info.etag
    assert again.modified.timestamp() == pytest.approx(1_700_000_000.123456, abs=1e-6)


def test_directories_are_not_objects(local_storage: LocalStorage) -> None:
    local_storage.write_bytes("captions/a/a.en.vtt", b"x")
    assert local_storage.stat("captions/a") is None
    with pytest.raises(ObjectNotFound):
        local_storage.iter_object("captions/a")
    local_storage.delete("captions/a")  # not an object: nothing happens
    assert local_storage.exists("captions/a/a.en.vtt")
    with pytest.raises(StorageError):
        local_storage.write_bytes("captions/a", b"x")  # a directory is in the way


def test_delete_prunes_empty_directories(local_storage: LocalStorage) -> None:
    local_storage.write_bytes("captions/a/a.en.vtt", b"x")
    local_storage.write_bytes("captions/b/b.en.vtt", b"x")
    local_storage.delete("captions/a/a.en.vtt")
    assert not (local_storage.root / "captions" / "a").exists()
    assert (local_storage.root / "captions" / "b").is_dir()
    assert local_storage.delete_prefix("captions/") == 1
    assert list(local_storage.root.iterdir()) == []
    assert local_storage.root.is_dir()  # the root itself stays


def test_fifo_is_not_opened(local_storage: LocalStorage) -> None:
    os.mkfifo(local_storage.root / "pipe")
    # Opening a FIFO for reading would block until a writer appears.
    with pytest.raises(ObjectNotFound):
        local_storage.iter_object("pipe")
    assert local_storage.stat("pipe") is None


def test_read_fails_loudly_if_file_shrinks(local_storage: LocalStorage) -> None:
    local_storage.write_bytes("video/s.webm", b"x" * 10_000)
    chunks = local_storage.iter_object("video/s.webm", chunk_size=1_000)
    assert next(chunks) == b"x" * 1_000
    os.truncate(local_storage.root / "video" / "s.webm", 2_000)
    with pytest.raises(StorageError, match="shrank"):
        list(chunks)


def test_overlong_segment_is_invalid(local_storage: LocalStorage) -> None:
    with pytest.raises(InvalidKey):
        local_storage.write_bytes("video/" + "あ" * 100 + ".webm", b"x")  # 300 bytes


def test_check_fails_when_root_is_gone(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path / "archive")
    storage.check()
    (tmp_path / "archive").rmdir()
    with pytest.raises(StorageError):
        storage.check()


def test_create_false_does_not_create_root(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path / "absent", create=False)
    assert not (tmp_path / "absent").exists()
    with pytest.raises(StorageError):
        storage.check()
