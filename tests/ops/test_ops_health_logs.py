"""Health checks, request logs with request ids, and no secret in any log line."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from patchwork.app import create_app
from patchwork.archive.tokens import create_token
from patchwork.config import Settings
from patchwork.db import Database
from patchwork.state import app_state
from support.queue_fixtures import WORKER_CLIENT_HEADERS


def test_healthz_answers_without_touching_anything(tmp_path: Path) -> None:
    # A database that does not exist: /healthz must not care.
    settings = Settings(
        instance_path=tmp_path,
        database_url="mysql+pymysql://nobody@127.0.0.1:1/none",
        storage_url=f"file://{tmp_path / 'archive'}",
    )
    with create_app(settings).test_client() as client:
        response = client.get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}


def test_readyz_is_ready_on_a_migrated_database(client: FlaskClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ready"
    assert {name for name, check in body["checks"].items() if check["ok"]} == {
        "database",
        "migrations",
        "storage",
    }


def test_readyz_names_an_unmigrated_database(tmp_path: Path) -> None:
    settings = Settings(
        instance_path=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'empty.db'}",
        storage_url=f"file://{tmp_path / 'archive'}",
    )
    app = create_app(settings)
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["failed"] == ["migrations"] and "migrations" in body["error"]
    assert body["checks"]["migrations"]["current"] is None
    app_state(app).db.dispose()


def test_readyz_names_missing_storage(app: Flask, settings: Settings) -> None:
    storage = app_state(app).storage  # opened, then taken away
    shutil.rmtree(settings.instance_path / "archive")
    response = app.test_client().get("/readyz")
    assert response.status_code == 503 and storage is not None
    assert response.get_json()["failed"] == ["storage"]
    assert response.headers["Retry-After"]


def test_readyz_names_an_unreachable_database(tmp_path: Path) -> None:
    settings = Settings(
        instance_path=tmp_path,
        database_url="mysql+pymysql://nobody@127.0.0.1:1/none",
        storage_url=f"file://{tmp_path / 'archive'}",
    )
    response = create_app(settings).test_client().get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["failed"] == ["database", "migrations"]
    assert body["error"] == "Not ready: database, migrations"
    assert "nobody" not in response.get_data(as_text=True)  # no connection details leak


def test_request_id_is_made_or_kept_and_echoed(client: FlaskClient) -> None:
    made = client.get("/api/recently_archived")
    assert len(made.headers["X-Request-ID"]) == 32
    kept = client.get("/api/recently_archived", headers={"X-Request-ID": "lb-1234.abc"})
    assert kept.headers["X-Request-ID"] == "lb-1234.abc"
    forged = client.get("/api/recently_archived", headers={"X-Request-ID": "a b=c" + "x" * 80})
    assert len(forged.headers["X-Request-ID"]) == 32
    missing = client.get("/api/video/none")
    assert missing.status_code == 404 and missing.headers["X-Request-ID"]


def test_one_line_per_request_with_route_status_bytes_and_id(
    client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="patchwork.request")
    with client.get("/api/video/abc?page=1", headers={"X-Request-ID": "req-42"}) as response:
        size = len(response.get_data())
    lines = [r for r in caplog.records if r.name == "patchwork.request"]
    assert len(lines) == 1
    fields = lines[0].fields  # type: ignore[attr-defined]
    assert fields["method"] == "GET"
    assert fields["path"] == "/api/video/abc"  # the query string is never logged
    assert fields["route"] == "/api/video/<video_id>"
    assert fields["status"] == 404
    assert fields["bytes"] == size
    assert fields["request_id"] == "req-42"
    assert fields["duration_ms"] >= 0
    message = lines[0].getMessage()
    assert "req-42" in message and "/api/video/<video_id> 404" in message


def test_json_log_lines(settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    app = create_app(settings.with_environment({"PATCHWORK_LOG_FORMAT": "json"}))
    try:
        with app.test_client() as client, client.get("/healthz") as response:
            assert response.status_code == 200
        lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line]
        request_lines = [line for line in lines if line["logger"] == "patchwork.request"]
        assert len(request_lines) == 1
        entry = request_lines[0]
        assert entry["route"] == "/healthz" and entry["status"] == 200
        assert entry["request_id"] == response.headers["X-Request-ID"]
        assert {"time", "level", "message", "method", "duration_ms", "bytes"} <= set(entry)
    finally:
        create_app(settings)  # back to text lines for the tests that follow
        app_state(app).db.dispose()


def test_no_secret_reaches_the_log(
    app: Flask, db: Database, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)
    _, queue_secret = create_token(db, "queue", name="q")
    _, worker_secret = create_token(db, "worker", name="w")
    metrics_secret = "metrics-secret-7f3a"
    with app.test_client() as client:
        for headers in (
            {"X-AUTHENTICATION": queue_secret},
            {"Authorization": f"Bearer {queue_secret}"},
        ):
            client.post(
                "/api/worker/queue", data={"url": "https://youtu.be/abcdefghijk"}, headers=headers
            ).close()
        claim = {"X-AUTHENTICATION": worker_secret, **WORKER_CLIENT_HEADERS}
        client.get("/api/worker/next", headers=claim).close()
        client.post(
            "/api/worker/heartbeat",
            data={"name": "w1", "status": "idle"},
            headers={"Authorization": f"Bearer {worker_secret}"},
        ).close()
        # Wrong places for a secret: a query string, a bad token, the metrics token.
        client.get(f"/api/recently_archived?token={worker_secret}").close()
        client.get("/api/worker/next", headers={"X-AUTHENTICATION": worker_secret + "x"}).close()
        client.get("/metrics", headers={"Authorization": f"Bearer {metrics_secret}"}).close()
    logged = "\n".join(r.getMessage() + repr(r.__dict__) for r in caplog.records)
    logged += capsys.readouterr().err
    assert "patchwork.request" in logged and "/api/worker/next" in logged
    for secret in (queue_secret, worker_secret, metrics_secret):
        assert secret not in logged
