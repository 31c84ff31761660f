"""Issue 12, uploads and bodies: bounded, complete, never destroying a good upload."""

from __future__ import annotations

import hashlib
import io
import os
import socket
import threading
import time
from datetime import timedelta
from typing import Any, BinaryIO, cast

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update
from werkzeug.test import TestResponse

from patchwork.app import create_app
from patchwork.archive.queue import staging
from patchwork.config import Settings
from patchwork.db import Database
from patchwork.db.models import Job
from patchwork.db.types import utcnow
from patchwork.http.body_fields import MAX_JSON_BYTES
from patchwork.state import app_state
from patchwork.storage import LocalStorage, Storage, streams
from patchwork.storage.local import TMP_PREFIX
from support.queue_fixtures import Tokens, auth, claim, enqueue, upload, worker_auth
from support.worker_fixtures import LiveServer

URL = "https://youtu.be/dQw4w9WgXcQ"
GOOD = b"good video bytes " * 100

# What gunicorn (the production server) puts in the environ: it terminates the body itself,
# so werkzeug hands its stream to the app unwrapped and never notices a short body.
GUNICORN = {"wsgi.input_terminated": True}


def _job(client: FlaskClient, tokens: Tokens) -> dict[str, Any]:
    enqueue(client, tokens.queue, URL)
    job = claim(client, tokens.worker)
    assert job is not None
    return job


def _storage(app: Flask) -> Storage:
    return app_state(app).storage


def _staged(app: Flask, job: dict[str, Any]) -> dict[str, staging.StagedFile]:
    return staging.staged_files(_storage(app), job["job_id"], job["attempt"])


def _staging_entries(app: Flask, job_id: int) -> list[str]:
    """Every file under the job's staging folder, temp files included."""
    storage = _storage(app)
    assert isinstance(storage, LocalStorage)
    root = storage.root / staging.STAGING_ROOT / str(job_id)
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def _content(app: Flask, key: str) -> bytes:
    return b"".join(_storage(app).iter_object(key))


def _body(stream: Any, length: int | None) -> dict[str, Any]:
    """Environ keys for a body the test client must not rewind or measure (it would)."""
    if length is None:
        return {**GUNICORN, "wsgi.input": stream, "HTTP_TRANSFER_ENCODING": "chunked"}
    return {**GUNICORN, "wsgi.input": stream, "CONTENT_LENGTH": str(length)}


def _put(
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
        environ_overrides=_body(stream, length),
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


def test_short_body_is_refused_keeps_nothing_and_the_good_upload_survives(
    app: Flask, client: FlaskClient, tokens: Tokens
) -> None:
    job = _job(client, tokens)
    assert upload(client, tokens.worker, job["job_id"], "video", GOOD, "webm").status_code == 201
    good = _staged(app, job)["video"]

    # The client died after 10 of the 1000 bytes it announced (no X-Content-SHA256).
    answer = _put(client, tokens, job["job_id"], Source(b"0123456789"), length=1000)

    assert answer.status_code == 400, answer.get_data(as_text=True)
    assert "error" in answer.get_json()
    assert _staged(app, job) == {"video": good}
    assert _content(app, good.key) == GOOD
    assert len(_staging_entries(app, job["job_id"])) == 1  # no temp file, no partial object


def test_short_body_on_a_real_server_is_refused(live: LiveServer, app: Flask) -> None:
    job = _live_job(live)
    answer = _raw(
        live,
        f"PUT /api/worker/jobs/{job['job_id']}/files/video?ext=webm HTTP/1.1",
        ["Content-Length: 1000", "Content-Type: application/octet-stream"],
        b"0123456789",
    )
    assert answer.startswith(b"HTTP/1.1 400"), answer[:200]
    assert _staged(app, job) == {}


# -- 2. chunked JSON is capped while reading ---------------------------------------------

JSON_ROUTES = [
    ("POST", "/api/worker/queue", "queue"),
    ("POST", "/api/worker/heartbeat", "worker"),
    ("POST", "/api/worker/jobs/{job}/progress", "worker"),
    ("POST", "/api/worker/jobs/{job}/complete", "worker"),
    ("POST", "/api/worker/jobs/{job}/fail", "worker"),
    ("DELETE", "/api/storage/delete", "worker"),
]


def _json_call(
    client: FlaskClient, tokens: Tokens, job_id: int, route: tuple[str, str, str], **kw: Any
) -> TestResponse:
    method, path, role = route
    secret = tokens.queue if role == "queue" else tokens.worker
    return client.open(
        path.format(job=job_id),
        method=method,
        content_type="application/json",
        headers=auth(secret) | kw.pop("headers", {}),
        **kw,
    )


@pytest.mark.parametrize("route", JSON_ROUTES, ids=[r[1] for r in JSON_ROUTES])
def test_chunked_json_is_capped_while_reading(
    client: FlaskClient, tokens: Tokens, route: tuple[str, str, str]
) -> None:
    job = _job(client, tokens)
    body = Endless(MAX_JSON_BYTES * 2)
    answer = _json_call(
        client,
        tokens,
        job["job_id"],
        route,
        environ_overrides=_body(body, None),
    )
    assert answer.status_code == 413, answer.get_data(as_text=True)[:200]
    assert "error" in answer.get_json()
    assert body.read_bytes <= MAX_JSON_BYTES + 1024 * 1024


# -- 3. a chunked body without its final chunk ----------------------------------------------


@pytest.mark.parametrize("route", JSON_ROUTES[:2], ids=["queue", "heartbeat"])
def test_cut_chunked_json_body_is_a_400(
    client: FlaskClient, tokens: Tokens, route: tuple[str, str, str]
) -> None:
    job = _job(client, tokens)
    # werkzeug's dev server raises OSError for a chunked body that stops early.
    body = Source(b'{"url": "https://youtu.be/', fail=OSError("Input stream ended unexpectedly"))
    answer = _json_call(
        client,
        tokens,
        job["job_id"],
        route,
        environ_overrides=_body(body, None),
    )
    assert answer.status_code == 400, answer.get_data(as_text=True)[:200]
    assert "error" in answer.get_json()


def test_cut_chunked_upload_is_a_400_and_keeps_nothing(
    app: Flask, client: FlaskClient, tokens: Tokens
) -> None:
    job = _job(client, tokens)
    assert upload(client, tokens.worker, job["job_id"], "video", GOOD, "webm").status_code == 201
    good = _staged(app, job)["video"]
    body = Source(b"x" * 100_000, fail=OSError("Input stream ended unexpectedly"))
    answer = _put(client, tokens, job["job_id"], body)
    assert answer.status_code == 400, answer.get_data(as_text=True)[:200]
    assert _staged(app, job) == {"video": good}
    assert len(_staging_entries(app, job["job_id"])) == 1


def test_cut_chunked_bodies_on_a_real_server_are_a_400(live: LiveServer, app: Flask) -> None:
    job = _live_job(live)
    chunked = ["Transfer-Encoding: chunked"]
    cut_upload = _raw(
        live,
        f"PUT /api/worker/jobs/{job['job_id']}/files/video?ext=webm HTTP/1.1",
        [*chunked, "Content-Type: application/octet-stream"],
        b"a\r\n0123456789\r\n",
    )
    assert cut_upload.startswith(b"HTTP/1.1 400"), cut_upload[:300]
    assert _staged(app, job) == {}
    cut_json = _raw(
        live,
        "POST /api/worker/queue HTTP/1.1",
        [*chunked, "Content-Type: application/json"],
        b'5\r\n{"url\r\n',
        token=live.queue_token,
    )
    assert cut_json.startswith(b"HTTP/1.1 400"), cut_json[:300]


# -- 4. a failed re-upload never destroys the previous good one -----------------------------


@pytest.mark.parametrize("ext", ["webm", "mp4"])
def test_wrong_digest_reupload_keeps_the_earlier_good_upload(
    app: Flask, client: FlaskClient, tokens: Tokens, ext: str
) -> None:
    job = _job(client, tokens)
    assert upload(client, tokens.worker, job["job_id"], "video", GOOD, "webm").status_code == 201
    good = _staged(app, job)["video"]
    answer = _put(
        client,
        tokens,
        job["job_id"],
        Source(b"other bytes"),
        ext=ext,
        length=11,
        headers={"X-Content-SHA256": hashlib.sha256(b"something else").hexdigest()},
    )
    assert answer.status_code == 400
    assert _staged(app, job) == {"video": good}
    assert _content(app, good.key) == GOOD
    assert len(_staging_entries(app, job["job_id"])) == 1


def test_empty_video_reupload_keeps_the_earlier_good_upload(
    app: Flask, client: FlaskClient, tokens: Tokens
) -> None:
    job = _job(client, tokens)
    assert upload(client, tokens.worker, job["job_id"], "video", GOOD, "webm").status_code == 201
    good = _staged(app, job)["video"]
    assert upload(client, tokens.worker, job["job_id"], "video", b"", "webm").status_code == 400
    assert _staged(app, job) == {"video": good}
    assert _content(app, good.key) == GOOD


def test_a_good_reupload_replaces_the_earlier_one(
    app: Flask, client: FlaskClient, tokens: Tokens
) -> None:
    job = _job(client, tokens)
    assert upload(client, tokens.worker, job["job_id"], "video", GOOD, "webm").status_code == 201
    assert upload(client, tokens.worker, job["job_id"], "video", b"newer", "mp4").status_code == 201
    staged = _staged(app, job)["video"]
    assert (staged.ext, _content(app, staged.key)) == ("mp4", b"newer")
    assert len(_staging_entries(app, job["job_id"])) == 1  # the older one was retired


# -- 5. concurrent uploads of one kind cannot erase each other ------------------------------


class Held(io.RawIOBase):
    """A body whose first read says so, then waits until the test lets it go on."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)
        self.reading = threading.Event()
        self.go_on = threading.Event()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        self.reading.set()
        if not self.go_on.wait(30):
            raise AssertionError("the test never released this upload")
        return self._data.readinto(buffer)


def test_overlapping_uploads_of_one_kind_do_not_erase_each_other(
    app: Flask, client: FlaskClient, tokens: Tokens
) -> None:
    job = _job(client, tokens)
    first_bytes, second_bytes = b"first upload, webm", b"second upload, mp4"
    held = Held(first_bytes)
    answers: list[TestResponse] = []

    def first() -> None:
        answers.append(_put(client, tokens, job["job_id"], held, length=len(first_bytes)))

    thread = threading.Thread(target=first)
    thread.start()
    try:
        assert held.reading.wait(30)  # the first upload has its key and is streaming
        second = upload(client, tokens.worker, job["job_id"], "video", second_bytes, "mp4")
        assert second.status_code == 201, second.get_json()
    finally:
        held.go_on.set()
        thread.join(30)
    assert [a.status_code for a in answers] == [201]
    # The upload that started last wins, whichever finished last; it was never deleted.
    staged = _staged(app, job)["video"]
    assert (staged.ext, _content(app, staged.key)) == ("mp4", second_bytes)


def test_a_newer_upload_is_never_retired_by_an_older_one(local_storage: LocalStorage) -> None:
    older = staging.staged_key(7, 1, "video", "webm")
    newer = staging.staged_key(7, 1, "video", "mp4")
    assert older != newer
    local_storage.write_bytes(newer, b"newer")
    local_storage.write_bytes(older, b"older")
    staging.drop_other_extensions(local_storage, 7, 1, "video", older)
    assert local_storage.exists(newer)
    assert staging.staged_files(local_storage, 7, 1)["video"].key == newer
    staging.drop_other_extensions(local_storage, 7, 1, "video", newer)
    assert not local_storage.exists(older)


# -- 6. leftovers of dead uploads are swept ------------------------------------------------


def test_a_new_claim_drops_earlier_attempts_staging(
    app: Flask, client: FlaskClient, tokens: Tokens, db: Database
) -> None:
    job = _job(client, tokens)
    assert upload(client, tokens.worker, job["job_id"], "video", GOOD, "webm").status_code == 201
    storage = _storage(app)
    assert isinstance(storage, LocalStorage)
    # What a server killed mid-upload leaves: a temp file no listing shows.
    folder = storage.root / staging.staging_prefix(job["job_id"], job["attempt"])
    (folder / f"{TMP_PREFIX}dead.tmp").write_bytes(b"half an upload")
    failed = client.post(
        f"/api/worker/jobs/{job['job_id']}/fail",
        json={"error": "boom", "retryable": True},
        headers=auth(tokens.worker),
    )
    assert failed.status_code == 200
    with db.transaction() as session:
        session.execute(
            update(Job)
            .where(Job.id == job["job_id"])
            .values(available_at=utcnow() - timedelta(seconds=1))
        )
    again = claim(client, tokens.worker2)
    assert again is not None and again["job_id"] == job["job_id"]
    assert again["attempt"] > job["attempt"]
    assert _staging_entries(app, job["job_id"]) == []


def test_start_up_removes_only_old_temp_files_from_staging(settings: Settings) -> None:
    storage = LocalStorage(settings.storage_url.removeprefix("file://"))
    folder = storage.root / staging.staging_prefix(3, 1)
    folder.mkdir(parents=True)
    dead = folder / f"{TMP_PREFIX}dead.tmp"
    live_one = folder / f"{TMP_PREFIX}live.tmp"
    dead.write_bytes(b"x")
    live_one.write_bytes(b"y")
    long_ago = time.time() - 2 * 24 * 3600  # idle far longer than any live upload
    os.utime(dead, (long_ago, long_ago))
    started = create_app(settings)
    try:
        assert not dead.exists()
        assert live_one.exists()  # another server process may still be writing it
    finally:
        app_state(started).db.dispose()


# -- 7. deeply nested JSON ---------------------------------------------------------------


@pytest.mark.parametrize("opening", [b"[", b'{"a":'], ids=["array", "object"])
@pytest.mark.parametrize("route", JSON_ROUTES, ids=[r[1] for r in JSON_ROUTES])
def test_deeply_nested_json_is_a_400(
    client: FlaskClient, tokens: Tokens, route: tuple[str, str, str], opening: bytes
) -> None:
    job = _job(client, tokens)
    answer = _json_call(client, tokens, job["job_id"], route, data=opening * 100_000)
    assert answer.status_code == 400, answer.get_data(as_text=True)[:200]
    assert "error" in answer.get_json()


# -- 8. X-Content-SHA256 ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "digest",
    ["é" * 64, "0" * 63 + "é", "abc", "g" * 64, "0" * 65],
    ids=["non-ascii", "non-ascii-tail", "short", "not-hex", "long"],
)
def test_a_malformed_digest_is_a_400_before_the_body_is_read(
    app: Flask, client: FlaskClient, tokens: Tokens, digest: str
) -> None:
    job = _job(client, tokens)
    body = Source(GOOD)
    answer = _put(
        client, tokens, job["job_id"], body, length=len(GOOD), headers={"X-Content-SHA256": digest}
    )
    assert answer.status_code == 400, answer.get_data(as_text=True)[:200]
    assert "error" in answer.get_json()
    assert not body.touched
    assert _staging_entries(app, job["job_id"]) == []


# -- the storage side: a refused stream never becomes an object, on either backend ----------


@pytest.mark.parametrize(
    ("checks", "error"),
    [
        ({"expected_size": 10}, "StreamIncomplete"),
        ({"expected_sha256": "0" * 64}, "StreamMismatch"),
    ],
    ids=["short", "digest"],
)
def test_a_refused_stream_leaves_no_object(
    storage: Storage, checks: dict[str, Any], error: str
) -> None:
    reader = streams.HashingReader(io.BytesIO(b"abc"), **checks)
    with pytest.raises(getattr(streams, error)):
        storage.write("staging/jobs/1/1/video.x.webm", cast("BinaryIO", reader))
    assert list(storage.list("staging/")) == []


# -- helpers for the real server ---------------------------------------------------------------


def _live_job(live: LiveServer) -> dict[str, Any]:
    live.enqueue(URL)
    answer = requests.get(
        f"{live.base}/api/worker/next", headers=worker_auth(live.worker_token), timeout=10
    )
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return {"job_id": body["job_id"], "attempt": body["attempt"]}


def _raw(
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
