from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from flask.testing import FlaskClient

from patchwork.cli import cli
from patchwork.demo import DEMO_VIDEOS, HERE
from patchwork.storage import open_storage


def test_demo_fills_the_archive_through_the_import_path(
    client: FlaskClient, cli_env: dict[str, str], tmp_path: Path
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
    assert b"".join(storage.iter_object("video/pwdemo00001.webm")) == shipped
    assert shipped[:4] == b"\x1a\x45\xdf\xa3"  # a real Matroska/WebM file
    assert storage.exists("captions/pwdemo00001/pwdemo00001.ja.vtt")
    assert storage.exists("video/pwdemo00003.mp4")
    assert storage.exists("thumbnails/pwdemo00003.webp")
