"""No job event, log line, response or stored row ever contains a token secret."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from patchwork.db import Database
from patchwork.db.models import Base
from support.queue_fixtures import Tokens, auth, claim, info, upload


def test_secrets_never_leak(
    client: FlaskClient, db: Database, tokens: Tokens, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    seen: list[str] = []

    def record(response: Any) -> Any:
        seen.append(response.get_data(as_text=True))
        seen.extend(f"{k}: {v}" for k, v in response.headers.items())
        return response

    vid = "dQw4w9WgXcQ"
    q, w = auth(tokens.queue), auth(tokens.worker)
    record(client.post("/api/worker/queue", data={"url": f"https://youtu.be/{vid}"}, headers=q))
    record(client.post("/api/worker/queue", data={"url": f"https://youtu.be/{vid}"}, headers=q))
    record(client.post("/api/worker/queue", data={"url": tokens.queue}, headers=q))  # 400
    record(client.get("/api/worker/queue", headers=q))
    record(client.get("/api/worker/next", headers=q))  # 403
    record(client.get("/api/worker/next", headers=auth(tokens.queue + "x")))  # 401
    record(client.get("/api/worker/next", headers=w))  # 403: no X-Patchwork-Worker
    record(client.post("/api/worker/heartbeat", data={"name": "box", "status": "up"}, headers=w))
    job = claim(client, tokens.worker)
    assert job is not None
    jid = job["job_id"]
    record(client.post(f"/api/worker/jobs/{jid}/progress", json={"percent": 50}, headers=w))
    record(upload(client, tokens.worker, jid, "video", b"bytes", "webm"))
    record(client.post(f"/api/worker/jobs/{jid}/complete", json={"video": info(vid)}, headers=w))
    record(client.post(f"/api/worker/jobs/{jid}/fail", json={"error": "x"}, headers=w))  # 409
    record(client.delete("/api/storage/delete", data={"videoId": vid}, headers=w))
    record(client.get(f"/api/worker/jobs/{jid}", headers=q))
    record(client.get("/api/status"))
    record(client.get("/"))

    stored: list[str] = []
    with db.reading() as session:
        for table in Base.metadata.sorted_tables:
            for row in session.execute(select(table)).all():
                stored.append(repr(tuple(row)))
    assert any("queuer" in s for s in stored)  # the events name the token, by name and id

    haystacks = {
        "responses": seen,
        "rows": stored,
        "logs": [r.getMessage() for r in caplog.records],
    }
    for secret in (tokens.queue, tokens.worker, tokens.worker2, tokens.admin):
        for where, texts in haystacks.items():
            assert not [t for t in texts if secret in t], f"a secret leaked into {where}"
