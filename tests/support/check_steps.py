"""Steps of the availability tests: archive videos, ask for their checks, answer them."""

from __future__ import annotations

import json
from typing import Any

from flask.testing import FlaskClient

from patchwork.archive.availability.scheduling import request_checks
from patchwork.archive.queue.records import SYSTEM
from patchwork.db import Database
from support.completion_steps import complete, stage, yt
from support.queue_fixtures import Tokens, auth, claim, enqueue, info, upload

OLD_THUMB = b"\xff\xd8 the archived thumbnail"


def archived(client: FlaskClient, tokens: Tokens, video_id: str, **meta: Any) -> dict[str, Any]:
    """Archive ``video_id`` through the worker API, its info.json and thumbnail uploaded
    too; the metadata it was archived with."""
    details = info(video_id, **meta)
    assert enqueue(client, tokens.queue, yt(video_id)).status_code in (200, 201)
    job = claim(client, tokens.worker)
    assert job is not None
    stage(client, tokens.worker, job["job_id"], b"video " + video_id.encode(), thumbnail=OLD_THUMB)
    data = json.dumps(details).encode()
    assert (
        upload(client, tokens.worker, job["job_id"], "metadata", data, "info.json").status_code
        == 201
    )
    response = complete(client, tokens.worker, job["job_id"], details)
    assert response.status_code == 200, response.get_data(as_text=True)
    return details


def claim_check(client: FlaskClient, db: Database, tokens: Tokens, video_id: str) -> dict[str, Any]:
    """Ask for a check of ``video_id`` and claim it; the claim's answer."""
    request_checks(db, [video_id], SYSTEM)
    job = claim(client, tokens.worker)
    assert job is not None and job["mode"] == 4, job
    assert job["check"]["video_id"] == video_id
    return job


def answer(
    client: FlaskClient,
    tokens: Tokens,
    job: dict[str, Any],
    outcome: str,
    reason: str | None = None,
    *,
    video: dict[str, Any] | None = None,
    thumbnail: bytes | None = None,
) -> Any:
    """Complete a claimed check job the way the reference worker does."""
    files = []
    if video is not None:
        data = json.dumps(video).encode()
        assert (
            upload(client, tokens.worker, job["job_id"], "metadata", data, "info.json").status_code
            == 201
        )
        files.append("metadata")
    if thumbnail is not None:
        assert (
            upload(client, tokens.worker, job["job_id"], "thumbnail", thumbnail, "jpg").status_code
            == 201
        )
        files.append("thumbnail")
    body: dict[str, Any] = {"check": {"outcome": outcome}}
    if reason is not None:
        body["check"]["reason"] = reason
        body["check"]["message"] = f"ERROR: [generic] {reason}"
    if video is not None:
        body["video"] = video
        body["files"] = files
    return client.post(
        f"/api/worker/jobs/{job['job_id']}/complete", json=body, headers=auth(tokens.worker)
    )


def checked(
    client: FlaskClient,
    db: Database,
    tokens: Tokens,
    video_id: str,
    outcome: str,
    reason: str | None = None,
    **kwargs: Any,
) -> Any:
    """Ask for, claim and answer one check; the completion's answer (asserted 200)."""
    job = claim_check(client, db, tokens, video_id)
    response = answer(client, tokens, job, outcome, reason, **kwargs)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()
