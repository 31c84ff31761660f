"""OpenAPI paths and schemas of subscriptions: ``/api/sources`` (``api/sources.py``) and the
page of entries a scanning worker reports (``POST /api/worker/jobs/{job_id}/entries``).

Bounds come from the services that enforce them (``archive/sources``), so a changed bound
changes the document too.
"""

from __future__ import annotations

from typing import Any

from patchwork.api.openapi.parts import errors, json_answer, operation, path, query
from patchwork.api.openapi.schemas import (
    ARCHIVE_OPTION_FIELDS,
    BOOL,
    INT,
    JOB_STATES,
    OPT_INT,
    OPT_STR,
    OPT_TIME,
    STR,
    TIME,
    Schema,
    array,
    obj,
    ref,
)
from patchwork.api.sources import DEFAULT_LISTED
from patchwork.archive.sources.catalog import (
    MAX_FIRST_SCAN,
    MAX_INTERVAL,
    MAX_LISTED,
    MAX_NAME_LENGTH,
    MIN_INTERVAL,
)
from patchwork.archive.sources.entries import MAX_PAGE
from patchwork.archive.sources.rules import MAX_PATTERN_LENGTH
from patchwork.db.types import MAX_ID
from patchwork.http.source_fields import MAX_URL_LENGTH

SOURCE_ID = path(
    "source_id", "The source's id.", {"type": "integer", "minimum": 0, "maximum": 2**31 - 1}
)
JOB_ID = path("job_id", "The job's id.", {"type": "integer", "minimum": 0, "maximum": 2**31 - 1})
AUTH_ERRORS = (401, 403)
OPT_DAY: Schema = {"type": ["string", "null"], "format": "date", "description": "YYYY-MM-DD"}
SECONDS: Schema = {"type": ["integer", "null"], "minimum": 0, "maximum": 10**7}
PATTERN: Schema = {
    "type": ["string", "null"],
    "maxLength": MAX_PATTERN_LENGTH,
    "description": "a Python regular expression, matched case-insensitively anywhere in the "
    "title; empty or null: none",
}

FILTER_FIELDS: dict[str, Schema] = {
    "title_include": PATTERN,
    "title_exclude": PATTERN,
    "min_duration": SECONDS,
    "max_duration": SECONDS,
    "uploaded_after": OPT_DAY,
    "skip_shorts": BOOL,
    "skip_live": BOOL,
    "skip_upcoming": {"type": "boolean", "description": "hold premieres until they can be had"},
}
OPTION_FIELDS = ARCHIVE_OPTION_FIELDS

SOURCE_SCHEMAS: dict[str, Schema] = {
    "Source": obj(
        {
            "id": INT,
            "url": {"type": "string", "description": "normalised: one source per channel"},
            "name": STR,
            "scan_every_seconds": INT,
            "enabled": BOOL,
            "first_scan_limit": {
                "type": ["integer", "null"],
                "description": "entries the first scan takes; null: all",
            },
            "filters": obj(FILTER_FIELDS),
            "options": {
                **obj(OPTION_FIELDS, required=[]),
                "description": "passed to every archive job the source queues; only those set",
            },
            "next_scan_at": TIME,
            "last_scan_at": OPT_TIME,
            "last_scan_entries": OPT_INT,
            "scanning": {"type": "boolean", "description": "a scan is queued or running"},
            "scan_job_id": OPT_INT,
            "scan_state": {"type": ["string", "null"], "enum": [*JOB_STATES, None]},
            "scan_position": INT,
            "last_error": OPT_STR,
            "created_at": TIME,
            "counts": obj(
                {
                    name: INT
                    for name in (
                        "found",
                        "filtered",
                        "known",
                        "queued",
                        "archived",
                        "failed",
                        "cancelled",
                    )
                }
            ),
        }
    ),
    "SourceList": obj(
        {
            "sources": array(ref("Source")),
            "next_after": {
                "type": ["integer", "null"],
                "description": "pass as ?after= for the next page; null on the last one",
            },
            "totals": obj({"enabled": INT, "paused": INT, "due": INT}),
        }
    ),
    "ScanRequested": obj({"job_ids": array(INT), "source": ref("Source")}),
    "ScansRequested": obj({"job_ids": array(INT)}),
    "ScanPage": obj(
        {
            "received": INT,
            "skipped": {"type": "integer", "description": "before the checkpoint: handled"},
            "new": INT,
            "queued": INT,
            "known": INT,
            "filtered": INT,
            "held": {"type": "integer", "description": "upcoming: seen again next scan"},
            "invalid": INT,
            "position": {"type": "integer", "description": "the checkpoint after this page"},
            "stop": {"type": "boolean", "description": "complete the scan now"},
        }
    ),
}


def _source_body(*, creating: bool) -> dict[str, Any]:
    properties: dict[str, Schema] = {
        "name": {"type": "string", "minLength": 1, "maxLength": MAX_NAME_LENGTH},
        "scan_every": {
            "type": ["integer", "string"],
            "minimum": MIN_INTERVAL,
            "maximum": MAX_INTERVAL,
            "maxLength": 40,
            "description": "seconds, or a duration such as 6h, 30m or 1d12h",
        },
        "enabled": BOOL,
        "first_scan_limit": {
            "type": "integer",
            "minimum": 0,
            "maximum": MAX_FIRST_SCAN,
            "description": "entries the first scan takes (newest first); 0: all",
        },
        "filters": {
            "type": "object",
            "properties": FILTER_FIELDS,
            "additionalProperties": False,
            "description": "on a change, filters left out keep their value; null clears one",
        },
        "options": {
            "type": "object",
            "properties": {k: {**v, "type": [v["type"], "null"]} for k, v in OPTION_FIELDS.items()},
            "additionalProperties": False,
        },
    }
    if creating:
        properties = {"url": {"type": "string", "maxLength": MAX_URL_LENGTH}, **properties}
    schema = {
        "type": "object",
        "properties": properties,
        "required": ["url"] if creating else [],
        "additionalProperties": False,
    }
    return {"required": creating, "content": {"application/json": {"schema": schema}}}


SCAN_BODY: dict[str, Any] = {
    "required": False,
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "properties": {
                    "full": {"type": "boolean", "description": "list everything, not only new"},
                    "retry_failed": {
                        "type": "boolean",
                        "description": "queue again entries whose archive job failed",
                    },
                },
                "additionalProperties": False,
            }
        }
    },
}

ENTRY: Schema = {
    "type": "object",
    "properties": {
        "url": {"type": "string", "minLength": 1, "maxLength": 2048},
        "id": {"type": "string", "maxLength": 255},
        "title": {"type": "string", "maxLength": 1000},
        "duration": {"type": "number", "minimum": 0},
        "upload_date": {"type": "string", "description": "YYYY-MM-DD or YYYYMMDD"},
        "live_status": {"type": "string", "maxLength": 32},
    },
    "required": ["url"],
}


def source_paths() -> dict[str, Any]:
    listing = operation(
        "Sources, a keyset page by id (queue token)",
        "sources",
        {"200": json_answer("Sources and totals.", ref("SourceList")), **errors(400, *AUTH_ERRORS)},
        parameters=[
            query(
                "after",
                {"type": "integer", "minimum": 0, "maximum": MAX_ID, "default": 0},
                "Sources with a larger id (next_after of the page before).",
            ),
            query(
                "limit",
                {"type": "integer", "minimum": 1, "maximum": MAX_LISTED, "default": DEFAULT_LISTED},
                "At most.",
            ),
        ],
        auth=True,
    )
    adding = operation(
        "Follow a channel, playlist or feed (admin token)",
        "sources",
        {
            "201": json_answer("Added; its first scan is due at once.", ref("Source")),
            **errors(400, 413, *AUTH_ERRORS),
            "409": json_answer(
                "Followed already: the answer's source_id names the source.", ref("Error")
            ),
        },
        body=_source_body(creating=True),
        auth=True,
    )
    one = {
        "get": operation(
            "One source and its counts (queue token)",
            "sources",
            {"200": json_answer("The source.", ref("Source")), **errors(404, *AUTH_ERRORS)},
            parameters=[SOURCE_ID],
            auth=True,
        ),
        "patch": operation(
            "Change a source: its name, interval, filters, options; pause or resume it "
            "(admin token)",
            "sources",
            {
                "200": json_answer("The source.", ref("Source")),
                **errors(400, 404, 413, *AUTH_ERRORS),
            },
            parameters=[SOURCE_ID],
            body=_source_body(creating=False),
            auth=True,
            description="The URL cannot change. Filters and options left out keep their value.",
        ),
        "delete": operation(
            "Stop following a source (admin token)",
            "sources",
            {
                "200": json_answer("Removed.", obj({"deleted": INT})),
                **errors(404, *AUTH_ERRORS),
            },
            parameters=[SOURCE_ID],
            auth=True,
            description="Its waiting scan is cancelled; the archive jobs it queued stay.",
        ),
    }
    return {
        "/api/sources": {"get": listing, "post": adding},
        "/api/sources/{source_id}": one,
        "/api/sources/{source_id}/scan": {
            "post": operation(
                "Scan a source now (admin token)",
                "sources",
                {
                    "202": json_answer(
                        "Its scan job (the waiting one, if a scan waits already).",
                        ref("ScanRequested"),
                    ),
                    **errors(400, 404, 413, *AUTH_ERRORS),
                },
                parameters=[SOURCE_ID],
                body=SCAN_BODY,
                auth=True,
            )
        },
        "/api/sources/scan": {
            "post": operation(
                "Scan every enabled source now (admin token)",
                "sources",
                {
                    "202": json_answer("Their scan jobs.", ref("ScansRequested")),
                    **errors(400, 413, *AUTH_ERRORS),
                },
                body=SCAN_BODY,
                auth=True,
            )
        },
    }


def scan_worker_paths() -> dict[str, Any]:
    return {
        "/api/worker/jobs/{job_id}/entries": {
            "post": operation(
                "Report one page of a scan job's listing; extends the lease (worker token)",
                "worker",
                {
                    "200": json_answer("What became of the page.", ref("ScanPage")),
                    **errors(400, 404, 409, 413, *AUTH_ERRORS),
                },
                parameters=[JOB_ID],
                body={
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "properties": {
                                    "position": {
                                        "type": "integer",
                                        "minimum": 0,
                                        "description": "where the page starts in the listing",
                                    },
                                    "entries": {
                                        "type": "array",
                                        "items": ENTRY,
                                        "maxItems": MAX_PAGE,
                                    },
                                    "title": {"type": "string", "maxLength": 255},
                                },
                                "required": ["position", "entries"],
                            }
                        }
                    },
                },
                auth=True,
                description="A page that starts after the scan's checkpoint is refused (409): "
                "resume from the position the last answer gave.",
            )
        }
    }
