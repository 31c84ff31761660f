from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import func, select

from patchwork.cli import cli
from patchwork.db import Database
from patchwork.db.models import Channel, Video
from support.archive_samples import SAMPLES, info, write_samples


def run_import(cli_env: dict[str, str], *paths: Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["import", "--metadata-only", *map(str, paths)], env=cli_env)
    return result.exit_code, result.stdout, result.stderr


def test_import_folder_creates_videos_and_channels(
    db: Database, cli_env: dict[str, str], tmp_path: Path
) -> None:
    write_samples(tmp_path / "dl")
    code, out, _ = run_import(cli_env, tmp_path / "dl")
    assert code == 0, out
    assert f"Imported {len(SAMPLES)} new" in out
    with db.reading() as session:
        rows = {v.video_id: v for v in session.scalars(select(Video))}
        assert set(rows) == {s["id"] for s in SAMPLES}
        first = rows["aaaaaaaaaa1"]
        assert first.title == "夜に駆ける / YOASOBI cover"
        assert first.romanized_title and "Yoru ni kakeru" in first.romanized_title
        assert first.channel_name == "星街すいせい"
        assert first.upload_date == date(2023, 1, 5)
        assert first.description == "歌ってみた 🎤\nMix: someone"
        assert first.duration == 215
        assert first.platform == "youtube"
        assert first.source_url == "https://www.youtube.com/watch?v=aaaaaaaaaa1"
        bili = rows["BV1xx411c7mD"]
        assert (bili.channel_id, bili.channel_name, bili.platform) == (
            "12345",
            "bilibili user",
            "bilibili",
        )
        channels = {c.channel_id: c for c in session.scalars(select(Channel))}
        assert set(channels) == {"UCsuisei0000000000000000", "UCmarine00000000000000000", "12345"}
        # The channel is named as on its newest upload.
        assert channels["UCsuisei0000000000000000"].name == "Suisei Channel"


def test_reimport_updates_without_duplicating(
    db: Database, cli_env: dict[str, str], tmp_path: Path
) -> None:
    write_samples(tmp_path / "dl")
    assert run_import(cli_env, tmp_path / "dl")[0] == 0
    changed = info("aaaaaaaaaa1", "New title", upload_date="20230105")
    (tmp_path / "again").mkdir()
    (tmp_path / "again" / "x.info.json").write_text(json.dumps(changed))
    code, out, _ = run_import(cli_env, tmp_path / "dl", tmp_path / "again")
    assert code == 0
    assert f"updated {len(SAMPLES) + 1} videos" in out
    with db.reading() as session:
        assert session.scalar(select(func.count()).select_from(Video)) == len(SAMPLES)
        title = session.scalar(select(Video.title).where(Video.video_id == "aaaaaaaaaa1"))
        assert title == "New title"


def test_bad_files_are_named_and_skipped(
    db: Database, cli_env: dict[str, str], tmp_path: Path
) -> None:
    folder = tmp_path / "dl"
    write_samples(folder, SAMPLES[:2])
    (folder / "broken.info.json").write_text('{"id": "x", "title": ')
    (folder / "notitle.info.json").write_text(json.dumps({"id": "abc"}))
    (folder / "playlist.info.json").write_text(json.dumps({"_type": "playlist", "id": "PL"}))
    code, out, err = run_import(cli_env, folder)
    assert code == 1
    assert "broken.info.json: is not valid JSON" in err
    assert "notitle.info.json: has no 'title'" in err
    assert "playlist.info.json: describes a playlist" in err
    assert "Imported 2 new" in out
    with db.reading() as session:
        assert session.scalar(select(func.count()).select_from(Video)) == 2


def test_import_without_schema_says_what_to_do(tmp_path: Path) -> None:
    env = {
        "PATCHWORK_DATABASE_URL": f"sqlite:///{tmp_path / 'empty.db'}",
        "PATCHWORK_INSTANCE_PATH": str(tmp_path / "instance"),
    }
    write_samples(tmp_path / "dl", SAMPLES[:1])
    result = CliRunner().invoke(cli, ["import", str(tmp_path / "dl")], env=env)
    assert result.exit_code == 1
    assert "run `patchwork db upgrade` first" in result.stderr
