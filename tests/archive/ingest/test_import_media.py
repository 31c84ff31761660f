"""`patchwork import` stores the video, thumbnail, captions and .info.json beside each video."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from patchwork.archive.ingest.folders import find_downloads, import_downloads
from patchwork.cli import cli
from patchwork.config import Settings
from patchwork.db import Database
from patchwork.db.models import Caption, StoredFile, Video
from patchwork.storage import Storage, open_storage
from support.archive_samples import SAMPLES, info, video_bytes, write_samples
from support.stored_files import all_keys, caption_keys, file_key, stored_bytes


@pytest.fixture(params=["local", "s3"])
def archive_storage(
    request: pytest.FixtureRequest, settings: Settings, cli_env: dict[str, str]
) -> tuple[Storage, dict[str, str]]:
    """The archive's storage and the CLI environment that points at it."""
    if request.param == "local":
        return open_storage(settings.storage_url), {
            **cli_env,
            "PATCHWORK_STORAGE_URL": settings.storage_url,
        }
    endpoint = request.getfixturevalue("moto_server")
    bucket = request.getfixturevalue("s3_bucket")
    url = f"s3://{bucket}/archive"
    env = {**cli_env, "PATCHWORK_STORAGE_URL": url, "PATCHWORK_S3_ENDPOINT_URL": endpoint}
    return open_storage(url, s3_endpoint_url=endpoint), env


def run_import(env: dict[str, str], *paths: Path) -> Any:
    return CliRunner().invoke(cli, ["import", *map(str, paths)], env=env)


def test_files_are_stored_under_the_layout(
    db: Database, archive_storage: tuple[Storage, dict[str, str]], tmp_path: Path
) -> None:
    storage, env = archive_storage
    write_samples(tmp_path / "dl", SAMPLES[:2])
    result = run_import(env, tmp_path / "dl")
    assert result.exit_code == 0, result.output
    for sample in SAMPLES[:2]:
        vid = sample["id"]
        video = stored_bytes(storage, db, vid, "video")
        assert video == video_bytes(vid)
        assert re.fullmatch(rf"video/{vid}\.i-[0-9a-f]{{8}}\.webm", file_key(db, vid, "video"))
        stored_info = json.loads(stored_bytes(storage, db, vid, "metadata"))
        assert stored_info == sample
        assert storage.exists(file_key(db, vid, "thumbnail"))
        assert file_key(db, vid, "thumbnail").endswith(".jpg")
        (caption_key,) = caption_keys(db, vid).values()
        assert caption_key.startswith(f"captions/{vid}/{vid}.en.") and storage.exists(caption_key)
        with db.reading() as session:
            files = {
                f.kind: f
                for f in session.scalars(select(StoredFile).where(StoredFile.video_id == vid))
            }
            assert set(files) == {"video", "thumbnail", "metadata"}
            assert files["video"].size_bytes == len(video)
            assert files["video"].sha256 == hashlib.sha256(video).hexdigest()
            assert files["video"].content_type == "video/webm"
            assert files["thumbnail"].content_type == "image/jpeg"
            (caption,) = session.scalars(select(Caption).where(Caption.video_id == vid))
            assert (caption.language, caption.format) == ("en", "vtt")


def test_bad_downloads_are_named_and_the_rest_imported(
    db: Database, archive_storage: tuple[Storage, dict[str, str]], tmp_path: Path
) -> None:
    storage, env = archive_storage
    folder = tmp_path / "dl"
    write_samples(folder, SAMPLES[:3])
    (folder / "corrupt.info.json").write_text("{not json")
    write_samples(folder / "novideo", [info("lonely00001", "No file")], media=False)
    result = run_import(env, folder)
    assert result.exit_code == 1
    assert "corrupt.info.json: is not valid JSON" in result.stderr
    assert "lonely00001.info.json: has no video file beside it" in result.stderr
    assert "Imported 3 new" in result.stdout
    with db.reading() as session:
        ids = set(session.scalars(select(Video.video_id)))
    assert ids == {s["id"] for s in SAMPLES[:3]}
    assert not all_keys(storage, "metadata/lonely00001.")


def test_reimport_in_another_container_replaces_the_file(
    db: Database, archive_storage: tuple[Storage, dict[str, str]], tmp_path: Path
) -> None:
    storage, env = archive_storage
    write_samples(tmp_path / "first", SAMPLES[:1])
    assert run_import(env, tmp_path / "first").exit_code == 0
    vid = SAMPLES[0]["id"]
    first_key = file_key(db, vid, "video")
    second = tmp_path / "second"
    write_samples(second, SAMPLES[:1])
    (second / f"{vid}.webm").rename(second / f"{vid}.mp4")
    assert run_import(env, second).exit_code == 0
    assert file_key(db, vid, "video").endswith(".mp4")
    assert all_keys(storage, f"video/{vid}.") == {file_key(db, vid, "video")}
    assert not storage.exists(first_key)
    with db.reading() as session:
        kinds = list(
            session.scalars(select(StoredFile.extension).where(StoredFile.kind == "video"))
        )
    assert kinds == ["mp4"]


class BrokenStorage:
    """Fails every video write, as a full disk or a dropped bucket connection would."""

    def __init__(self, inner: Storage) -> None:
        self.inner = inner
        self.deleted: list[str] = []

    def write(self, key: str, stream: Any, *, content_type: str | None = None) -> Any:
        if key.startswith("video/"):
            raise OSError("No space left on device")
        return self.inner.write(key, stream, content_type=content_type)

    def delete(self, key: str) -> None:
        self.deleted.append(key)
        self.inner.delete(key)


def test_a_video_whose_file_fails_to_store_stays_invisible(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    storage = BrokenStorage(open_storage(settings.storage_url))
    write_samples(tmp_path / "dl", SAMPLES[:1])
    report = import_downloads(db, storage, find_downloads([tmp_path / "dl"]))  # type: ignore[arg-type]
    assert report.created == 0
    ((_, reason),) = report.failed
    assert "No space left on device" in reason
    with db.reading() as session:
        assert session.scalars(select(Video)).first() is None
    # The metadata written before the failure was cleaned up.
    assert not all_keys(storage.inner, "metadata/")


def test_yt_dlp_names_with_dots_and_titles(tmp_path: Path) -> None:
    folder = tmp_path / "dl"
    folder.mkdir()
    stem = "Song ft. Someone [abc123]"
    for suffix in (".info.json", ".webm", ".webp", ".ja.srv3", ".en-US.vtt", ".live_chat.json"):
        (folder / f"{stem}{suffix}").write_text("x")
    (folder / f"{stem}.f137.mp4.part").write_text("x")
    (download,) = find_downloads([folder])
    assert download.video and download.video.name == f"{stem}.webm"
    assert download.thumbnail and download.thumbnail.name == f"{stem}.webp"
    assert sorted((lang, fmt) for lang, fmt, _ in download.captions) == [
        ("en-US", "vtt"),
        ("ja", "srv3"),
    ]
