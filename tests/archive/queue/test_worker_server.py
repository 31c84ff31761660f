"""What the reference worker needs from the server: skipping an archived video (mode 0) and
a longer wait before retrying after a bot check."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask.testing import FlaskClient

from patchwork.db.types import utcnow
from support.queue_fixtures import Tokens, auth, claim, enqueue, info, upload

VID = "dQw4w9WgXcQ"
URL = f"https://youtu.be/{VID}"


def _archive(client: FlaskClient, tokens: Tokens) -> None:
    enqueue(client, tokens.queue, URL)
    job = claim(client, tokens.worker)
    assert job is not None
    assert upload(client, tokens.worker, job["job_id"], "video", b"webm", "webm").status_code == 201
    done = client.post(
        f"/api/worker/jobs/{job['job_id']}/complete",
        json={"video": info(VID)},
        headers=auth(tokens.worker),
    )
    assert done.status_code == 200, done.get_json()


def test_mode_zero_job_of_an_archived_video_is_skipped(client: FlaskClient, tokens: Tokens) -> None:
    _archive(client, tokens)
    enqueue(client, tokens.queue, URL)
    job = claim(client, tokens.worker)
    assert job is not None
    jid = job["job_id"]
    both = client.post(
        f"/api/worker/jobs/{jid}/complete",
        json={"skipped": VID, "video": info(VID)},
        headers=auth(tokens.worker),
    )
    assert both.status_code == 400
    answer = client.post(
        f"/api/worker/jobs/{jid}/complete", json={"skipped": VID}, headers=auth(tokens.worker)
    )
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["state"] == "done"
    events = client.get(f"/api/worker/jobs/{jid}", headers=auth(tokens.queue)).get_json()
    assert events["events"][-1]["message"] == f"skipped: {VID} is already archived"


def test_skipping_a_video_that_is_not_archived_is_refused(
    client: FlaskClient, tokens: Tokens
) -> None:
    enqueue(client, tokens.queue, URL)
    job = claim(client, tokens.worker)
    assert job is not None
    answer = client.post(
        f"/api/worker/jobs/{job['job_id']}/complete",
        json={"skipped": VID},
        headers=auth(tokens.worker),
    )
    assert answer.status_code == 409
    assert claim(client, tokens.worker2) is None  # still leased to the first worker


def test_fail_with_retry_after_waits_longer(client: FlaskClient, tokens: Tokens) -> None:
    enqueue(client, tokens.queue, URL)
    job = claim(client, tokens.worker)
    assert job is not None
    path = f"/api/worker/jobs/{job['job_id']}/fail"
    for bad in (-1, 8 * 24 * 3600, "soon"):
        refused = client.post(
            path, json={"error": "bot", "retry_after": bad}, headers=auth(tokens.worker)
        )
        assert refused.status_code == 400, bad
    before = utcnow()
    answer = client.post(
        path,
        json={"error": "Sign in to confirm you're not a bot", "retry_after": 900},
        headers=auth(tokens.worker),
    )
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["state"] == "queued"
    available = datetime.fromisoformat(body["available_at"]).replace(tzinfo=None)
    assert available >= before.replace(tzinfo=None) + timedelta(seconds=899)
