"""A re-archive or re-import keeps what a new download lacks, and a video stays whose it is.

Issue 12, on every database: a job for a generic URL cannot take over an archived video, mode 0
never replaces one, a generic target is pinned to its first id, a scan adopts no leftovers.
"""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from patchwork.archive.maintenance.scan import scan_storage
from patchwork.cli import cli
from patchwork.db import Database
from patchwork.state import app_state
from support.archive_samples import info as sample_info
from support.archive_samples import write_samples
from support.completion_steps import (
    archive,
    assert_files_match_rows,
    served,
    vid,
)
from support.queue_fixtures import Tokens, auth, info
from support.stored_files import caption_keys

# ---- what a new download lacks is kept ---------------------------------------------------


def test_a_rearchive_without_thumbnail_or_a_caption_keeps_them(
    app: Flask, client: FlaskClient, db: Database, tokens: Tokens
) -> None:
    video_id = vid(2)
    first = archive(
        client, tokens, video_id, b"first", captions={"en": b"WEBVTT en", "ja": b"WEBVTT ja"}
    )
    assert first.status_code == 200
    second = archive(
        client, tokens, video_id, b"second", mode=1, thumbnail=None, captions={"en": b"WEBVTT 2"}
    )
    assert second.status_code == 200, second.get_json()
    assert served(client, "video", video_id) == (200, b"second")
    assert served(client, "thumbnail", video_id) == (200, b"\xff\xd8 thumb")
    tracks = caption_keys(db, video_id)
    assert set(tracks) == {("en", "vtt"), ("ja", "vtt")}
    storage = app_state(app).storage
    assert b"".join(storage.iter_object(tracks[("en", "vtt")])) == b"WEBVTT 2"
    assert b"".join(storage.iter_object(tracks[("ja", "vtt")])) == b"WEBVTT ja"
    page = client.get(f"/watch?v={video_id}")
    assert page.status_code == 200
    assert assert_files_match_rows(app) == 4  # video, thumbnail, two captions
    # The replaced video's object was deleted after the commit; one object per kind left.
    assert len(list(storage.list(f"video/{video_id}."))) == 1


def test_a_reimport_without_thumbnail_or_a_caption_keeps_them(
    app: Flask, client: FlaskClient, db: Database, cli_env: dict[str, str], tmp_path: Path
) -> None:
    sample = sample_info("reimport001", "Twice imported")
    first = tmp_path / "first"
    write_samples(first, [sample])
    (first / "reimport001.ja.vtt").write_text("WEBVTT\n\nja")
    env = {**cli_env, "PATCHWORK_STORAGE_URL": app_state(app).settings.storage_url}
    assert CliRunner().invoke(cli, ["import", str(first)], env=env).exit_code == 0
    _, thumbnail = served(client, "thumbnail", "reimport001")
    second = tmp_path / "second"
    write_samples(second, [sample])
    (second / "reimport001.jpg").unlink()
    result = CliRunner().invoke(cli, ["import", str(second)], env=env)
    assert result.exit_code == 0, result.output
    assert served(client, "thumbnail", "reimport001") == (200, thumbnail)
    assert set(caption_keys(db, "reimport001")) == {("en", "vtt"), ("ja", "vtt")}
    assert assert_files_match_rows(app) == 4


# ---- identity ------------------------------------------------------------------------------


def test_a_generic_job_cannot_take_over_an_archived_video(
    app: Flask, client: FlaskClient, db: Database, tokens: Tokens
) -> None:
    victim = vid(3)
    assert archive(client, tokens, victim, b"the real one").status_code == 200
    for mode, expected in ((0, 200), (1, 409)):
        url = f"https://attacker.example/{mode}"
        meta = info(victim, extractor="generic", webpage_url=url, title="planted")
        answer = archive(client, tokens, victim, b"planted", url=url, mode=mode, meta=meta)
        assert answer.status_code == expected, answer.get_json()
        if expected == 200:
            assert answer.get_json()["kept_existing"] is True
    assert served(client, "video", victim) == (200, b"the real one")
    assert client.get(f"/api/video/{victim}").get_json()["title"] == f"Song {victim}"
    assert assert_files_match_rows(app) == 2


def test_mode_0_never_replaces_an_archived_video(
    client: FlaskClient, db: Database, tokens: Tokens
) -> None:
    video_id = vid(4)
    assert archive(client, tokens, video_id, b"kept").status_code == 200
    again = archive(client, tokens, video_id, b"not this", meta=info(video_id, title="New"))
    assert again.status_code == 200, again.get_json()
    assert again.get_json()["kept_existing"] is True and again.get_json()["files"] == []
    assert served(client, "video", video_id) == (200, b"kept")
    assert client.get(f"/api/video/{video_id}").get_json()["title"] == f"Song {video_id}"
    replaced = archive(client, tokens, video_id, b"replaced", mode=1)
    assert replaced.status_code == 200
    assert served(client, "video", video_id) == (200, b"replaced")


def test_a_generic_target_is_pinned_to_the_id_it_first_reported(
    client: FlaskClient, tokens: Tokens
) -> None:
    url = "https://videos.example.org/watch/pinned"
    first = info("pinnedvid01", extractor="generic", webpage_url=url)
    assert archive(client, tokens, "pinnedvid01", b"one", url=url, meta=first).status_code == 200
    other = info("othervid001", extractor="generic", webpage_url=url)
    answer = archive(client, tokens, "othervid001", b"two", url=url, mode=1, meta=other)
    assert answer.status_code == 409 and "pinnedvid01" in answer.get_json()["error"]
    assert client.get("/api/video/othervid001").status_code == 404
    (refused,) = client.get(
        "/api/worker/queue?state=leased", headers=auth(tokens.queue)
    ).get_json()["jobs"]
    failed = client.post(
        f"/api/worker/jobs/{refused['job_id']}/fail",
        json={"error": "identity refused", "retryable": False},
        headers=auth(tokens.worker),
    )
    assert failed.status_code == 200
    again = archive(client, tokens, "pinnedvid01", b"three", url=url, mode=1, meta=first)
    assert again.status_code == 200
    assert served(client, "video", "pinnedvid01") == (200, b"three")


def test_storage_scan_never_adopts_a_leftover_version(
    app: Flask, client: FlaskClient, db: Database, tokens: Tokens
) -> None:
    """An object a crashed completion left (a version no row references) stays an orphan:
    adopting it would switch what the archive serves behind its back."""
    video_id = vid(5)
    assert archive(client, tokens, video_id, b"kept", thumbnail=None).status_code == 200
    storage = app_state(app).storage
    leftover = f"thumbnails/{video_id}.j99a1-0123abcd.jpg"
    storage.write_bytes(leftover, b"\xff\xd8 planted")
    report = scan_storage(db, storage)
    assert leftover in report.orphans.names
    assert served(client, "thumbnail", video_id)[0] == 404
