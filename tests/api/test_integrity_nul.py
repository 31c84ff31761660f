"""A NUL character (or a lone surrogate) in a text field is a 400, never a 500 (PostgreSQL
cannot store a NUL, no driver can encode a lone surrogate).

Metadata is different: a video's own title or description may carry one (yt-dlp passes what
the site sent), and refusing it would lose the video, so NULs are dropped from metadata text
and lone surrogates replaced.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from support.queue_fixtures import Tokens, auth, claim, enqueue, info, upload, worker_auth

URL = "https://www.youtube.com/watch?v=nulnulnul01"


def _claimed(client: FlaskClient, tokens: Tokens) -> dict[str, Any]:
    assert enqueue(client, tokens.queue, URL).status_code in (200, 201)
    job = claim(client, tokens.worker)
    assert job is not None
    return job


@pytest.mark.parametrize("as_json", [True, False])
def test_nul_in_a_queued_url_is_a_400(
    client: FlaskClient,
    tokens: Tokens,
    as_json: bool,
) -> None:
    body = {"url": "https://youtu.be/abc\x00defghij"}
    sent = {"json": body} if as_json else {"data": body}
    answer = client.post("/api/worker/queue", headers=auth(tokens.queue), **sent)  # type: ignore[arg-type]
    assert answer.status_code == 400
    assert "NUL" in answer.get_json()["error"]


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/worker/heartbeat", {"name": "box\x00one", "status": "idle"}),
        ("/api/worker/heartbeat", {"name": "box", "status": "id\x00le"}),
        ("/api/worker/jobs/{job}/progress", {"percent": 5, "message": "down\x00loading"}),
        ("/api/worker/jobs/{job}/fail", {"error": "it\x00broke", "retryable": True}),
    ],
)
def test_nul_in_a_worker_text_field_is_a_400_and_changes_nothing(
    client: FlaskClient,
    tokens: Tokens,
    path: str,
    body: dict[str, Any],
) -> None:
    job = _claimed(client, tokens)
    answer = client.post(path.format(job=job["job_id"]), json=body, headers=auth(tokens.worker))
    assert answer.status_code == 400
    assert "NUL" in answer.get_json()["error"]
    detail = client.get(f"/api/worker/jobs/{job['job_id']}", headers=auth(tokens.queue))
    assert detail.get_json()["state"] == "leased"
    # The worker can still report the same thing without the NUL.
    clean = {k: v.replace("\x00", "") if isinstance(v, str) else v for k, v in body.items()}
    again = client.post(path.format(job=job["job_id"]), json=clean, headers=auth(tokens.worker))
    assert again.status_code == 200


def test_nul_in_the_worker_name_argument_is_a_400(
    client: FlaskClient,
    tokens: Tokens,
) -> None:
    answer = client.get("/api/worker/next?worker=box%00one", headers=worker_auth(tokens.worker))
    assert answer.status_code == 400


def test_nul_in_metadata_is_dropped_and_the_video_archived(
    client: FlaskClient,
    tokens: Tokens,
) -> None:
    job = _claimed(client, tokens)
    assert (
        upload(client, tokens.worker, job["job_id"], "video", b"webm bytes", "webm").status_code
        == 201
    )
    metadata = info("nulnulnul01", title="Night\x00Song", description="line\x00two")
    metadata["channel"] = "Chan\x00nel"
    metadata["tags"] = ["a\x00b"]
    answer = client.post(
        f"/api/worker/jobs/{job['job_id']}/complete",
        json={"video": metadata},
        headers=auth(tokens.worker),
    )
    assert answer.status_code == 200, answer.get_json()
    video = client.get("/api/video/nulnulnul01").get_json()
    assert video["title"] == "NightSong"
    assert video["description"] == "linetwo"


# A lone UTF-16 surrogate (JSON's "\ud800" escape) is text no driver can encode: the same rule.
LONE = "\ud800"


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/worker/queue", {"url": f"https://example.com/{LONE}"}),
        ("/api/worker/heartbeat", {"name": f"box{LONE}", "status": "idle"}),
        ("/api/worker/heartbeat", {"name": "box", "status": f"id{LONE}le"}),
        ("/api/worker/jobs/{job}/progress", {"percent": 5, "message": f"down{LONE}loading"}),
        ("/api/worker/jobs/{job}/fail", {"error": f"it{LONE}broke", "retryable": True}),
    ],
)
def test_a_lone_surrogate_in_a_text_field_is_a_400_and_changes_nothing(
    client: FlaskClient, tokens: Tokens, path: str, body: dict[str, Any]
) -> None:
    job = _claimed(client, tokens)
    secret = tokens.queue if path == "/api/worker/queue" else tokens.worker
    answer = client.post(path.format(job=job["job_id"]), json=body, headers=auth(secret))
    assert answer.status_code == 400, answer.get_data(as_text=True)
    assert "surrogate" in answer.get_json()["error"]
    detail = client.get(f"/api/worker/jobs/{job['job_id']}", headers=auth(tokens.queue))
    assert detail.get_json()["state"] == "leased"


def test_a_lone_surrogate_in_metadata_is_replaced_and_the_video_archived(
    client: FlaskClient, tokens: Tokens
) -> None:
    job = _claimed(client, tokens)
    assert upload(client, tokens.worker, job["job_id"], "video", b"webm", "webm").status_code == 201
    answer = client.post(
        f"/api/worker/jobs/{job['job_id']}/complete",
        json={
            "video": info("nulnulnul01", title=f"Night{LONE}Song"),
            "channel": {"description": f"about{LONE}us"},
        },
        headers=auth(tokens.worker),
    )
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert client.get("/api/video/nulnulnul01").get_json()["title"] == "Night\ufffdSong"
