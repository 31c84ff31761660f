"""Queue and worker API: /api/worker/* and the original's DELETE /api/storage/delete.

The original's answers are kept (text ``OK`` / ``Already queued``, ``{"next_video", "mode"}``,
204 on an empty queue); JSON callers get richer JSON. Each handler parses the request, calls
one queue service and shapes its answer; the services' refusals carry their status and reach
the client through the one error handler (:mod:`patchwork.http.errors`), storage failures
worded as this API always has (:func:`~patchwork.http.errors.storage_failure_of_a_job`).
Uploads are streamed into staging by :mod:`patchwork.archive.queue.uploads`.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict
from typing import Any

from flask import Blueprint, Response, jsonify, request

from patchwork.archive.availability.policy import CheckPolicy
from patchwork.archive.queue import (
    completion,
    heartbeats,
    lifecycle,
    staging,
    uploads,
    worker_clients,
)
from patchwork.archive.queue.kinds import kind_of
from patchwork.archive.queue.records import Enqueued, JobInfo
from patchwork.archive.queue.states import JobMode, JobState
from patchwork.archive.sources import entries
from patchwork.http.auth import ADMIN, current_actor, current_principal, require_role
from patchwork.http.body_fields import body_fields, int_field, text_field, wants_json
from patchwork.http.completion_fields import completion_of
from patchwork.http.errors import ApiError, storage_failure_of_a_job
from patchwork.http.scan_entries import scan_entry
from patchwork.state import app_state
from patchwork.storage import StorageError

bp = Blueprint("worker", __name__, url_prefix="/api")
bp.register_error_handler(StorageError, storage_failure_of_a_job)

_SHA256_HEX = re.compile(r"[0-9a-f]{64}")
MAX_LIST = 1000
QUEUE_ROLES = ("queue",)
WORKER_ROLES = ("worker",)
#: What GET /worker/queue lists without ?state=: the jobs someone may still act on.
_STATES = frozenset(JobState)  # `"x" in JobState` raises on Python 3.11
DEFAULT_LISTED = ",".join((JobState.QUEUED, JobState.LEASED, JobState.FAILED))


def _job(job: JobInfo) -> dict[str, Any]:
    def iso(value: Any) -> str | None:
        return value.isoformat() if value is not None else None

    return {
        "job_id": job.id,
        "url": job.url,
        "target": job.target,
        "mode": job.mode,
        "state": job.state,
        "attempts": job.attempts,
        "max_attempts": job.max_attempts,
        "available_at": iso(job.available_at),
        "lease_owner": job.lease_owner if job.state == JobState.LEASED else None,
        "lease_expires_at": iso(job.lease_expires_at),
        "progress": job.progress_percent,
        "progress_message": job.progress_message,
        "last_error": job.last_error,
        "created_at": iso(job.created_at),
        "finished_at": iso(job.finished_at),
    }


def _enqueue_answer(result: Enqueued) -> Response:
    text = "OK" if result.created else "Already queued"
    if wants_json():
        response = jsonify({"status": text, "created": result.created, **_job(result.job)})
        response.status_code = 201 if result.created else 200
        return response
    return Response(text, mimetype="text/plain")


@bp.post("/worker/queue")
@require_role(*QUEUE_ROLES)
def enqueue() -> Response:
    fields = body_fields()
    url = text_field(fields, "url", max_length=4096)
    if url is None:
        raise ApiError(400, "url is required")
    mode = int_field(fields, "mode", 0)
    if mode == JobMode.DELETE and current_principal().role not in (*WORKER_ROLES, ADMIN):
        # Deleting is for worker and admin tokens on every route (decision 0104).
        raise ApiError(403, "Deleting a video needs a worker or admin token")
    return _enqueue_answer(lifecycle.enqueue(app_state().db, url, mode, current_actor()))


@bp.get("/worker/queue")
@require_role(*QUEUE_ROLES)
def list_queue() -> dict[str, Any]:
    raw = request.args.get("state") or DEFAULT_LISTED
    states = [s.strip() for s in raw.split(",") if s.strip()]
    if not states or any(s not in _STATES for s in states):
        raise ApiError(400, f"state must be among {', '.join(JobState)}")
    limit = request.args.get("limit", "100")
    if not limit.isdigit() or not 1 <= int(limit) <= MAX_LIST:
        raise ApiError(400, f"limit must be between 1 and {MAX_LIST}")
    jobs = lifecycle.list_jobs(app_state().db, states, limit=int(limit))
    return {"jobs": [_job(j) for j in jobs]}


@bp.delete("/worker/queue/<int:job_id>")
@require_role(*QUEUE_ROLES)
def cancel(job_id: int) -> dict[str, Any]:
    return _job(lifecycle.cancel_job(app_state().db, current_actor(), job_id))


@bp.get("/worker/jobs/<int:job_id>")
@require_role("queue", "worker")
def job_detail(job_id: int) -> dict[str, Any]:
    db = app_state().db
    found = lifecycle.get_job(db, job_id)
    events = [
        {
            "event": e.event,
            "actor": e.actor_name,
            "actor_token_id": e.actor_token_id,
            "message": e.message,
            "at": e.created_at.isoformat(),
        }
        for e in lifecycle.job_events(db, job_id)
    ]
    return {**_job(found), "events": events}


@bp.delete("/storage/delete")
@require_role(*WORKER_ROLES)
def storage_delete() -> Response:
    video_id = text_field(body_fields(), "videoId", max_length=4096)
    if not video_id:
        raise ApiError(400, "videoId is required")
    return _enqueue_answer(
        lifecycle.enqueue(app_state().db, video_id, JobMode.DELETE, current_actor())
    )


@bp.get("/worker/next")
@require_role(*WORKER_ROLES)
def next_job() -> Response:
    state = app_state()
    named = request.headers.get("X-Worker-Name") or request.args.get("worker")
    owner = text_field({"worker": named}, "worker") or None
    job = uploads.claim_job(
        state.db,
        state.storage,
        current_actor(),
        client=_client(),
        owner=owner,
        lease_seconds=state.settings.lease_seconds,
        checks=CheckPolicy.of(state.settings),
    )
    if job is None:
        return Response(status=204)
    assert job.lease_expires_at is not None
    return jsonify(
        {
            # What the job's kind adds first: the fields every claim carries win.
            **kind_of(job.mode).claim_answer(state.db, job),
            "next_video": job.url,
            "mode": job.mode,
            "job_id": job.id,
            "target": job.target,
            "attempt": job.attempts,
            "lease_expires_at": job.lease_expires_at.isoformat(),
        }
    )


@bp.post("/worker/heartbeat")
@require_role(*WORKER_ROLES)
def heartbeat() -> Response:
    fields = body_fields()
    state = app_state()
    heartbeats.record_heartbeat(
        state.db,
        current_actor(),
        name=text_field(fields, "name", max_length=heartbeats.MAX_NAME_LENGTH),
        status=text_field(fields, "status", max_length=heartbeats.MAX_STATUS_LENGTH),
        lease_seconds=state.settings.lease_seconds,
        client=_client(),
    )
    return Response("OK", mimetype="text/plain")


def _client() -> str | None:
    """The ``X-Patchwork-Worker`` the caller sent (``None``: the original worker)."""
    return worker_clients.parse_client(request.headers.get(worker_clients.HEADER))


@bp.post("/worker/jobs/<int:job_id>/progress")
@require_role(*WORKER_ROLES)
def progress(job_id: int) -> dict[str, Any]:
    fields = body_fields()
    percent = fields.get("percent")
    if isinstance(percent, str) and percent.strip():
        try:
            percent = float(percent)
        except ValueError:
            raise ApiError(400, "percent must be a number") from None
    if percent is not None and (
        isinstance(percent, bool)
        or not isinstance(percent, int | float)
        or not math.isfinite(percent)
    ):
        raise ApiError(400, "percent must be a number")
    state = app_state()
    job = lifecycle.report_progress(
        state.db,
        current_actor(),
        job_id,
        lease_seconds=state.settings.lease_seconds,
        percent=float(percent) if percent is not None else None,
        message=text_field(fields, "message"),
    )
    return _job(job)


@bp.put("/worker/jobs/<int:job_id>/files/<path:kind>")
@require_role(*WORKER_ROLES)
def upload(job_id: int, kind: str) -> tuple[dict[str, Any], int]:
    state = app_state()
    limit = state.settings.max_upload_bytes
    kind, ext = staging.upload_name(kind, request.args.get("ext"), request.content_type)
    if request.content_length is not None and request.content_length > limit:
        raise staging.UploadTooLarge(limit)
    # The app's default cap is the JSON one; an upload streams up to its own limit. One byte
    # more, so that the service's reader (not werkzeug) notices an oversized chunked body.
    request.max_content_length = limit + 1
    staged = uploads.receive_upload(
        state.db,
        state.storage,
        current_actor(),
        job_id,
        kind,
        ext,
        request.stream,
        expected_size=request.content_length,
        expected_sha256=_expected_digest(),
        content_type=request.content_type,
        limit=limit,
        lease_seconds=state.settings.lease_seconds,
    )
    return {
        "kind": staged.kind,
        "ext": staged.ext,
        "size": staged.size,
        "sha256": staged.sha256,
    }, 201


def _expected_digest() -> str | None:
    """``X-Content-SHA256``, checked before a byte of the body is read."""
    raw = request.headers.get("X-Content-SHA256")
    if raw is None or not raw.strip():
        return None
    value = raw.strip().lower()
    if not _SHA256_HEX.fullmatch(value):
        raise ApiError(400, "X-Content-SHA256 must be 64 hexadecimal digits")
    return value


@bp.post("/worker/jobs/<int:job_id>/complete")
@require_role(*WORKER_ROLES)
def complete(job_id: int) -> dict[str, Any]:
    state = app_state()
    report = completion_of(body_fields())
    result = completion.complete_job(
        state.db,
        state.storage,
        current_actor(),
        job_id,
        report,
        policy=CheckPolicy.of(state.settings),
    )
    return {
        **_job(result.job),
        "already_done": result.already_done,
        "kept_existing": result.kept_existing,
        "video_id": result.video_id,
        "files": [
            {"kind": f.kind, "key": f.key, "size": f.size, "sha256": f.sha256} for f in result.files
        ],
    }


@bp.post("/worker/jobs/<int:job_id>/entries")
@require_role(*WORKER_ROLES)
def scan_entries(job_id: int) -> dict[str, Any]:
    """One page of a scan job's listing (patchwork.archive.sources.entries)."""
    fields = body_fields()
    raw = fields.get("entries")
    if not isinstance(raw, list):
        raise ApiError(400, "entries must be a list of objects")
    position = int_field(fields, "position", -1)
    if position < 0:
        raise ApiError(400, "position (where this page starts in the listing) is required")
    state = app_state()
    result = entries.record_entries(
        state.db,
        current_actor(),
        job_id,
        position=position,
        entries=[scan_entry(item, index) for index, item in enumerate(raw)],
        lease_seconds=state.settings.lease_seconds,
        listing_title=text_field(fields, "title", max_length=255, drop_nul=True),
    )
    return asdict(result)


@bp.post("/worker/jobs/<int:job_id>/fail")
@require_role(*WORKER_ROLES)
def fail(job_id: int) -> dict[str, Any]:
    fields = body_fields()
    retryable = fields.get("retryable", True)
    if isinstance(retryable, str):
        retryable = retryable.strip().lower() not in ("0", "false", "no", "")
    if not isinstance(retryable, bool):
        raise ApiError(400, "retryable must be true or false")
    error = (
        text_field(fields, "error", max_length=lifecycle.MAX_ERROR_LENGTH) or "unspecified error"
    )
    retry_after = int_field(fields, "retry_after", 0)
    if not 0 <= retry_after <= lifecycle.MAX_RETRY_AFTER:
        raise ApiError(
            400, f"retry_after must be between 0 and {lifecycle.MAX_RETRY_AFTER} seconds"
        )
    job = lifecycle.fail_job(
        app_state().db,
        current_actor(),
        job_id,
        error=error,
        retryable=retryable,
        retry_after=retry_after,
    )
    return _job(job)
