"""The worker protocol over HTTP: enqueue, claim, heartbeat, upload, complete, fail."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from patchwork.db import Database
from patchwork.db.models import Caption, Channel, Job, StoredFile, Video, Worker
from patchwork.db.types import utcnow
from patchwork.state import app_state
from support.queue_fixtures import Tokens, auth, claim, enqueue, info, upload, worker_auth
from support.stored_files import caption_keys, file_key, stored_bytes

VID = "dQw4w9WgXcQ"
URL = f"https://youtu.be/{VID}?t=42"
VIDEO = b"\x1aE\xdf\xa3 fake webm " * 1000


def _rows(db: Database, model: type) -> int:
    with db.reading() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_enqueue_text_answers_and_dedup(client: FlaskClient, tokens: Tokens) -> None:
    first = client.post(
        "/api/worker/queue", data={"url": URL, "mode": "0"}, headers=auth(tokens.queue)
    )
    assert (first.status_code, first.get_data(as_text=True)) == (200, "OK")
    again = client.post(
        "/api/worker/queue",
        data={"url": f"https://www.youtube.com/watch?v={VID}&list=x"},
        headers=auth(tokens.queue),
    )
    assert again.get_data(as_text=True) == "Already queued"
    listed = client.get("/api/worker/queue", headers=auth(tokens.queue)).get_json()["jobs"]
    assert [(j["target"], j["url"], j["state"]) for j in listed] == [
        (f"youtube:{VID}", f"https://www.youtube.com/watch?v={VID}", "queued")
    ]


def test_enqueue_rejects_bad_input(client: FlaskClient, tokens: Tokens) -> None:
    for body in (
        {"url": "ftp://example.com/x"},
        {"url": "javascript:alert(1)"},
        {"url": "https://example.com/" + "a" * 5000},
        {"url": ""},
        {"mode": 0},
        {"url": URL, "mode": 7},
        {"url": URL, "mode": "x"},
        {"url": ["a"]},
    ):
        response = client.post("/api/worker/queue", json=body, headers=auth(tokens.queue))
        assert response.status_code == 400, body
        assert "error" in response.get_json()
    response = client.post(
        "/api/worker/queue", data="[1]", content_type="application/json", headers=auth(tokens.queue)
    )
    assert response.status_code == 400


def test_claim_answer_is_compatible_and_empty_queue_is_204(
    client: FlaskClient, tokens: Tokens
) -> None:
    assert enqueue(client, tokens.queue, URL).status_code == 201
    job = claim(client, tokens.worker)
    assert job is not None
    assert job["next_video"] == f"https://www.youtube.com/watch?v={VID}"
    assert job["mode"] == 0
    assert isinstance(job["job_id"], int) and job["lease_expires_at"]
    assert client.get("/api/worker/next", headers=worker_auth(tokens.worker2)).status_code == 204


def test_full_upload_and_complete(
    client: FlaskClient, db: Database, app: Flask, tokens: Tokens
) -> None:
    client.post(
        "/api/worker/heartbeat",
        data={"name": "box1", "status": "Starting up"},
        headers=auth(tokens.worker),
    )
    enqueue(client, tokens.queue, URL)
    job = claim(client, tokens.worker)
    assert job is not None
    jid = job["job_id"]
    status = client.get("/api/status").get_json()["workers"]
    assert status[0]["current_job_id"] == jid and status[0]["online"] is True

    files = {
        ("video", "webm"): VIDEO,
        ("thumbnail", "jpg"): b"\xff\xd8 jpeg",
        ("metadata", None): b'{"id": "dQw4w9WgXcQ"}',
        ("captions/en", "srv3"): b"<timedtext/>",
        ("captions/ja", "vtt"): b"WEBVTT",
        ("channel-avatar", None): b"\xff\xd8 avatar",
    }
    for (kind, ext), data in files.items():
        response = upload(client, tokens.worker, jid, kind, data, ext)
        assert response.status_code == 201, response.get_data(as_text=True)
        assert response.get_json()["sha256"] == hashlib.sha256(data).hexdigest()
    progress = client.post(
        f"/api/worker/jobs/{jid}/progress",
        json={"percent": 90, "message": "uploading"},
        headers=auth(tokens.worker),
    )
    assert progress.status_code == 200 and progress.get_json()["progress"] == 90
    assert _rows(db, Video) == 0  # nothing visible before complete

    body = {
        "video": info(VID),
        "channel": {"name": "Some Channel", "description": "about"},
        "files": ["video", "thumbnail", "metadata", "captions/en", "captions/ja"],
    }
    done = client.post(f"/api/worker/jobs/{jid}/complete", json=body, headers=auth(tokens.worker))
    assert done.status_code == 200, done.get_data(as_text=True)
    assert done.get_json()["state"] == "done"

    storage = app_state(app).storage
    assert stored_bytes(storage, db, VID, "video") == VIDEO
    assert file_key(db, VID, "video").endswith(".webm")
    assert storage.exists(file_key(db, VID, "thumbnail"))
    assert storage.exists(file_key(db, VID, "metadata"))
    assert storage.exists(caption_keys(db, VID)[("en", "srv3")])
    assert storage.exists("channels/UCchannel0000000000000/avatar.jpg")
    assert list(storage.list("staging/")) == []
    with db.reading() as session:
        video_file = session.scalars(select(StoredFile).where(StoredFile.kind == "video")).one()
        assert (video_file.size_bytes, video_file.sha256) == (
            len(VIDEO),
            hashlib.sha256(VIDEO).hexdigest(),
        )
        assert sorted(session.scalars(select(Caption.language))) == ["en", "ja"]
        channel = session.scalars(select(Channel)).one()
        assert channel.has_avatar and channel.description == "about"
        assert session.scalars(select(Worker)).one().current_job_id is None
    assert client.get(f"/api/video/{VID}").get_json()["title"] == f"Song {VID}"

    again = client.post(f"/api/worker/jobs/{jid}/complete", json=body, headers=auth(tokens.worker))
    assert again.status_code == 200 and again.get_json()["already_done"] is True
    assert _rows(db, Video) == 1 and _rows(db, StoredFile) == 3


def test_complete_with_file_missing_in_storage_is_409(
    client: FlaskClient, db: Database, app: Flask, tokens: Tokens
) -> None:
    enqueue(client, tokens.queue, URL)
    jid = claim(client, tokens.worker)["job_id"]  # type: ignore[index]
    assert upload(client, tokens.worker, jid, "video", VIDEO, "webm").status_code == 201
    assert upload(client, tokens.worker, jid, "thumbnail", b"jpg", "jpg").status_code == 201
    storage = app_state(app).storage
    staged = [i.key for i in storage.list("staging/") if "thumbnail" in i.key]
    storage.delete(staged[0])
    body = {"video": info(VID), "files": ["video", "thumbnail"]}
    response = client.post(
        f"/api/worker/jobs/{jid}/complete", json=body, headers=auth(tokens.worker)
    )
    assert response.status_code == 409
    assert _rows(db, Video) == 0 and _rows(db, StoredFile) == 0 and _rows(db, Channel) == 0
    # No video uploaded at all is a conflict too.
    storage.delete_prefix("staging/")
    response = client.post(
        f"/api/worker/jobs/{jid}/complete", json={"video": info(VID)}, headers=auth(tokens.worker)
    )
    assert response.status_code == 409
    assert _rows(db, Video) == 0


def test_upload_checks(client: FlaskClient, app: Flask, tokens: Tokens) -> None:
    enqueue(client, tokens.queue, URL)
    jid = claim(client, tokens.worker)["job_id"]  # type: ignore[index]
    bad = client.put(
        f"/api/worker/jobs/{jid}/files/video?ext=webm",
        data=b"abc",
        headers={**auth(tokens.worker), "X-Content-SHA256": "0" * 64},
    )
    assert bad.status_code == 400
    assert upload(client, tokens.worker, jid, "../etc", b"x", "txt").status_code == 400
    assert upload(client, tokens.worker, jid, "captions/../x", b"x", "vtt").status_code == 400
    assert upload(client, tokens.worker, jid, "video", b"x", "we/bm").status_code == 400
    assert upload(client, tokens.worker2, jid, "video", b"x", "webm").status_code == 409
    assert upload(client, tokens.worker, 999999, "video", b"x", "webm").status_code == 404
    app_state(app).settings = app_state(app).settings.with_overrides(max_upload_bytes=10)
    assert upload(client, tokens.worker, jid, "video", b"x" * 11, "webm").status_code == 413
    # Content-Length cannot be trusted: count while streaming too.
    response = client.put(
        f"/api/worker/jobs/{jid}/files/video?ext=webm",
        input_stream=__import__("io").BytesIO(b"y" * 50),
        headers={**auth(tokens.worker), "Content-Length": "5"},
    )
    assert response.status_code in (400, 413)
    assert not [i for i in app_state(app).storage.list("staging/") if i.size > 10]


def test_lapsed_lease_is_409_and_job_goes_to_next_claimer(
    client: FlaskClient, db: Database, tokens: Tokens
) -> None:
    enqueue(client, tokens.queue, URL)
    first = claim(client, tokens.worker)
    assert first is not None
    with db.transaction() as session:
        session.execute(update(Job).values(lease_expires_at=utcnow() - timedelta(seconds=1)))
    response = client.post(
        f"/api/worker/jobs/{first['job_id']}/progress",
        json={"percent": 5},
        headers=auth(tokens.worker),
    )
    assert response.status_code == 409
    second = claim(client, tokens.worker2)
    assert second is not None and second["job_id"] == first["job_id"] and second["attempt"] == 2
    late = client.post(
        f"/api/worker/jobs/{first['job_id']}/complete",
        json={"video": info(VID)},
        headers=auth(tokens.worker),
    )
    assert late.status_code == 409


def test_fail_retries_then_fails(client: FlaskClient, db: Database, tokens: Tokens) -> None:
    enqueue(client, tokens.queue, URL)
    jid = claim(client, tokens.worker)["job_id"]  # type: ignore[index]
    response = client.post(
        f"/api/worker/jobs/{jid}/fail",
        json={"error": "HTTP 429", "retryable": True},
        headers=auth(tokens.worker),
    )
    assert response.get_json()["state"] == "queued"
    assert claim(client, tokens.worker) is None  # backing off
    with db.transaction() as session:
        session.execute(update(Job).values(available_at=utcnow() - timedelta(seconds=1)))
    jid2 = claim(client, tokens.worker)["job_id"]  # type: ignore[index]
    response = client.post(
        f"/api/worker/jobs/{jid2}/fail",
        json={"error": "Video unavailable", "retryable": False},
        headers=auth(tokens.worker),
    )
    body = response.get_json()
    assert (body["state"], body["last_error"]) == ("failed", "Video unavailable")
    failed = client.get("/api/worker/queue?state=failed", headers=auth(tokens.queue)).get_json()
    assert [j["job_id"] for j in failed["jobs"]] == [jid]


def test_cancel(client: FlaskClient, tokens: Tokens) -> None:
    jid = enqueue(client, tokens.queue, URL).get_json()["job_id"]
    assert (
        client.delete(f"/api/worker/queue/{jid}", headers=auth(tokens.queue)).get_json()["state"]
        == "cancelled"
    )
    assert claim(client, tokens.worker) is None
    assert client.delete("/api/worker/queue/424242", headers=auth(tokens.queue)).status_code == 404


def test_storage_delete_queues_mode_2_and_complete_deletes(
    client: FlaskClient, db: Database, app: Flask, tokens: Tokens
) -> None:
    enqueue(client, tokens.queue, URL)
    jid = claim(client, tokens.worker)["job_id"]  # type: ignore[index]
    upload(client, tokens.worker, jid, "video", VIDEO, "webm")
    upload(client, tokens.worker, jid, "captions/en", b"WEBVTT", "vtt")
    client.post(
        f"/api/worker/jobs/{jid}/complete", json={"video": info(VID)}, headers=auth(tokens.worker)
    )
    assert _rows(db, Video) == 1

    response = client.delete(
        "/api/storage/delete", data={"videoId": VID}, headers=auth(tokens.worker)
    )
    assert (response.status_code, response.get_data(as_text=True)) == (200, "OK")
    job = claim(client, tokens.worker)
    assert job is not None and (job["next_video"], job["mode"]) == (VID, 2)
    done = client.post(
        f"/api/worker/jobs/{job['job_id']}/complete", json={}, headers=auth(tokens.worker)
    )
    assert done.status_code == 200 and done.get_json()["state"] == "done"
    assert _rows(db, Video) == 0 and _rows(db, StoredFile) == 0 and _rows(db, Caption) == 0
    storage = app_state(app).storage
    assert list(storage.list("video/")) == [] and list(storage.list("captions/")) == []
    assert (
        client.delete("/api/storage/delete", data={}, headers=auth(tokens.worker)).status_code
        == 400
    )


def test_heartbeat_upserts_and_status(client: FlaskClient, db: Database, tokens: Tokens) -> None:
    for status in ("Starting up archival", "Idle. Waiting for work..."):
        response = client.post(
            "/api/worker/heartbeat",
            data={"name": "box1", "status": status},
            headers=auth(tokens.worker),
        )
        assert (response.status_code, response.get_data(as_text=True)) == (200, "OK")
    client.post("/api/worker/heartbeat", json={"name": "box2"}, headers=auth(tokens.worker2))
    assert _rows(db, Worker) == 2
    with db.reading() as session:
        row = session.scalars(select(Worker).where(Worker.name == "box1")).one()
        assert row.status == "Idle. Waiting for work..."
