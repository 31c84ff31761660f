"""JSON Schemas of the API's answers (components of the OpenAPI document).

They describe what ``http/shapes.py`` and the handlers build; the fuzz test checks every answer
against them, so a field added in a handler without a line here fails CI.
"""

from __future__ import annotations

from typing import Any

from patchwork.archive.queue.states import JobState
from patchwork.archive.sources.rules import MAX_HEIGHT_LIMIT

Schema = dict[str, Any]

STR: Schema = {"type": "string"}
INT: Schema = {"type": "integer"}
NUM: Schema = {"type": "number"}
BOOL: Schema = {"type": "boolean"}
OPT_STR: Schema = {"type": ["string", "null"]}
OPT_INT: Schema = {"type": ["integer", "null"]}
OPT_NUM: Schema = {"type": ["number", "null"]}
TIME: Schema = {"type": "string", "description": "ISO 8601 date and time, UTC"}
OPT_TIME: Schema = {"type": ["string", "null"], "description": "ISO 8601 date and time, UTC"}
JOB_STATES = [str(state) for state in JobState]
MODES = "0 archive, 1 re-archive, 2 delete, 3 scan, 4 check (is the video still online?)"


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def obj(properties: dict[str, Schema], *, required: list[str] | None = None) -> Schema:
    """An object whose listed properties are all present unless ``required`` says otherwise."""
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties) if required is None else required,
    }


def array(items: Schema) -> Schema:
    return {"type": "array", "items": items}


VIDEO_SUMMARY = obj(
    {
        "channel_id": STR,
        "channel_name": STR,
        "description": STR,
        "title": STR,
        "upload_date": {"type": "string", "description": "YYYY-MM-DD, or empty when unknown"},
        "video_id": STR,
    }
)

JOB_FIELDS: dict[str, Schema] = {
    "job_id": INT,
    "url": STR,
    "target": {"type": "string", "description": "normalised target, e.g. youtube:ID"},
    "mode": {"type": "integer", "description": MODES},
    "state": {"type": "string", "enum": JOB_STATES},
    "attempts": INT,
    "max_attempts": INT,
    "available_at": OPT_TIME,
    "lease_owner": OPT_STR,
    "lease_expires_at": OPT_TIME,
    "progress": OPT_NUM,
    "progress_message": OPT_STR,
    "last_error": OPT_STR,
    "created_at": OPT_TIME,
    "finished_at": OPT_TIME,
}

#: A source's archive options (patchwork.archive.sources.rules.ArchiveOptions): only those set.
ARCHIVE_OPTION_FIELDS: dict[str, Schema] = {
    "max_height": {"type": "integer", "minimum": 1, "maximum": MAX_HEIGHT_LIMIT},
    "auto_captions": BOOL,
}

#: What a claim adds for a scan job (``scan``), a check job (``check``) and an archive job a
#: source queued (``options``): each only on such jobs.
CLAIM_FIELDS: dict[str, Schema] = {
    "scan": {
        **obj(
            {
                "source_id": OPT_INT,
                "url": STR,
                "resume_from": {"type": "integer", "description": "the entry to start at"},
                "full": {"type": "boolean", "description": "list to the end"},
                "limit": {"type": ["integer", "null"], "description": "entries to list at most"},
                "page_size": INT,
                "gone": {"type": "boolean", "description": "the source was removed: complete"},
            },
            required=["source_id"],
        ),
        "description": "Scan jobs (mode 3): report pages to /api/worker/jobs/{job_id}/entries, "
        "then complete with {}.",
    },
    "check": {
        **obj(
            {
                "video_id": STR,
                "url": {"type": "string", "description": "the video's page on its site"},
                "thumbnail_url": {
                    "type": ["string", "null"],
                    "description": "the newest thumbnail URL known (null: not read yet); "
                    "upload the thumbnail only when the site's differs",
                },
            }
        ),
        "description": "Check jobs (mode 4): re-read the video's metadata without downloading "
        "it, then complete with check: {outcome, reason, message}, and the info.json as video "
        "when available.",
    },
    "options": {
        **obj(ARCHIVE_OPTION_FIELDS, required=[]),
        "description": "Archive jobs a source queued, when the source has archive options.",
    },
}

SCHEMAS: dict[str, Schema] = {
    "Error": {
        **obj({"error": STR}),
        "description": "Every error answer: a message safe to show.",
    },
    "VideoSummary": VIDEO_SUMMARY,
    "Video": obj(
        {
            **VIDEO_SUMMARY["properties"],
            "availability": ref("Availability"),
        }
    ),
    "VideoList": array(ref("VideoSummary")),
    "VideoPage": obj(
        {
            "pages": {"type": "integer", "minimum": 0},
            "results": array(ref("VideoSummary")),
        }
    ),
    "VideoSearchPage": obj(
        {
            "pages": {"type": "integer", "minimum": 0},
            "pages_capped": {
                "type": "boolean",
                "description": "true when counting stopped at a cap: pages is a lower bound",
            },
            "results": array(ref("VideoSummary")),
        }
    ),
    "ChannelSearchPage": obj(
        {
            "pages": {"type": "integer", "minimum": 0},
            "pages_capped": BOOL,
            "results": array(
                obj(
                    {
                        "channel_id": STR,
                        "channel_name": STR,
                        "description": {
                            "type": "string",
                            "description": "the romanized name (the original's quirk, kept); "
                            "the name itself when it needs no romaji",
                        },
                        "romanized_name": {
                            "type": ["string", "null"],
                            "description": "the romanized name; null when it equals the name",
                        },
                        "channel_description": {
                            "type": "string",
                            "description": "the channel's own description, empty when none",
                        },
                    }
                )
            ),
        }
    ),
    "DiscoverChannel": obj(
        {
            "channel_id": STR,
            "channel_name": STR,
            "romanized": {
                "type": "string",
                "description": "the romanized name; the name itself when it needs no romaji",
            },
        }
    ),
    "ChannelName": obj(
        {
            "aliases": array(STR),
            "channel_name": STR,
            "description": {"type": "string", "description": "empty when the channel has none"},
        },
    ),
    "ExactMatch": obj({"video_id": STR}),
    "WorkerStatuses": obj(
        {
            "workers": array(
                obj(
                    {
                        "name": OPT_STR,
                        "status": OPT_STR,
                        "timestamp": {"type": "string", "description": "YYYY-MM-DD HH:MM:SS[.f]"},
                        "last_seen": TIME,
                        "online": BOOL,
                        "current_job_id": OPT_INT,
                        "progress": OPT_NUM,
                        "client": {
                            "type": ["string", "null"],
                            "description": "X-Patchwork-Worker of its last claim",
                        },
                        "compatible": {
                            "type": "boolean",
                            "description": "false once it claimed without X-Patchwork-Worker "
                            "(the original worker): it is given no jobs",
                        },
                        "incompatible_reason": OPT_STR,
                    }
                )
            )
        }
    ),
    "StorageStatus": obj(
        {
            "most_recent_archived_video_date": {
                "type": "string",
                "description": "newest upload date, YYYY-MM-DD; empty when the archive is empty",
            },
            "most_recent_archived_at": OPT_TIME,
            "number_of_channels": INT,
            "number_of_files": INT,
            "storage_size": NUM,
            "units": STR,
        }
    ),
    "FileData": obj(
        {"file_size": OPT_NUM, "file_size_units": STR, "file_type": OPT_STR, "video_id": STR}
    ),
    "VideoData": {
        **obj(
            {
                "_type": STR,
                "channel": STR,
                "channel_id": STR,
                "description": STR,
                "title": STR,
                "upload_date": {
                    "type": "string",
                    "description": "YYYYMMDD from an info.json, YYYY-MM-DD without one, or empty",
                },
                "file_ext": {"type": "string", "description": "webm when none is recorded"},
                "file_size": OPT_NUM,
                "file_size_units": STR,
                "subtitles": {
                    "type": "object",
                    "description": "yt-dlp's shape, {lang: [{ext, url}]}, for the captions "
                    "Patchwork holds: srv3 and vtt of every language, plus a stored format",
                    "additionalProperties": array(obj({"ext": STR, "url": STR})),
                },
                "archive_availability": {
                    **ref("Availability"),
                    "description": "whether the video is still on its site, as Patchwork's "
                    "checks found; not `availability`, which is yt-dlp's own field of the "
                    "info.json (public, unlisted… when it was downloaded), kept as it is",
                },
            }
        ),
        "description": "yt-dlp's info.json verbatim plus the file fields, or, without one, "
        "channel, channel_id, description, title, upload_date and video_id; the fields listed "
        "are always there (filled from the database when the info.json lacks them).",
        "additionalProperties": True,
    },
    "CaptionList": array(obj({"language": STR, "format": STR, "url": STR})),
    "Job": obj(JOB_FIELDS),
    "JobList": obj({"jobs": array(ref("Job"))}),
    "JobDetail": obj(
        {
            **JOB_FIELDS,
            "events": array(
                obj(
                    {
                        "event": STR,
                        "actor": OPT_STR,
                        "actor_token_id": OPT_INT,
                        "message": OPT_STR,
                        "at": TIME,
                    }
                )
            ),
        }
    ),
    "Enqueued": obj(
        {
            "status": {"type": "string", "enum": ["OK", "Already queued"]},
            "created": BOOL,
            **JOB_FIELDS,
        }
    ),
    "NextJob": obj(
        {
            "next_video": STR,
            "mode": {"type": "integer", "description": MODES},
            "job_id": INT,
            "target": STR,
            "attempt": INT,
            "lease_expires_at": TIME,
            **CLAIM_FIELDS,
        },
        required=["next_video", "mode", "job_id", "target", "attempt", "lease_expires_at"],
    ),
    "Uploaded": obj({"kind": STR, "ext": STR, "size": INT, "sha256": STR}),
    "Completed": obj(
        {
            **JOB_FIELDS,
            "already_done": BOOL,
            "video_id": OPT_STR,
            "files": array(obj({"kind": STR, "key": STR, "size": INT, "sha256": OPT_STR})),
        }
    ),
    "Health": obj({"status": {"type": "string", "enum": ["ok"]}}),
    "Readiness": obj(
        {
            "status": {"type": "string", "enum": ["ready", "unavailable"]},
            "checks": {
                "type": "object",
                "additionalProperties": obj(
                    {"ok": BOOL, "error": STR, "current": OPT_STR, "head": OPT_STR},
                    required=["ok"],
                ),
            },
            "error": STR,
            "failed": array(STR),
        },
        required=["status", "checks"],
    ),
}
