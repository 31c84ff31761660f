"""OpenAPI paths of the queue and worker API (``api/worker.py``)."""

from __future__ import annotations

from typing import Any

from patchwork.api.openapi.parts import (
    errors,
    form_or_json,
    header,
    json_answer,
    operation,
    path,
    query,
    text_answer,
)
from patchwork.api.openapi.schemas import INT, STR, ref
from patchwork.api.worker import MAX_LIST
from patchwork.archive.availability.reasons import (
    INCONCLUSIVE_REASONS,
    UNAVAILABLE_REASONS,
    Outcome,
)
from patchwork.archive.queue import worker_clients
from patchwork.archive.queue.heartbeats import MAX_NAME_LENGTH, MAX_STATUS_LENGTH
from patchwork.archive.queue.lifecycle import MAX_ERROR_LENGTH, MAX_RETRY_AFTER

JOB_ID = path("job_id", "The job's id.", {"type": "integer", "minimum": 0, "maximum": 2**31 - 1})
# Both roles' endpoints answer 401 (no or bad token) and 403 (a token of another role).
AUTH_ERRORS = (401, 403)
MODE = {"type": "integer", "enum": [0, 1, 2], "description": "0 archive, 1 re-archive, 2 delete"}
#: A check job's answer (``patchwork.archive.availability.observations.CheckReport``).
CHECK_REPORT = {
    "type": "object",
    "description": "Check jobs only: what the site said. unavailable needs one of the "
    "unavailable reasons; inconclusive takes one of the others (default unknown) and "
    "changes nothing; available has none and sends the info.json as video.",
    "properties": {
        "outcome": {"type": "string", "enum": [o.value for o in Outcome]},
        "reason": {"type": "string", "enum": [*UNAVAILABLE_REASONS, *INCONCLUSIVE_REASONS]},
        "message": {"type": "string", "description": "the extractor's error, as it said it"},
    },
    "required": ["outcome"],
}


def _enqueued(created: str) -> dict[str, Any]:
    return {
        "description": created,
        "content": {
            "text/plain": {"schema": {"type": "string", "enum": ["OK", "Already queued"]}},
            "application/json": {"schema": ref("Enqueued")},
        },
    }


def queue_paths() -> dict[str, Any]:
    enqueue = operation(
        "Queue a URL to archive (queue token)",
        "queue",
        {
            "200": _enqueued("Queued, or already queued. Text unless JSON was sent or asked for."),
            "201": json_answer("Queued (JSON callers).", ref("Enqueued")),
            **errors(400, 413, *AUTH_ERRORS),
        },
        body=form_or_json({"url": {"type": "string", "maxLength": 4096}, "mode": MODE}, ["url"]),
        auth=True,
    )
    listing = operation(
        "Jobs by state (queue token)",
        "queue",
        {"200": json_answer("Jobs.", ref("JobList")), **errors(400, *AUTH_ERRORS)},
        parameters=[
            query(
                "state",
                {"type": "string", "default": "queued,leased,failed"},
                "Comma-separated states: queued, leased, done, failed, cancelled.",
            ),
            query("limit", {"type": "integer", "minimum": 1, "maximum": MAX_LIST}, "At most."),
        ],
        auth=True,
    )
    return {
        "/api/worker/queue": {"post": enqueue, "get": listing},
        "/api/worker/queue/{job_id}": {
            "delete": operation(
                "Cancel a queued or leased job (queue token)",
                "queue",
                {"200": json_answer("The job.", ref("Job")), **errors(404, 409, *AUTH_ERRORS)},
                parameters=[JOB_ID],
                auth=True,
            )
        },
        "/api/worker/jobs/{job_id}": {
            "get": operation(
                "A job and its history (queue or worker token)",
                "queue",
                {"200": json_answer("The job.", ref("JobDetail")), **errors(404, *AUTH_ERRORS)},
                parameters=[JOB_ID],
                auth=True,
            )
        },
        "/api/storage/delete": {
            "delete": operation(
                "Queue the deletion of an archived video (worker token, as the original)",
                "queue",
                {
                    "200": _enqueued("Queued, or already queued."),
                    "201": json_answer("Queued (JSON callers).", ref("Enqueued")),
                    **errors(400, 413, *AUTH_ERRORS),
                },
                body=form_or_json({"videoId": {"type": "string", "maxLength": 4096}}, ["videoId"]),
                auth=True,
            )
        },
    }


def worker_paths() -> dict[str, Any]:
    return {
        "/api/worker/next": {
            "get": operation(
                "Claim the next job: a lease (worker token)",
                "worker",
                {
                    "200": json_answer("A job to do.", ref("NextJob")),
                    "204": {"description": "The queue is empty."},
                    **errors(400, *AUTH_ERRORS),
                    "403": json_answer(
                        "A token of another role, or a client without X-Patchwork-Worker "
                        "(the original worker): no job is handed out, the error names the fix.",
                        ref("Error"),
                    ),
                },
                parameters=[
                    query("worker", {"type": "string", "maxLength": 255}, "Worker name."),
                    header("X-Worker-Name", "Worker name (instead of ?worker=)."),
                    header(
                        worker_clients.HEADER,
                        "The client's version, as Patchwork's worker sends it. Without it no "
                        "job is handed out (403): the original worker cannot complete one.",
                        {
                            "type": "string",
                            "minLength": 1,
                            "maxLength": worker_clients.MAX_CLIENT_LENGTH,
                            "pattern": "^[!-~]+$",
                        },
                    ),
                ],
                auth=True,
            )
        },
        "/api/worker/heartbeat": {
            "post": operation(
                "Say the worker is alive (worker token)",
                "worker",
                {"200": text_answer("Recorded.", ["OK"]), **errors(400, 413, *AUTH_ERRORS)},
                body=form_or_json(
                    {
                        "name": {"type": "string", "maxLength": MAX_NAME_LENGTH},
                        "status": {"type": "string", "maxLength": MAX_STATUS_LENGTH},
                    },
                    [],
                ),
                auth=True,
            )
        },
        "/api/worker/jobs/{job_id}/progress": {
            "post": operation(
                "Report progress; extends the lease (worker token)",
                "worker",
                {
                    "200": json_answer("The job.", ref("Job")),
                    **errors(400, 404, 409, 413, *AUTH_ERRORS),
                },
                parameters=[JOB_ID],
                body=form_or_json(
                    {
                        "percent": {"type": "number", "minimum": 0, "maximum": 100},
                        "message": {"type": "string", "maxLength": 4000},
                    },
                    [],
                ),
                auth=True,
            )
        },
        "/api/worker/jobs/{job_id}/files/{kind}": {
            "put": operation(
                "Upload one file of a leased job, streamed (worker token)",
                "worker",
                {
                    "201": json_answer("Stored in staging.", ref("Uploaded")),
                    **errors(400, 404, 409, 413, *AUTH_ERRORS),
                },
                parameters=[
                    JOB_ID,
                    path(
                        "kind",
                        "video, thumbnail, metadata, captions/<lang>, channel-avatar or "
                        "channel-banner.",
                    ),
                    query("ext", {"type": "string", "maxLength": 10}, "File extension."),
                    header("X-Content-SHA256", "Hex SHA-256 of the body; checked."),
                ],
                body={
                    "required": True,
                    "content": {
                        "application/octet-stream": {
                            "schema": {"type": "string", "format": "binary"}
                        }
                    },
                },
                auth=True,
            )
        },
        "/api/worker/jobs/{job_id}/complete": {
            "post": operation(
                "Finish a job: files move into the archive, rows are written (worker token)",
                "worker",
                {
                    "200": json_answer("Done (idempotent).", ref("Completed")),
                    **errors(400, 404, 409, 413, *AUTH_ERRORS),
                },
                parameters=[JOB_ID],
                body={
                    "required": False,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "properties": {
                                    "video": {"type": "object", "description": "info.json"},
                                    "channel": {
                                        "type": "object",
                                        "properties": {
                                            "name": STR,
                                            "description": STR,
                                            "romanized_name": STR,
                                        },
                                    },
                                    "files": {"type": "array", "items": STR},
                                    "skipped": {"type": "string", "minLength": 1, "maxLength": 255},
                                    "check": CHECK_REPORT,
                                },
                            }
                        }
                    },
                },
                auth=True,
            )
        },
        "/api/worker/jobs/{job_id}/fail": {
            "post": operation(
                "Report a failure; retried with backoff unless final (worker token)",
                "worker",
                {
                    "200": json_answer("The job.", ref("Job")),
                    **errors(400, 404, 409, 413, *AUTH_ERRORS),
                },
                parameters=[JOB_ID],
                body=form_or_json(
                    {
                        "error": {"type": "string", "maxLength": MAX_ERROR_LENGTH},
                        "retryable": {"type": "boolean", "default": True},
                        "retry_after": {**INT, "minimum": 0, "maximum": MAX_RETRY_AFTER},
                    },
                    [],
                ),
                auth=True,
            )
        },
    }
