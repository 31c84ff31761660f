from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from flask.testing import FlaskClient

from patchwork.cli import cli
from patchwork.db import Database
from patchwork.demo import DEMO_VIDEOS, HERE
from patchwork.storage import open_storage
from support.stored_files import all_keys, caption_keys, file_key, stored_bytes


def test_demo_fills_the_archive_through_the_import_path(
    client: FlaskClient, db: Database, cli_env: dict[str, str], tmp_path: Path
) -> None:
    storage_url = f"file://{tmp_path / 'archive'}"
    env = {**cli_env, "PATCHWORK_STORAGE_URL": storage_url}
    for _ in range(2):  # running it twice updates, never duplicates
        result = CliRunner().invoke(cli, ["demo"], env=env)
        assert result.exit_code == 0, result.output
    recent = client.get("/api/recently_archived").get_json()
    assert sorted(v["video_id"] for v in recent) == sorted(v["id"] for v in DEMO_VIDEOS)
    storage = open_storage(storage_url)
    shipped = (HERE / "pwdemo00001.webm").read_bytes()
    assert stored_bytes(storage, db, "pwdemo00001", "video") == shipped
    assert storage.exists(caption_keys(db, "pwdemo00001")[("ja", "vtt")])
    assert file_key(db, "pwdemo00003", "video").endswith(".mp4")
    assert storage.exists(file_key(db, "pwdemo00003", "video"))
    assert file_key(db, "pwdemo00003", "thumbnail").endswith(".webp")
    # Running it twice left one object per file, not one per run.
    assert len(all_keys(storage, "video/pwdemo00001.")) == 1
    assert shipped[:4] == b"\x1a\x45\xdf\xa3"  # a real Matroska/WebM file
