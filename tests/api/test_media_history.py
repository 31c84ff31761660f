"""``/media/history/<id>/<n>/metadata|thumbnail``: the objects kept with each metadata version,
served like every archived file (ranges, validators, caching, nosniff, redirect modes)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from patchwork.app import create_app
from patchwork.config import Settings
from patchwork.db import Database
from patchwork.state import app_state
from support.availability_states import KEPT, NEW_THUMB, NEW_TITLE, RENAMED, build_states
from support.check_steps import OLD_THUMB
from support.media_fixtures import IMMUTABLE
from support.queue_fixtures import Tokens

BASE = f"/media/history/{RENAMED}"


@pytest.fixture
def versions(client: FlaskClient, db: Database, tokens: Tokens) -> list[dict[str, Any]]:
    build_states(client, db, tokens)
    found: list[dict[str, Any]] = client.get(f"/api/video/{RENAMED}/history").get_json()["versions"]
    return found


def test_each_version_serves_its_own_info_json_and_thumbnail(
    client: FlaskClient, versions: list[dict[str, Any]]
) -> None:
    first, second = versions
    for version, title, thumb in (
        (first, f"Song {RENAMED}", OLD_THUMB),
        (second, NEW_TITLE, NEW_THUMB),
    ):
        metadata = client.get(version["metadata_url"])
        assert metadata.status_code == 200
        assert metadata.mimetype == "application/json"
        assert json.loads(metadata.data)["title"] == title
        thumbnail = client.get(version["archived_thumbnail_url"])
        assert (thumbnail.status_code, thumbnail.mimetype) == (200, "image/jpeg")
        assert thumbnail.data == thumb
        for answer in (metadata, thumbnail):
            assert answer.headers["Cache-Control"] == IMMUTABLE
            assert answer.headers["X-Content-Type-Options"] == "nosniff"
            assert answer.headers["Accept-Ranges"] == "bytes"


def test_ranges_validators_and_head(client: FlaskClient, versions: list[dict[str, Any]]) -> None:
    url = f"{BASE}/2/thumbnail"
    whole = client.get(url)
    part = client.get(url, headers={"Range": "bytes=2-5"})
    assert part.status_code == 206 and part.data == NEW_THUMB[2:6]
    assert part.headers["Content-Range"] == f"bytes 2-5/{len(NEW_THUMB)}"
    again = client.get(url, headers={"If-None-Match": whole.headers["ETag"]})
    assert again.status_code == 304
    head = client.head(url)
    assert head.status_code == 200 and head.data == b""
    assert head.headers["Content-Length"] == str(len(NEW_THUMB))
    assert client.get(url, headers={"Range": "bytes=900-999"}).status_code == 416


@pytest.mark.parametrize(
    "path",
    [
        f"{BASE}/3/metadata",  # no such version
        f"{BASE}/0/metadata",  # versions start at 1
        f"{BASE}/-1/metadata",
        f"{BASE}/{2**31}/metadata",  # past the column: the route does not match
        f"{BASE}/{10**30}/thumbnail",
        f"{BASE}/x/thumbnail",
        f"{BASE}/1/video",  # versions keep no video
        f"/media/history/{KEPT}/1/metadata",  # a video whose metadata never changed
        "/media/history/nope/1/thumbnail",
        f"/media/history/{RENAMED.upper()}/1/thumbnail",  # ids are case-sensitive
        f"/media/history/{'x' * 300}/1/thumbnail",
    ],
)
def test_what_no_version_holds_is_a_json_404(
    client: FlaskClient, versions: list[dict[str, Any]], path: str
) -> None:
    response = client.get(path)
    assert response.status_code == 404, path
    assert "error" in response.get_json()
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.fixture
def redirecting(settings: Settings) -> Iterator[FlaskClient]:
    app: Flask = create_app(
        settings.with_environment({"PATCHWORK_MEDIA_REDIRECT": "public:https://cdn.example/arch/"})
    )
    yield app.test_client()
    app_state(app).db.dispose()


def test_a_public_cdn_is_redirected_to_like_other_media(
    redirecting: FlaskClient, db: Database, versions: list[dict[str, Any]]
) -> None:
    response = redirecting.get(f"{BASE}/1/metadata")
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith(f"https://cdn.example/arch/history/{RENAMED}/1.")
    assert location.endswith(".info.json")
    assert redirecting.get(f"{BASE}/3/metadata").status_code == 404
