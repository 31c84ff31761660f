"""Issue 12, uploads and bodies: bounded, complete, never destroying a good upload."""

from __future__ import annotations

import io
from typing import Any, BinaryIO, cast

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from patchwork.http.body_fields import MAX_JSON_BYTES
from patchwork.storage import Storage, streams
from support.queue_fixtures import Tokens, auth, upload
from support.upload_bodies import (
    GOOD,
    Endless,
    Source,
    body_of,
    claimed_job,
    content_of,
    live_claimed_job,
    put_upload,
    raw_request,
    staged_of,
    staging_entries,
)
from support.worker_fixtures import LiveServer


def test_short_body_is_refused_keeps_nothing_and_the_good_upload_survives(
    app: Flask, client: FlaskClient, tokens: Tokens
) -> None:
    job = claimed_job(client, tokens)
    assert upload(client, tokens.worker, job["job_id"], "video", GOOD, "webm").status_code == 201
    good = staged_of(app, job)["video"]

    # The client died after 10 of the 1000 bytes it announced (no X-Content-SHA256).
    answer = put_upload(client, tokens, job["job_id"], Source(b"0123456789"), length=1000)

    assert answer.status_code == 400, answer.get_data(as_text=True)
    assert "error" in answer.get_json()
    assert staged_of(app, job) == {"video": good}
    assert content_of(app, good.key) == GOOD
    assert len(staging_entries(app, job["job_id"])) == 1  # no temp file, no partial object


def test_short_body_on_a_real_server_is_refused(live: LiveServer, app: Flask) -> None:
    job = live_claimed_job(live)
    answer = raw_request(
        live,
        f"PUT /api/worker/jobs/{job['job_id']}/files/video?ext=webm HTTP/1.1",
        ["Content-Length: 1000", "Content-Type: application/octet-stream"],
        b"0123456789",
    )
    assert answer.startswith(b"HTTP/1.1 400"), answer[:200]
    assert staged_of(app, job) == {}


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
    job = claimed_job(client, tokens)
    body = Endless(MAX_JSON_BYTES * 2)
    answer = _json_call(
        client,
        tokens,
        job["job_id"],
        route,
        environ_overrides=body_of(body, None),
    )
    assert answer.status_code == 413, answer.get_data(as_text=True)[:200]
    assert "error" in answer.get_json()
    assert body.read_bytes <= MAX_JSON_BYTES + 1024 * 1024


# -- 3. a chunked body without its final chunk ----------------------------------------------


@pytest.mark.parametrize("route", JSON_ROUTES[:2], ids=["queue", "heartbeat"])
def test_cut_chunked_json_body_is_a_400(
    client: FlaskClient, tokens: Tokens, route: tuple[str, str, str]
) -> None:
    job = claimed_job(client, tokens)
    # werkzeug's dev server raises OSError for a chunked body that stops early.
    body = Source(b'{"url": "https://youtu.be/', fail=OSError("Input stream ended unexpectedly"))
    answer = _json_call(
        client,
        tokens,
        job["job_id"],
        route,
        environ_overrides=body_of(body, None),
    )
    assert answer.status_code == 400, answer.get_data(as_text=True)[:200]
    assert "error" in answer.get_json()


def test_cut_chunked_upload_is_a_400_and_keeps_nothing(
    app: Flask, client: FlaskClient, tokens: Tokens
) -> None:
    job = claimed_job(client, tokens)
    assert upload(client, tokens.worker, job["job_id"], "video", GOOD, "webm").status_code == 201
    good = staged_of(app, job)["video"]
    body = Source(b"x" * 100_000, fail=OSError("Input stream ended unexpectedly"))
    answer = put_upload(client, tokens, job["job_id"], body)
    assert answer.status_code == 400, answer.get_data(as_text=True)[:200]
    assert staged_of(app, job) == {"video": good}
    assert len(staging_entries(app, job["job_id"])) == 1


def test_cut_chunked_bodies_on_a_real_server_are_a_400(live: LiveServer, app: Flask) -> None:
    job = live_claimed_job(live)
    chunked = ["Transfer-Encoding: chunked"]
    cut_upload = raw_request(
        live,
        f"PUT /api/worker/jobs/{job['job_id']}/files/video?ext=webm HTTP/1.1",
        [*chunked, "Content-Type: application/octet-stream"],
        b"a\r\n0123456789\r\n",
    )
    assert cut_upload.startswith(b"HTTP/1.1 400"), cut_upload[:300]
    assert staged_of(app, job) == {}
    cut_json = raw_request(
        live,
        "POST /api/worker/queue HTTP/1.1",
        [*chunked, "Content-Type: application/json"],
        b'5\r\n{"url\r\n',
        token=live.queue_token,
    )
    assert cut_json.startswith(b"HTTP/1.1 400"), cut_json[:300]


# -- 4. a failed re-upload never destroys the previous good one -----------------------------


@pytest.mark.parametrize("opening", [b"[", b'{"a":'], ids=["array", "object"])
@pytest.mark.parametrize("route", JSON_ROUTES, ids=[r[1] for r in JSON_ROUTES])
def test_deeply_nested_json_is_a_400(
    client: FlaskClient, tokens: Tokens, route: tuple[str, str, str], opening: bytes
) -> None:
    job = claimed_job(client, tokens)
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
    job = claimed_job(client, tokens)
    body = Source(GOOD)
    answer = put_upload(
        client, tokens, job["job_id"], body, length=len(GOOD), headers={"X-Content-SHA256": digest}
    )
    assert answer.status_code == 400, answer.get_data(as_text=True)[:200]
    assert "error" in answer.get_json()
    assert not body.touched
    assert staging_entries(app, job["job_id"]) == []


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
