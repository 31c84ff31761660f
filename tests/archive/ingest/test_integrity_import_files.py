"""Issue 12: ``patchwork import`` reads only regular files inside the folders it is given.

Symbolic links, FIFOs and devices are never read; a bad ``.info.json`` (a link, a FIFO, too
large, nested too deeply) is named and skipped, and the rest of the import goes on.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import select

from patchwork.archive.ingest import info_json
from patchwork.archive.ingest.folders import (
    ImportReport,
    find_downloads,
    import_downloads,
    open_regular_file,
)
from patchwork.archive.ingest.info_json import IngestError, read_info_file
from patchwork.cli import cli
from patchwork.db import Database
from patchwork.db.models import StoredFile, Video
from patchwork.state import app_state
from support.archive_samples import SAMPLES, info, video_bytes, write_samples

GOOD = SAMPLES[0]["id"]
# A thread blocked on a FIFO shows as still alive after this; it is a bound, not a wait.
HANG_LIMIT = 60.0


def _good(folder: Path) -> None:
    write_samples(folder, SAMPLES[:1])


def _evil(folder: Path, video_id: str = "evilvideo01") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{video_id}.info.json").write_text(json.dumps(info(video_id, "Evil")))
    return folder / f"{video_id}.webm"


def _import(app: Flask, *paths: Path) -> ImportReport:
    state = app_state(app)
    return import_downloads(state.db, state.storage, list(find_downloads(paths)))


def _import_bounded(app: Flask, *paths: Path) -> ImportReport:
    """The import, run where a hang on a FIFO shows as a failure instead of a stuck run."""
    result: list[ImportReport] = []
    thread = threading.Thread(target=lambda: result.append(_import(app, *paths)), daemon=True)
    thread.start()
    thread.join(HANG_LIMIT)
    if thread.is_alive():
        _unblock_fifos(*paths)
        thread.join(HANG_LIMIT)
        pytest.fail("the import blocked on a FIFO")
    return result[0]


def _unblock_fifos(*paths: Path) -> None:
    for path in paths:
        for fifo in path.rglob("*"):
            if fifo.is_fifo():
                os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))


def _video_ids(db: Database) -> set[str]:
    with db.reading() as session:
        return set(session.scalars(select(Video.video_id)))


def _file_kinds(db: Database, video_id: str) -> set[str]:
    with db.reading() as session:
        query = select(StoredFile.kind).where(StoredFile.video_id == video_id)
        return set(session.scalars(query))


def _failed(report: ImportReport) -> dict[str, str]:
    return {path.name: reason for path, reason in report.failed}


def _stored_bytes(app: Flask) -> list[bytes]:
    storage = app_state(app).storage
    return [b"".join(storage.iter_object(item.key)) for item in storage.list("")]


def test_a_symlinked_video_is_not_archived(app: Flask, db: Database, tmp_path: Path) -> None:
    secret = tmp_path / "outside" / "passwd"
    secret.parent.mkdir()
    secret.write_bytes(b"root:x:0:0:root:/root:/bin/bash\n")
    folder = tmp_path / "dl"
    _good(folder)
    _evil(folder).symlink_to(secret)
    report = _import(app, folder)
    assert _video_ids(db) == {GOOD}
    assert "evilvideo01.info.json" in _failed(report)
    assert not any(b"root:x:0:0" in data for data in _stored_bytes(app))


def test_a_symlinked_thumbnail_is_left_out(app: Flask, db: Database, tmp_path: Path) -> None:
    secret = tmp_path / "secret.jpg"
    secret.write_bytes(b"\xff\xd8\xffsecret")
    folder = tmp_path / "dl"
    video = _evil(folder, "thumblink01")
    video.write_bytes(video_bytes("thumblink01"))
    (folder / "thumblink01.jpg").symlink_to(secret)
    report = _import(app, folder)
    assert report.ok, report.failed
    assert _file_kinds(db, "thumblink01") == {"video", "metadata"}
    assert not any(b"secret" in data for data in _stored_bytes(app))


def test_a_symlinked_info_json_is_named_and_skipped(
    app: Flask, db: Database, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    _evil(outside, "linkedinfo1").write_bytes(video_bytes("linkedinfo1"))
    folder = tmp_path / "dl"
    _good(folder)
    (folder / "linkedinfo1.info.json").symlink_to(outside / "linkedinfo1.info.json")
    (folder / "linkedinfo1.webm").write_bytes(video_bytes("linkedinfo1"))
    report = _import(app, folder)
    assert _video_ids(db) == {GOOD}
    assert _failed(report) == {"linkedinfo1.info.json": "is a symbolic link, not a regular file"}


def test_an_info_json_linked_to_dev_zero_is_not_read(
    app: Flask, db: Database, tmp_path: Path
) -> None:
    folder = tmp_path / "dl"
    _good(folder)
    (folder / "zero.info.json").symlink_to("/dev/zero")
    report = _import_bounded(app, folder)
    assert _video_ids(db) == {GOOD}
    assert _failed(report) == {"zero.info.json": "is a symbolic link, not a regular file"}


def test_a_symlinked_folder_is_not_entered(app: Flask, db: Database, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    _evil(outside, "outsidevid1").write_bytes(video_bytes("outsidevid1"))
    folder = tmp_path / "dl"
    _good(folder)
    (folder / "elsewhere").symlink_to(outside, target_is_directory=True)
    report = _import(app, folder)
    assert report.ok and _video_ids(db) == {GOOD}


def test_a_fifo_video_does_not_hang_the_import(app: Flask, db: Database, tmp_path: Path) -> None:
    folder = tmp_path / "dl"
    _good(folder)
    os.mkfifo(_evil(folder, "fifovideo01"))
    report = _import_bounded(app, folder)
    assert _video_ids(db) == {GOOD}
    assert "fifovideo01.info.json" in _failed(report)


def test_a_fifo_info_json_is_named_and_skipped(app: Flask, db: Database, tmp_path: Path) -> None:
    folder = tmp_path / "dl"
    _good(folder)
    os.mkfifo(folder / "pipe.info.json")
    report = _import_bounded(app, folder)
    assert _video_ids(db) == {GOOD}
    assert _failed(report) == {"pipe.info.json": "is a FIFO, not a regular file"}


def test_a_deeply_nested_info_json_is_named_and_skipped(
    app: Flask, db: Database, tmp_path: Path
) -> None:
    folder = tmp_path / "dl"
    _good(folder)
    (folder / "nested.info.json").write_text("[" * 100_000)
    report = _import(app, folder)
    assert _video_ids(db) == {GOOD}
    assert _failed(report) == {"nested.info.json": "is nested too deeply to be metadata"}


def test_a_huge_info_json_is_refused_while_reading(
    app: Flask, db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(info_json, "MAX_INFO_BYTES", 4 * 1024 * 1024)
    folder = tmp_path / "dl"
    _good(folder)
    big = info("hugeinfo001", "Huge", description="x" * (5 * 1024 * 1024))
    (folder / "hugeinfo001.info.json").write_text(json.dumps(big))
    report = _import(app, folder)
    assert _video_ids(db) == {GOOD}
    assert _failed(report) == {"hugeinfo001.info.json": "is larger than 4 MiB"}


def test_read_info_file_refuses_devices(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="is a device, not a regular file"):
        read_info_file(Path("/dev/zero"))


def test_the_command_names_bad_downloads_and_imports_the_rest(
    db: Database, cli_env: dict[str, str], tmp_path: Path
) -> None:
    folder = tmp_path / "dl"
    _good(folder)
    (folder / "nested.info.json").write_text("[" * 100_000)
    _evil(folder).symlink_to("/etc/passwd")
    os.mkfifo(_evil(folder, "fifovideo01"))
    result = CliRunner().invoke(cli, ["import", str(folder)], env=cli_env)
    assert result.exit_code == 1, result.output
    assert "nested.info.json: is nested too deeply" in result.stderr
    assert "evilvideo01.info.json" in result.stderr
    assert "fifovideo01.info.json" in result.stderr
    # The files themselves are named too, with why they were not read.
    assert "evilvideo01.webm: is a symbolic link, not a regular file" in result.stderr
    assert "fifovideo01.webm: is a FIFO, not a regular file" in result.stderr
    assert "Imported 1 new" in result.stdout
    assert _video_ids(db) == {GOOD}


def test_open_regular_file_refuses_a_swapped_in_link(tmp_path: Path) -> None:
    # Discovery saw a regular file; by the time it is stored the name points elsewhere.
    target = tmp_path / "secret"
    target.write_bytes(b"secret")
    link = tmp_path / "x.webm"
    link.symlink_to(target)
    with pytest.raises(IngestError, match="symbolic link"):
        open_regular_file(link)
    fifo = tmp_path / "y.webm"
    os.mkfifo(fifo)
    with pytest.raises(IngestError, match="FIFO"):
        open_regular_file(fifo)
    with open_regular_file(target) as handle:
        assert handle.read() == b"secret"
