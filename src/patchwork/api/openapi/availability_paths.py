"""OpenAPI paths and schemas of lost media: a video's history (``api/availability.py``), the
lost videos, the objects of metadata versions (``/media/history``, ``api/media.py``) and the
``availability`` object the video answers carry.

Reasons, states and bounds come from the code that enforces them
(``archive/availability/reasons.py``, ``archive/catalog/availability.py``).
"""

from __future__ import annotations

from typing import Any

from patchwork.api.openapi.parts import errors, json_answer, operation, path, query
from patchwork.api.openapi.paths import PAGE, VIDEO_ID, media_file
from patchwork.api.openapi.schemas import (
    INT,
    OPT_STR,
    OPT_TIME,
    STR,
    TIME,
    Schema,
    array,
    obj,
    ref,
)
from patchwork.archive.availability.reasons import (
    INCONCLUSIVE_REASONS,
    UNAVAILABLE_REASONS,
    Outcome,
    State,
)
from patchwork.archive.catalog.availability import MAX_VERSION

STATES = [s.value for s in State]
OUTCOMES = [o.value for o in Outcome]
REASONS = [*UNAVAILABLE_REASONS, *INCONCLUSIVE_REASONS]
OPT_REASON: Schema = {
    "type": ["string", "null"],
    "description": "a stable word: " + ", ".join(REASONS),
}
OPT_LABEL: Schema = {"type": ["string", "null"], "description": "the reason as pages say it"}
OPT_URL: Schema = {
    "type": ["string", "null"],
    "description": "a path on this server (/media/history/...); null when not kept",
}
VERSION = path(
    "version",
    "The version's number, from 1 (the metadata as archived).",
    {"type": "integer", "minimum": 1, "maximum": MAX_VERSION},
)
LOST_REASON = query(
    "reason",
    {"type": "string", "enum": list(UNAVAILABLE_REASONS)},
    "Only videos gone for this reason; empty or absent: all.",
)

AVAILABILITY_SCHEMAS: dict[str, Schema] = {
    "Availability": {
        **obj(
            {
                "state": {"type": "string", "enum": STATES},
                "reason": {
                    "type": ["string", "null"],
                    "description": "why it is gone (unavailable only): "
                    + ", ".join(UNAVAILABLE_REASONS),
                },
                "reason_label": OPT_LABEL,
                "since": {**OPT_TIME, "description": "when the state began (ISO 8601, UTC)"},
                "last_checked": OPT_TIME,
                "next_check": {
                    **OPT_TIME,
                    "description": "when the video is next due (ISO 8601, UTC); checks run "
                    "within an hourly budget, so it may be later",
                },
                "checks": {"type": "integer", "minimum": 0},
                "pending": {
                    **obj(
                        {
                            "outcome": {"type": "string", "enum": OUTCOMES},
                            "reason": OPT_REASON,
                            "answers": INT,
                            "needed": INT,
                        }
                    ),
                    "type": ["object", "null"],
                    "description": "definitive answers that disagree with the state, not yet "
                    "as many as needed to change it; null when none",
                },
            }
        ),
        "description": "Whether the archived video is still on its site, as checks found. "
        "It changes only after enough consecutive definitive answers agree.",
    },
    "VideoHistory": obj(
        {
            "video_id": STR,
            "versions": {
                **array(ref("MetadataVersion")),
                "description": "oldest first; empty until a check found the metadata changed",
            },
            "observations": {
                **array(ref("Observation")),
                "description": "the newest checks first (at most 100)",
            },
            "observations_total": {"type": "integer", "minimum": 0},
        }
    ),
    "MetadataVersion": obj(
        {
            "number": {"type": "integer", "minimum": 1},
            "seen_at": TIME,
            "title": STR,
            "description": STR,
            "channel_name": STR,
            "tags": {"type": ["array", "null"], "items": STR, "description": "null: not known"},
            "thumbnail_url": {
                "type": ["string", "null"],
                "description": "the site's thumbnail URL as this version showed it",
            },
            "changed": {
                **array(STR),
                "description": "the fields that changed from the version before; empty for 1",
            },
            "metadata_url": {**OPT_URL, "description": "this version's info.json, as kept"},
            "archived_thumbnail_url": {
                **OPT_URL,
                "description": "this version's thumbnail, as kept",
            },
        }
    ),
    "Observation": obj(
        {
            "checked_at": TIME,
            "outcome": {"type": "string", "enum": OUTCOMES},
            "reason": OPT_REASON,
            "reason_label": OPT_LABEL,
            "message": OPT_STR,
            "worker": OPT_STR,
        }
    ),
    "LostPage": obj(
        {
            "videos": array(ref("LostVideo")),
            "page": {"type": "integer", "minimum": 1},
            "pages": {"type": "integer", "minimum": 1},
            "total": {
                "type": "integer",
                "minimum": 0,
                "description": "lost videos with the reason asked for (all without one)",
            },
            "reasons": {
                "type": "object",
                "description": "every lost video, counted by reason",
                "additionalProperties": INT,
            },
        }
    ),
    "LostVideo": obj(
        {
            "video_id": STR,
            "title": STR,
            "channel_id": STR,
            "channel_name": STR,
            "upload_date": {"type": "string", "description": "YYYY-MM-DD, or empty when unknown"},
            "reason": OPT_REASON,
            "reason_label": OPT_LABEL,
            "since": OPT_TIME,
            "last_checked": OPT_TIME,
        }
    ),
}


def availability_paths() -> dict[str, Any]:
    return {
        "/api/video/{video_id}/history": {
            "get": operation(
                "A video's metadata versions and its availability checks",
                "availability",
                {
                    "200": json_answer("The history.", ref("VideoHistory")),
                    **errors(404),
                },
                parameters=[VIDEO_ID],
            )
        },
        "/api/lost": {
            "get": operation(
                "Videos gone from their site, newest loss first",
                "availability",
                {"200": json_answer("One page.", ref("LostPage")), **errors(400)},
                parameters=[LOST_REASON, PAGE],
                description="`results_per_page` videos a page; a page past the last is empty. "
                "400 for an unknown reason (the message lists them) or a bad page.",
            )
        },
        "/media/history/{video_id}/{version}/metadata": media_file(
            "A metadata version's info.json, as kept", [VIDEO_ID, VERSION]
        ),
        "/media/history/{video_id}/{version}/thumbnail": media_file(
            "A metadata version's thumbnail, as kept", [VIDEO_ID, VERSION]
        ),
    }
