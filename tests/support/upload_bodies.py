"""Jobs, bodies and streams for the upload tests: short, endless and cut request bodies.

Plain helpers (no fixtures), imported by tests/archive/queue/test_integrity_uploads.py and
test_integrity_staging.py.
"""

from __future__ import annotations

import io
import socket
from typing import Any

import requests
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from patchwork.archive.queue import staging
from patchwork.state import app_state
from patchwork.storage import LocalStorage, Storage
from support.queue_fixtures import Tokens, auth, claim, enqueue, worker_auth
from support.worker_fixtures import LiveServer

URL = "https://youtu.be/dQw4w9WgXcQ"
GOOD = b"good video bytes " * 100

# What gunicorn (the production server) puts in the environ: it terminates the body itself,
# so werkzeug hands its stream to the app unwrapped and never notices a short body.
GUNICORN = {"wsgi.input_terminated": True}


def claimed_job(client: FlaskClient, tokens: Tokens) -> dict[str, Any]:
    enqueue(client, tokens.queue, URL)
    job = claim(client, tokens.worker)
    assert job is not None
    return job


def storage_of(app: Flask) -> Storage:
    return app_state(app).storage


def staged_of(app: Flask, job: dict[str, Any]) -> dict[str, staging.StagedFile]:
    return staging.staged_files(storage_of(app), job["job_id"], job["attempt"])


def staging_entries(app: Flask, job_id: int) -> list[str]:
    """Every file under the job's staging folder, temp files included."""
    storage = storage_of(app)
    assert isinstance(storage, LocalStorage)
    root = storage.root / staging.STAGING_ROOT / str(job_id)
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def content_of(app: Flask, key: str) -> bytes:
    return b"".join(storage_of(app).iter_object(key))


def body_of(stream: Any, length: int | None) -> dict[str, Any]:
    """Environ keys for a body the test client must not rewind or measure (it would)."""
    if length is None:
        return {**GUNICORN, "wsgi.input": stream, "HTTP_TRANSFER_ENCODING": "chunked"}
    return {**GUNICORN, "wsgi.input": stream, "CONTENT_LENGTH": str(length)}


def put_upload(
    client: FlaskClient,
    tokens: Tokens,
    job_id: int,
    stream: Any,
    *,
    kind: str = "video",
    ext: str = "webm",
    length: int | None = None,
    headers: dict[str, str] | None = None,
) -> TestResponse:
    return client.put(
        f"/api/worker/jobs/{job_id}/files/{kind}?ext={ext}",
        content_type="application/octet-stream",
        headers={**auth(tokens.worker), **(headers or {})},
        environ_overrides=body_of(stream, length),
    )


class Source(io.RawIOBase):
    """A request body: ``data``, then either the end or, with ``fail``, a broken stream."""

    def __init__(self, data: bytes, *, fail: BaseException | None = None) -> None:
        self._data = data
        self._fail = fail
        self.read_bytes = 0
        self.touched = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        self.touched = True
        if self.read_bytes >= len(self._data):
            if self._fail is not None:
                raise self._fail
            return 0
        n = min(len(buffer), len(self._data) - self.read_bytes, 64 * 1024)
        buffer[:n] = self._data[self.read_bytes : self.read_bytes + n]
        self.read_bytes += n
        return n


class Endless(io.RawIOBase):
    """A chunked JSON body of ``total`` bytes that counts how much the server read."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.read_bytes = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = min(len(buffer), self.total - self.read_bytes)
        if n <= 0:
            return 0
        head = b'{"url": "' if self.read_bytes == 0 else b""
        chunk = (head + b"x" * n)[:n]
        buffer[:n] = chunk
        self.read_bytes += n
        return n


# -- 1. a body shorter than its Content-Length ---------------------------------------------


# -- the real server --------------------------------------------------------------------------


def live_claimed_job(live: LiveServer) -> dict[str, Any]:
    live.enqueue(URL)
    answer = requests.get(
        f"{live.base}/api/worker/next", headers=worker_auth(live.worker_token), timeout=10
    )
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return {"job_id": body["job_id"], "attempt": body["attempt"]}


def raw_request(
    live: LiveServer, request_line: str, headers: list[str], body: bytes, token: str | None = None
) -> bytes:
    """Send a request whose body stops early (the client half-closes), return the answer."""
    host, port = live.base.removeprefix("http://").split(":")
    lines = [
        request_line,
        f"Host: {host}",
        f"X-AUTHENTICATION: {token or live.worker_token}",
        "Connection: close",
        *headers,
    ]
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        sock.shutdown(socket.SHUT_WR)
        return b"".join(iter(lambda: sock.recv(65536), b""))
