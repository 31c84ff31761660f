"""The availability rows and history objects over a video's life: created with the video on
every path that creates one, kept through a re-archive and a storage scan, gone with it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from patchwork.archive.availability import history
from patchwork.archive.ingest.folders import find_downloads, import_downloads
from patchwork.archive.maintenance.scan import scan_storage
from patchwork.db import Database
from patchwork.db.models import AvailabilityCheck, VideoAvailability, VideoVersion
from patchwork.state import app_state
from support.check_steps import answer, archived, checked, claim_check
from support.completion_steps import archive
from support.queue_fixtures import Tokens, auth, claim, enqueue, info


def _history_keys(app: Flask, video_id: str) -> list[str]:
    return sorted(o.key for o in app_state(app).storage.list(f"history/{video_id}/"))


def _changed(client: FlaskClient, db: Database, tokens: Tokens, video_id: str) -> None:
    archived(client, tokens, video_id)
    checked(client, db, tokens, video_id, "available", video=info(video_id, title="Renamed"))


def test_an_imported_folder_video_gets_its_availability_row(
    db: Database, app: Flask, tmp_path: Path
) -> None:
    folder = tmp_path / "downloads"
    folder.mkdir()
    (folder / "imp00000001.info.json").write_text(json.dumps(info("imp00000001")))
    (folder / "imp00000001.webm").write_bytes(b"video")
    report = import_downloads(db, app_state(app).storage, find_downloads([folder]))
    assert report.created == 1
    with db.reading() as session:
        row = session.get(VideoAvailability, "imp00000001")
        assert row is not None and row.state == "unknown" and row.checks == 0


def test_deleting_a_video_deletes_its_availability_history_and_their_objects(
    app: Flask, client: FlaskClient, db: Database, tokens: Tokens
) -> None:
    _changed(client, db, tokens, "del00000001")
    assert len(_history_keys(app, "del00000001")) == 3  # v1 info + thumbnail, v2 info
    assert enqueue(client, tokens.admin, "del00000001", mode=2).status_code in (200, 201)
    job = claim(client, tokens.worker)
    assert job is not None and job["mode"] == 2
    response = client.post(
        f"/api/worker/jobs/{job['job_id']}/complete", json={}, headers=auth(tokens.worker)
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    assert _history_keys(app, "del00000001") == []
    with db.reading() as session:
        for model in (VideoAvailability, AvailabilityCheck, VideoVersion):
            assert session.scalar(select(func.count()).select_from(model)) == 0, model


def test_a_re_archive_and_a_storage_scan_keep_the_history(
    app: Flask, client: FlaskClient, db: Database, tokens: Tokens
) -> None:
    _changed(client, db, tokens, "keep0000001")
    before = _history_keys(app, "keep0000001")
    response = archive(client, tokens, "keep0000001", b"a new download", mode=1)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert _history_keys(app, "keep0000001") == before
    report = scan_storage(db, app_state(app).storage)
    listed = report.orphans.names + report.unknown.names
    assert not [key for key in listed if key.startswith("history/")]
    assert _history_keys(app, "keep0000001") == before
    with db.reading() as session:
        assert session.scalar(select(func.count()).select_from(VideoVersion)) == 2
        assert session.get(VideoAvailability, "keep0000001") is not None


def test_a_video_deleted_while_its_check_runs_keeps_no_version_objects(
    app: Flask, client: FlaskClient, db: Database, tokens: Tokens, monkeypatch: pytest.MonkeyPatch
) -> None:
    archived(client, tokens, "late0000001")
    job = claim_check(client, db, tokens, "late0000001")
    assert enqueue(client, tokens.admin, "late0000001", mode=2).status_code in (200, 201)
    read = history.read_baseline

    def read_then_delete(*args: Any, **kwargs: Any) -> Any:
        found = read(*args, **kwargs)  # the check compares with it, then places a version
        deleting = claim(client, tokens.worker2)
        assert deleting is not None and deleting["mode"] == 2
        url = f"/api/worker/jobs/{deleting['job_id']}/complete"
        assert client.post(url, json={}, headers=auth(tokens.worker2)).status_code == 200
        return found

    monkeypatch.setattr(history, "read_baseline", read_then_delete)
    response = answer(client, tokens, job, "available", video=info("late0000001", title="Renamed"))
    assert response.status_code == 200, response.get_data(as_text=True)
    assert _history_keys(app, "late0000001") == []
    with db.reading() as session:
        for model in (VideoAvailability, AvailabilityCheck, VideoVersion):
            assert session.scalar(select(func.count()).select_from(model)) == 0, model
