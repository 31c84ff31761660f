"""The original worker is told, never fed: a claim without ``X-Patchwork-Worker`` gets no job.

The original Patchwork-Worker calls only ``POST /api/worker/heartbeat`` (form name, status)
and ``GET /api/worker/next`` with its token, and treats any answer but 200 as idle.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import requests
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from patchwork import __version__
from patchwork.db import Database
from patchwork.db.models import Job, JobEvent, Worker
from patchwork.state import app_state
from patchwork.worker.client import ApiClient
from patchwork.worker.config import load_config
from support.queue_fixtures import Tokens, auth, enqueue, worker_auth

URL = "https://www.youtube.com/watch?v=dQw4w9WgXcQ"
DELETE_ID = "aaaaaaaaaaa"
# The original worker's shipped config.ini, with the keys it uses (docs/api-contract.md §6).
ORIGINAL_INI = """\
[path]
rclone_path = rclone
output_dir = output
rclone_video_target = r2:bucket/video
rclone_thumbnail_target = r2:bucket/thumbnails
rclone_metadata_target = r2:bucket/metadata
rclone_captions_target = r2:bucket/captions

[database]
host = 127.0.0.1
user = patchwork
password = db-secret
database = patchwork_archive
ssh_host =

[discord]
webhook =

[queue]
base_url = https://archive.example
worker_password = worker-secret
worker_name = old-box

[youtube]
cookies = cookies.txt
api_key = key
"""


def _beat(
    client: FlaskClient, secret: str, name: str, status: str, *, patchwork: bool = False
) -> Any:
    """A heartbeat as the original sends it (form fields, no client header), or as
    Patchwork's worker does (with it)."""
    headers = worker_auth(secret) if patchwork else auth(secret)
    return client.post(
        "/api/worker/heartbeat", data={"name": name, "status": status}, headers=headers
    )


def _jobs(db: Database) -> list[tuple[int, str, int, str | None, int | None]]:
    with db.reading() as session:
        rows = session.scalars(select(Job).order_by(Job.id)).all()
        return [(j.mode, j.state, j.attempts, j.lease_owner, j.lease_token_id) for j in rows]


def _claim_events(db: Database) -> int:
    with db.reading() as session:
        return len(session.scalars(select(JobEvent).where(JobEvent.event == "claimed")).all())


def _workers(app: Flask, client: FlaskClient) -> dict[str, dict[str, Any]]:
    app_state(app).cache.clear()  # /api/status is cached for a few seconds
    body = client.get("/api/status").get_json()
    return {w["name"]: w for w in body["workers"]}


def test_original_worker_gets_an_error_instead_of_jobs(
    app: Flask, client: FlaskClient, db: Database, tokens: Tokens
) -> None:
    assert enqueue(client, tokens.queue, URL).status_code == 201
    assert enqueue(client, tokens.admin, DELETE_ID, mode=2).status_code == 201
    queued = _jobs(db)
    assert queued == [(0, "queued", 0, None, None), (2, "queued", 0, None, None)]

    assert _beat(client, tokens.worker, "old-box", "Starting up archival").status_code == 200
    for headers in (auth(tokens.worker), {**auth(tokens.worker), "X-Patchwork-Worker": "  "}):
        refused = client.get("/api/worker/next", headers=headers)
        assert refused.status_code == 403
        error = refused.get_json()["error"]
        assert refused.get_json() == {"error": error}
        assert "`patchwork worker`" in error and "config.ini" in error
        assert "[queue] base_url, worker_password and worker_name" in error
    assert _jobs(db) == queued  # no lease, no attempt counted, the delete job untouched
    assert _claim_events(db) == 0

    # What the original does next: its heartbeat is answered and recorded as ever.
    idle = _beat(client, tokens.worker, "old-box", "Idle. Waiting for work...")
    assert (idle.status_code, idle.get_data(as_text=True)) == (200, "OK")
    old = _workers(app, client)["old-box"]
    assert old["status"] == "Idle. Waiting for work..." and old["timestamp"]
    assert old["compatible"] is False and old["client"] is None
    assert "X-Patchwork-Worker" in old["incompatible_reason"]
    assert "`patchwork worker`" in old["incompatible_reason"]
    page = client.get("/status").get_data(as_text=True)
    assert "old-box" in page and "Incompatible worker: gets no jobs." in page

    # The same machine running `patchwork worker` (same name): its first heartbeat clears
    # the mark, and its claims are fed.
    beat = _beat(client, tokens.worker, "old-box", "Starting up archival", patchwork=True)
    assert beat.status_code == 200
    claimed = client.get(
        "/api/worker/next", headers={**worker_auth(tokens.worker), "X-Worker-Name": "old-box"}
    )
    assert claimed.status_code == 200
    assert claimed.get_json()["next_video"] == URL
    assert _jobs(db)[0] == (0, "leased", 1, "old-box", _jobs(db)[0][4])
    now = _workers(app, client)["old-box"]
    assert now["compatible"] is True and now["incompatible_reason"] is None
    assert now["client"] == "tests" and now["current_job_id"] == claimed.get_json()["job_id"]
    page = client.get("/status").get_data(as_text=True)
    assert "Incompatible worker" not in page and "Client tests" in page


def test_an_unseen_claimant_gets_a_row_and_a_shared_token_marks_the_right_one(
    app: Flask, client: FlaskClient, tokens: Tokens
) -> None:
    refused = client.get("/api/worker/next", headers=auth(tokens.worker2))
    assert refused.status_code == 403
    # No heartbeat yet: the token's own name shows it, so /status can say why it idles.
    assert _workers(app, client)["worker-b"]["compatible"] is False

    # One token, two machines: a Patchwork worker and an original one.
    new_box = {**worker_auth(tokens.worker), "X-Worker-Name": "new-box"}
    beat = _beat(client, tokens.worker, "new-box", "Starting up archival", patchwork=True)
    assert beat.status_code == 200
    assert client.get("/api/worker/next", headers=new_box).status_code == 204
    assert _beat(client, tokens.worker, "old-box", "Starting up archival").status_code == 200
    assert client.get("/api/worker/next", headers=auth(tokens.worker)).status_code == 403
    shown = _workers(app, client)
    assert shown["old-box"]["compatible"] is False
    assert shown["new-box"]["compatible"] is True and shown["new-box"]["client"] == "tests"


def test_tokens_are_checked_first_and_bad_client_values_refused(
    client: FlaskClient, db: Database, tokens: Tokens
) -> None:
    assert enqueue(client, tokens.queue, URL).status_code == 201
    for headers in ({"X-AUTHENTICATION": "not-a-token"}, worker_auth("not-a-token")):
        answer = client.get("/api/worker/next", headers=headers)
        assert answer.status_code == 401 and "error" in answer.get_json()
    assert client.get("/api/worker/next", headers=auth(tokens.queue)).status_code == 403
    for value in ("x" * 65, "two words"):
        headers = {**auth(tokens.worker), "X-Patchwork-Worker": value}
        answer = client.get("/api/worker/next", headers=headers)
        assert answer.status_code == 400
        assert "X-Patchwork-Worker" in answer.get_json()["error"]
        beat = client.post("/api/worker/heartbeat", data={"status": "x"}, headers=headers)
        assert beat.status_code == 400
    assert _jobs(db) == [(0, "queued", 0, None, None)]
    with db.reading() as session:
        assert session.scalars(select(Worker)).all() == []  # refused before being recorded
    version = {**auth(tokens.worker), "X-Patchwork-Worker": "0.1.0.dev3+g1a2b3c"}
    assert client.get("/api/worker/next", headers=version).status_code == 200
    # A claim with the header writes nothing about its client: heartbeats record it.
    with db.reading() as session:
        assert session.scalars(select(Worker)).all() == []


def test_the_reference_worker_names_itself_on_every_call() -> None:
    session = requests.Session()
    ApiClient("http://archive.invalid", "secret", "box1", session=session)
    assert session.headers["X-Patchwork-Worker"] == __version__
    assert session.headers["X-AUTHENTICATION"] == "secret"


def test_the_original_config_ini_works_unchanged(tmp_path: Path, monkeypatch: Any) -> None:
    # What the 403 promises: `patchwork worker` run where config.ini is reads it as it is.
    (tmp_path / "config.ini").write_text(ORIGINAL_INI, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    config = load_config({}, environ={})
    assert (config.server, config.token, config.name) == (
        "https://archive.example",
        "worker-secret",
        "old-box",
    )
    assert config.cookies == "cookies.txt"
    assert load_config({}, environ={}, config_path=str(tmp_path / "config.ini")) == config
