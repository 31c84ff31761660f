"""OpenAPI paths of the public read API, media, and the operations endpoints.

Bounds come from the code that enforces them (``http/params.py``,
``archive/search/service.py``), so a changed bound changes the document too.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from patchwork.api.catalog import MAX_MATCH_TEXT
from patchwork.api.openapi.parts import (
    errors,
    form_or_json,
    header,
    json_answer,
    operation,
    path,
    query,
)
from patchwork.api.openapi.schemas import ref
from patchwork.archive.availability.reasons import State
from patchwork.archive.media.captions_srv3 import TARGETS as CAPTION_TARGETS
from patchwork.archive.media.file_kinds import THUMBNAIL_EXTENSIONS, VIDEO_EXTENSIONS
from patchwork.archive.search.service import MAX_QUERY_LENGTH, SORTS
from patchwork.http.params import MAX_DISCOVER_COUNT, MAX_PAGE

PAGE = query(
    "page",
    {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1},
    "Page number, from 1.",
)
COUNT = query(
    "count",
    {"type": "integer", "minimum": 1, "maximum": MAX_DISCOVER_COUNT, "default": 6},
    "How many items.",
)
Q = query(
    "q",
    {"type": "string", "maxLength": MAX_QUERY_LENGTH},
    "Words, all of which must match (ANDed); empty matches everything.",
    required=True,
)
VIDEO_ID = path("video_id", "The platform's video id (YouTube id, Bilibili BV…).")
CHANNEL_ID = path("channel_id", "The platform's channel id.")
DATE = {"type": "string", "format": "date"}


def _get(summary: str, tag: str, answer: dict[str, Any], *codes: int, **kw: Any) -> dict[str, Any]:
    return {"get": operation(summary, tag, {"200": answer, **errors(*codes)}, **kw)}


MATCH_TEXT = {"type": "string", "minLength": 1, "maxLength": MAX_MATCH_TEXT}
REQUIRED = ["title", "channel_name"]


def catalog_paths() -> dict[str, Any]:
    videos = json_answer("Videos.", ref("VideoList"))
    return {
        "/api/video/{video_id}": _get(
            "One video, and whether it is still on its site",
            "catalog",
            json_answer("The video.", ref("Video")),
            404,
            parameters=[VIDEO_ID],
        ),
        "/api/random_video": _get(
            "A random video",
            "catalog",
            json_answer("A video.", ref("VideoSummary")),
            404,
            description="404 when the archive is empty.",
        ),
        "/api/discover_videos": _get(
            "Random videos (cached an hour)", "catalog", videos, 400, parameters=[COUNT]
        ),
        "/api/discover_channels": _get(
            "Random channels (cached an hour)",
            "catalog",
            json_answer("Channels.", {"type": "array", "items": ref("DiscoverChannel")}),
            400,
            parameters=[COUNT],
        ),
        "/api/daily_featured_videos": _get("Today's two featured videos", "catalog", videos),
        "/api/recently_archived": _get("The six newest archived videos", "catalog", videos),
        "/api/popular": _get("The six most viewed videos", "catalog", videos),
        "/api/channel/{channel_id}": {
            "get": operation(
                "A channel's videos, newest first",
                "catalog",
                {
                    "200": json_answer("One page.", ref("VideoPage")),
                    **errors(400, 404),
                    "404": json_answer(
                        "Unknown channel: the error plus the empty page's fields, pages 0 and "
                        "results [] (the reference frontend reads results whatever the status).",
                        ref("Error"),
                    ),
                },
                parameters=[CHANNEL_ID, PAGE],
            )
        },
        "/api/exact_match": {
            "post": operation(
                "The video with exactly this title and channel name (Patchwork-Radio)",
                "catalog",
                {
                    "200": json_answer("Found.", ref("ExactMatch")),
                    **errors(400, 404, 413),
                },
                body=form_or_json({"title": MATCH_TEXT, "channel_name": MATCH_TEXT}, REQUIRED),
                description="Code point equality on both (no case or accent folding); the "
                "earliest archived when several match. 404 `No exact match found`.",
            )
        },
        "/api/channel_name": _get(
            "A channel's name, description and former names",
            "catalog",
            json_answer("The channel.", ref("ChannelName")),
            400,
            404,
            parameters=[
                query(
                    "channel_id", {"type": "string", "maxLength": 255}, "Channel id.", required=True
                )
            ],
        ),
        "/api/search/results": _get(
            "Search videos",
            "search",
            json_answer("One page.", ref("VideoSearchPage")),
            400,
            parameters=[
                Q,
                PAGE,
                query(
                    "channel_id",
                    {"type": "string", "maxLength": 255},
                    "Only this channel's videos.",
                ),
                query("from", DATE, "Uploaded on or after (YYYY-MM-DD)."),
                query("to", DATE, "Uploaded on or before (YYYY-MM-DD)."),
                query(
                    "sort",
                    {"type": "string", "enum": list(SORTS), "default": "relevance"},
                    "Order of results.",
                ),
                query(
                    "availability",
                    {"type": "string", "enum": [s.value for s in State]},
                    "Only videos in this availability state (still on their site, gone, "
                    "not settled by checks yet).",
                ),
            ],
        ),
        "/api/search/channel": _get(
            "Search channels",
            "search",
            json_answer("One page.", ref("ChannelSearchPage")),
            400,
            parameters=[Q, PAGE],
        ),
    }


def status_paths() -> dict[str, Any]:
    return {
        "/api/status": _get(
            "Workers and their last heartbeat",
            "status",
            json_answer("Workers.", ref("WorkerStatuses")),
        ),
        "/api/storage/status": _get(
            "Archive size and counts",
            "status",
            json_answer("Statistics.", ref("StorageStatus")),
        ),
        "/api/database/status": _get(
            "Is the database reachable?",
            "status",
            {
                "description": "Reachable.",
                "content": {"text/plain": {"schema": {"type": "string", "enum": ["OK"]}}},
            },
        ),
        "/api/database/file_data/{video_id}": _get(
            "The video file's size and type",
            "status",
            json_answer("File data.", ref("FileData")),
            404,
            parameters=[VIDEO_ID],
        ),
        "/api/database/video_data/{video_id}": _get(
            "yt-dlp metadata of a video (counts a view)",
            "status",
            json_answer("Metadata.", ref("VideoData")),
            404,
            parameters=[VIDEO_ID],
        ),
    }


MEDIA_HEADERS = [
    header("Range", "bytes=START-END (one range)."),
    header("If-Range", "An ETag or date; the range applies only if it still matches."),
    header("If-None-Match", "ETags; 304 when one matches."),
    header("If-Match", "ETags; 412 when none matches."),
    header("If-Modified-Since", "HTTP date; 304 when not modified since."),
    header("If-Unmodified-Since", "HTTP date; 412 when modified since."),
]


def media_file(summary: str, parameters: list[dict[str, Any]]) -> dict[str, Any]:
    """GET and HEAD of a path served like every archived file (``api/media.py``'s _serve)."""
    file_headers = {
        name: {"schema": {"type": "string"}}
        for name in ("ETag", "Last-Modified", "Accept-Ranges", "Content-Length")
    }
    answers = {
        "200": {
            "description": "The whole file.",
            "headers": file_headers,
            "content": {"*/*": {}},
        },
        "206": {
            "description": "The requested range.",
            "headers": {**file_headers, "Content-Range": {"schema": {"type": "string"}}},
            "content": {"*/*": {}},
        },
        "302": {
            "description": "Redirect to a CDN or presigned URL (PATCHWORK_MEDIA_REDIRECT).",
            "headers": {"Location": {"schema": {"type": "string"}}},
        },
        "304": {"description": "Not modified."},
        **errors(404, 412, 416),
    }
    get = operation(summary, "media", answers, parameters=[*parameters, *MEDIA_HEADERS])
    head = {**get, "summary": f"{summary} (headers only)"}
    return {"get": get, "head": head}


def _enum(values: Iterable[str]) -> dict[str, Any]:
    return {"type": "string", "enum": sorted(values)}


def media_paths() -> dict[str, Any]:
    captions = operation(
        "A video's caption tracks",
        "media",
        {"200": json_answer("Tracks.", ref("CaptionList")), **errors(404)},
        parameters=[VIDEO_ID],
    )
    return {
        "/media/video/{video_id}": media_file("The video file", [VIDEO_ID]),
        "/media/thumbnail/{video_id}": media_file("The thumbnail", [VIDEO_ID]),
        "/media/metadata/{video_id}": media_file("yt-dlp's info.json, verbatim", [VIDEO_ID]),
        "/media/channel/{channel_id}/{image}": media_file(
            "A channel's avatar or banner",
            [
                CHANNEL_ID,
                path("image", "Which image.", {"type": "string", "enum": ["avatar", "banner"]}),
            ],
        ),
        "/media/captions/{video_id}": {"get": captions, "head": {**captions}},
        "/media/captions/{video_id}/{lang}": media_file(
            "One caption track",
            [
                VIDEO_ID,
                path("lang", "Language code."),
                query("format", {"type": "string", "maxLength": 16}, "vtt, srv3, srt…"),
            ],
        ),
        # The shapes the original frontend (Patchwork-Browser) builds; docs/media.md.
        "/media/video/{video_id}.{ext}": media_file(
            "The video file; the stored one whatever its container (true Content-Type)",
            [VIDEO_ID, path("ext", "Any video extension.", _enum(VIDEO_EXTENSIONS))],
        ),
        "/media/thumbnail/{video_id}.{ext}": media_file(
            "The thumbnail, whatever its stored type",
            [VIDEO_ID, path("ext", "jpg, webp, png…", _enum(THUMBNAIL_EXTENSIONS))],
        ),
        "/media/captions/{video_id}/{file_id}.{lang}.{fmt}": media_file(
            "A caption track as srv3 or vtt: the stored one, else converted (200, no ranges)",
            [
                VIDEO_ID,
                path("file_id", "The video id again, as the original bucket named captions."),
                path("lang", "Language code."),
                path("fmt", "The format wanted.", _enum(CAPTION_TARGETS)),
            ],
        ),
        "/media/channel/{channel_id}_{image}.jpg": media_file(
            "A channel's avatar (pfp) or banner",
            [CHANNEL_ID, path("image", "Which image.", _enum(("pfp", "banner")))],
        ),
    }


def ops_paths() -> dict[str, Any]:
    return {
        "/api/openapi.json": _get(
            "This document",
            "operations",
            json_answer("OpenAPI 3.1.", {"type": "object"}),
        ),
        "/api/docs": {
            "get": operation(
                "API reference page",
                "operations",
                {
                    "200": {"description": "HTML.", "content": {"text/html": {"schema": {}}}},
                    **errors(),
                },
            )
        },
        "/healthz": _get(
            "Is the process alive? (no I/O)", "operations", json_answer("Alive.", ref("Health"))
        ),
        "/readyz": {
            "get": operation(
                "Can it serve? Database, migrations, storage",
                "operations",
                {
                    "200": json_answer("Ready.", ref("Readiness")),
                    "503": {
                        **json_answer(
                            "Not ready; error and failed name the checks.", ref("Readiness")
                        )
                    },
                },
            )
        },
        "/metrics": {
            "get": operation(
                "Prometheus metrics",
                "operations",
                {
                    "200": {
                        "description": "Prometheus text format.",
                        "content": {"text/plain": {"schema": {"type": "string"}}},
                    },
                    **errors(401),
                },
                description="Needs `Authorization: Bearer <PATCHWORK_METRICS_TOKEN>` when "
                "that setting is set.",
            )
        },
    }
