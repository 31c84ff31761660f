"""Helpers shared by the queue and worker tests (tokens, headers, a worker's calls)."""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from patchwork.archive.tokens import create_token
from patchwork.db import Database


@dataclass(frozen=True)
class Tokens:
    queue: str
    worker: str
    worker2: str
    admin: str


@pytest.fixture
def tokens(db: Database) -> Tokens:
    return Tokens(
        queue=create_token(db, "queue", name="queuer")[1],
        worker=create_token(db, "worker", name="worker-a")[1],
        worker2=create_token(db, "worker", name="worker-b")[1],
        admin=create_token(db, "admin", name="boss")[1],
    )


# What Patchwork's worker sends to be handed jobs (the original worker gets a 403).
WORKER_CLIENT_HEADERS = {"X-Patchwork-Worker": "tests"}


def auth(secret: str) -> dict[str, str]:
    return {"X-AUTHENTICATION": secret}


def worker_auth(secret: str) -> dict[str, str]:
    """Headers of a claim: the token and the client header."""
    return {**auth(secret), **WORKER_CLIENT_HEADERS}


def enqueue(client: FlaskClient, secret: str, url: str, mode: int = 0) -> Any:
    return client.post("/api/worker/queue", json={"url": url, "mode": mode}, headers=auth(secret))


def claim(client: FlaskClient, secret: str) -> dict[str, Any] | None:
    response = client.get("/api/worker/next", headers=worker_auth(secret))
    if response.status_code == 204:
        return None
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert isinstance(body, dict)
    return body


def upload(
    client: FlaskClient, secret: str, job_id: int, kind: str, data: bytes, ext: str | None = None
) -> Any:
    query = f"?ext={ext}" if ext else ""
    return client.put(
        f"/api/worker/jobs/{job_id}/files/{kind}{query}",
        data=data,
        headers={**auth(secret), "X-Content-SHA256": hashlib.sha256(data).hexdigest()},
        content_type="application/octet-stream",
    )


def info(video_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": video_id,
        "title": f"Song {video_id}",
        "channel": "Some Channel",
        "channel_id": "UCchannel0000000000000",
        "upload_date": "20240131",
        "description": "line one\nline two",
        "duration": 212,
        "extractor": "youtube",
        "webpage_url": f"https://www.youtube.com/watch?v={video_id}",
        "ext": "webm",
        **extra,
    }


def claim_from_two_servers(first: Flask, second: Flask, tokens: Tokens, claims: int) -> list[str]:
    """Eight claimers, four per server (two per worker token), released at once, each
    claiming ``claims`` times; the answers that were neither 200 nor 204."""
    errors: list[str] = []
    start = threading.Barrier(8)

    def claimer(server: Flask, secret: str) -> None:
        client = server.test_client()
        start.wait()
        for _ in range(claims):
            response = client.get("/api/worker/next", headers=worker_auth(secret))
            if response.status_code not in (200, 204):
                errors.append(f"{response.status_code} {response.get_data(as_text=True)}")
                return

    threads = [
        threading.Thread(target=claimer, args=(server, secret))
        for server in (first, second)
        for secret in (tokens.worker, tokens.worker2, tokens.worker, tokens.worker2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors
