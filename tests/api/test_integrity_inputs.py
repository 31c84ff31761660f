"""Hostile input answers a 4xx JSON error, never a 500 (issue 12)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient

from patchwork.app import create_app
from patchwork.archive.ingest.info_json import IngestError, parse_info
from patchwork.archive.tokens import create_token
from patchwork.cli import cli
from patchwork.config import Settings
from patchwork.db import Database
from support.archive_samples import info as sample_info
from support.archive_samples import write_samples
from support.queue_fixtures import auth, claim, info, upload


def test_metrics_bearer_with_non_ascii_is_refused(settings: Settings) -> None:
    app = create_app(settings.with_environment({"PATCHWORK_METRICS_TOKEN": "s3cret"}))
    client = app.test_client()
    # Werkzeug decodes header bytes as latin-1, so "ü" arrives as a non-ASCII str.
    answer = client.get("/metrics", headers={"Authorization": "Bearer \u00fc"})
    assert answer.status_code == 401
    assert answer.get_json() == {"error": "Authentication required"}
    assert client.get("/metrics", headers={"Authorization": "Bearer s3cret"}).status_code == 200


def test_worker_secret_with_non_ascii_is_refused(client: FlaskClient) -> None:
    answer = client.get("/api/worker/next", headers={"X-AUTHENTICATION": "\u00fc\u00e9"})
    assert answer.status_code == 401
    assert answer.get_json() == {"error": "Invalid or revoked token"}


def test_job_ids_beyond_bigint_are_404_json(client: FlaskClient) -> None:
    huge = 2**63
    for method, path in [
        ("GET", f"/api/worker/jobs/{huge}"),
        ("POST", f"/api/worker/jobs/{huge}/progress"),
        ("POST", f"/api/worker/jobs/{huge}/complete"),
        ("POST", f"/api/worker/jobs/{huge}/fail"),
        ("DELETE", f"/api/worker/queue/{huge}"),
    ]:
        answer = client.open(path, method=method, json={})
        assert answer.status_code == 404, (method, path, answer.status_code)
        assert "error" in (answer.get_json() or {}), (method, path)


NUL_URLS = [
    "/api/video/%00",
    "/api/channel/%00",
    "/api/channel_name?channel_id=%00",
    "/api/database/video_data/%00",
    "/watch?v=%00",
]


def test_a_nul_in_an_id_is_a_404_json(client: FlaskClient) -> None:
    """PostgreSQL refuses NUL in text: these were 500s there."""
    for url in NUL_URLS:
        response = client.get(url)
        assert response.status_code == 404, url
        assert "NUL" in response.get_json()["error"], url


def test_ids_with_a_slash_or_control_characters_are_refused(
    client: FlaskClient, db: Database, tmp_path: Path, cli_env: dict[str, str]
) -> None:
    tokens = {"queue": create_token(db, "queue")[1], "worker": create_token(db, "worker")[1]}
    for bad in ("a/b", "a\\b", "..", "a\nb"):
        with pytest.raises(IngestError):
            parse_info(info(bad))
    url = "https://videos.example.org/slash"
    client.post("/api/worker/queue", json={"url": url}, headers=auth(tokens["queue"]))
    job = claim(client, tokens["worker"])
    assert job is not None
    upload(client, tokens["worker"], job["job_id"], "video", b"x", "webm")
    answer = client.post(
        f"/api/worker/jobs/{job['job_id']}/complete",
        json={"video": info("a/b", extractor="generic", webpage_url=url)},
        headers=auth(tokens["worker"]),
    )
    assert answer.status_code == 400 and "cannot name a video" in answer.get_json()["error"]
    folder = tmp_path / "dl"
    write_samples(folder, [sample_info("ok000000001", "Fine")])
    (folder / "child.info.json").write_text(json.dumps(sample_info("x/child", "Bad")))
    (folder / "child.webm").write_bytes(b"\x1a\x45\xdf\xa3")
    result = CliRunner().invoke(cli, ["import", str(folder)], env=cli_env)
    assert result.exit_code == 1 and "cannot name a video" in result.stderr
    assert client.get("/api/video/ok000000001").status_code == 200


def test_control_characters_in_a_path_cannot_forge_a_log_line(
    client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="patchwork.request")
    with client.get("/api/video/x%0AGET%20/admin%20200%0D%1B[31m") as response:
        response.get_data()  # the line is written when the answer is closed
    lines = [r.getMessage() for r in caplog.records if r.name == "patchwork.request"]
    assert lines, caplog.records
    for line in lines:
        assert "\n" not in line and "\r" not in line and "\x1b" not in line
        assert "\\x0a" in line


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("PATCHWORK_DATABASE_URL", "mysql+pymysql://archivist:s3cretpw@db.example:port/x"),
        ("PATCHWORK_DATABASE_URL", "oracle://archivist:s3cretpw@db.example/x"),
        ("PATCHWORK_REDIS_URL", "redis://:s3cretpw@cache.example:port/0"),
        ("PATCHWORK_REDIS_URL", "http://archivist:s3cretpw@cache.example/0"),
        ("PATCHWORK_STORAGE_URL", "ftp://archivist:s3cretpw@files.example/x"),
    ],
)
def test_a_mistyped_url_never_echoes_its_password(
    cli_env: dict[str, str], name: str, value: str
) -> None:
    result = CliRunner().invoke(cli, ["db", "upgrade"], env={**cli_env, name: value})
    assert result.exit_code != 0
    assert name in result.output and "s3cretpw" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
