"""Four archived videos, one in each situation the read side of availability answers, built
through the worker API (archive, ask for a check, claim it, answer it)."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from patchwork.db import Database
from support.check_steps import archived, checked
from support.queue_fixtures import Tokens, info

LOST = "lostvid0001"  # unavailable: two "not found" answers
RENAMED = "histvid0001"  # available; its check saw a new title and thumbnail: versions 1, 2
KEPT = "keptvid0001"  # available, its metadata unchanged
FRESH = "freshvid001"  # archived, never checked: unknown
ALL = (LOST, RENAMED, KEPT, FRESH)

NEW_TITLE = "Renamed by its uploader"
OLD_THUMBNAIL_URL = "https://i.example/old.jpg"
NEW_THUMBNAIL_URL = "https://i.example/new.jpg"
NEW_THUMB = b"\xff\xd8 the new thumbnail"


def build_states(client: FlaskClient, db: Database, tokens: Tokens) -> dict[str, dict[str, Any]]:
    """Archive and check the four videos; the metadata each was archived with, by id."""
    metadata = {
        video_id: archived(client, tokens, video_id, thumbnail=OLD_THUMBNAIL_URL)
        for video_id in ALL
    }
    for _ in range(2):
        checked(client, db, tokens, LOST, "unavailable", "not-found")
    checked(
        client,
        db,
        tokens,
        RENAMED,
        "available",
        video=info(RENAMED, title=NEW_TITLE, thumbnail=NEW_THUMBNAIL_URL),
        thumbnail=NEW_THUMB,
    )
    checked(client, db, tokens, KEPT, "available", video=info(KEPT, thumbnail=OLD_THUMBNAIL_URL))
    return metadata
