"""Lost media's JSON API: ``availability`` on the video answers, ``/api/video/<id>/history``,
``/api/lost`` and their errors (budgets and the OpenAPI document:
test_availability_budgets_and_document.py).

The states are built through the worker API (:mod:`support.availability_states`).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from patchwork.app import create_app
from patchwork.archive.availability.lost import VersionInfo
from patchwork.archive.availability.reasons import UNAVAILABLE_REASONS
from patchwork.archive.maintenance.recount import recount_summaries
from patchwork.config import Settings
from patchwork.db import Database
from patchwork.db.models import Video, VideoAvailability
from patchwork.http import availability_shapes
from patchwork.state import app_state
from support.availability_states import (
    ALL,
    FRESH,
    KEPT,
    LOST,
    NEW_THUMBNAIL_URL,
    NEW_TITLE,
    OLD_THUMBNAIL_URL,
    RENAMED,
    build_states,
)
from support.check_steps import archived, checked
from support.queue_fixtures import Tokens, info

SUMMARY_KEYS = {"channel_id", "channel_name", "description", "title", "upload_date", "video_id"}
NOT_FOUND = {"error": "Video ID does not exist"}
DAYS = timedelta(days=30)  # the default check interval


@pytest.fixture
def states(client: FlaskClient, db: Database, tokens: Tokens) -> dict[str, dict[str, Any]]:
    return build_states(client, db, tokens)


@pytest.fixture
def other_app(settings: Settings) -> Iterator[Any]:
    """Another app on the same database and storage, with some settings changed."""
    made: list[Flask] = []

    def make(**environment: str) -> FlaskClient:
        app = create_app(settings.with_environment(environment))
        made.append(app)
        return app.test_client()

    yield make
    for app in made:
        app_state(app).db.dispose()


def _time(text: str | None) -> datetime:
    assert text is not None
    return datetime.fromisoformat(text)


def _archived_at(db: Database, video_id: str) -> datetime:
    with db.reading() as session:
        found = session.scalar(select(Video.archived_at).where(Video.video_id == video_id))
    assert found is not None
    return found


def _summary(meta: dict[str, Any], **changed: str) -> dict[str, Any]:
    """What /api/video/<id> answered before issue 16, from the archived info.json."""
    day = meta["upload_date"]
    return {
        "channel_id": meta["channel_id"],
        "channel_name": meta["channel"],
        "description": meta["description"],
        "title": meta["title"],
        "upload_date": f"{day[:4]}-{day[4:6]}-{day[6:]}",
        "video_id": meta["id"],
        **changed,
    }


# ---- availability on /api/video/<id> and /api/database/video_data/<id> ------------------------


def test_a_video_keeps_its_fields_and_adds_its_availability(
    client: FlaskClient, db: Database, states: dict[str, dict[str, Any]]
) -> None:
    for video_id in ALL:
        body = client.get(f"/api/video/{video_id}").get_json()
        assert set(body) == SUMMARY_KEYS | {"availability"}
        body.pop("availability")
        changed = {"title": NEW_TITLE} if video_id == RENAMED else {}  # the newest version
        assert body == _summary(states[video_id], **changed)
    never_checked = client.get(f"/api/video/{FRESH}").get_json()["availability"]
    next_check = never_checked.pop("next_check")
    assert never_checked == {
        "state": "unknown",
        "reason": None,
        "reason_label": None,
        "since": None,
        "last_checked": None,
        "checks": 0,
        "pending": None,
    }
    assert _time(next_check) == _archived_at(db, FRESH) + DAYS


def test_the_original_fields_do_not_change_when_a_video_is_checked(
    client: FlaskClient, db: Database, tokens: Tokens
) -> None:
    archived(client, tokens, "plainvid001")
    before = client.get("/api/video/plainvid001").get_json()
    checked(client, db, tokens, "plainvid001", "available", video=info("plainvid001"))
    checked(client, db, tokens, "plainvid001", "unavailable", "private")
    after = client.get("/api/video/plainvid001").get_json()
    assert before.pop("availability")["checks"] == 0
    assert after.pop("availability")["checks"] == 2
    assert after == before


def test_an_unavailable_video_says_why_and_since_when(
    client: FlaskClient, states: dict[str, dict[str, Any]]
) -> None:
    found = client.get(f"/api/video/{LOST}").get_json()["availability"]
    newest, first = client.get(f"/api/video/{LOST}/history").get_json()["observations"]
    assert found == {
        "state": "unavailable",
        "reason": "not-found",
        "reason_label": UNAVAILABLE_REASONS["not-found"],
        "since": first["checked_at"],  # the first of the two answers that agreed
        "last_checked": newest["checked_at"],
        "next_check": found["next_check"],
        "checks": 2,
        "pending": None,
    }
    assert _time(found["next_check"]) == _time(newest["checked_at"]) + DAYS
    available = client.get(f"/api/video/{KEPT}").get_json()["availability"]
    assert (available["state"], available["reason"], available["checks"]) == ("available", None, 1)
    assert available["since"] == available["last_checked"]


def test_an_answer_not_yet_confirmed_is_pending(
    client: FlaskClient, db: Database, tokens: Tokens, states: dict[str, dict[str, Any]]
) -> None:
    checked(client, db, tokens, KEPT, "unavailable", "private")
    found = client.get(f"/api/video/{KEPT}").get_json()["availability"]
    assert found["state"] == "available"  # one answer does not move it
    assert found["pending"] == {
        "outcome": "unavailable",
        "reason": "private",
        "answers": 1,
        "needed": 2,
    }
    checked(client, db, tokens, KEPT, "inconclusive", "rate-limited")
    assert client.get(f"/api/video/{KEPT}").get_json()["availability"]["pending"]["answers"] == 1


def test_the_policy_comes_from_the_settings(
    client: FlaskClient,
    db: Database,
    tokens: Tokens,
    states: dict[str, dict[str, Any]],
    other_app: Any,
) -> None:
    checked(client, db, tokens, KEPT, "unavailable", "private")
    strict = other_app(
        PATCHWORK_AVAILABILITY_CHECK_DAYS="7", PATCHWORK_AVAILABILITY_CONFIRMATIONS="3"
    )
    found = strict.get(f"/api/video/{FRESH}").get_json()["availability"]
    assert _time(found["next_check"]) == _archived_at(db, FRESH) + timedelta(days=7)
    data = strict.get(f"/api/database/video_data/{KEPT}").get_json()["archive_availability"]
    assert data["pending"]["needed"] == 3


def test_video_data_adds_the_same_object_and_keeps_yt_dlps_availability(
    client: FlaskClient, db: Database, tokens: Tokens, states: dict[str, dict[str, Any]]
) -> None:
    for video_id in ALL:
        data = client.get(f"/api/database/video_data/{video_id}").get_json()
        video = client.get(f"/api/video/{video_id}").get_json()
        assert data["archive_availability"] == video["availability"]
        assert "availability" not in data  # these info.json files had none
        for field in ("id", "channel", "description", "duration", "thumbnail", "webpage_url"):
            assert data[field] == states[video_id][field], (video_id, field)
    archived(client, tokens, "ytdlpflag01", availability="public")
    data = client.get("/api/database/video_data/ytdlpflag01").get_json()
    assert data["availability"] == "public"  # yt-dlp's own field, served as stored
    assert data["archive_availability"]["state"] == "unknown"


def test_a_video_without_an_availability_row_is_unknown(
    client: FlaskClient, db: Database, states: dict[str, dict[str, Any]]
) -> None:
    """Every video gets a row when written; one written by hand may not have it."""
    with db.transaction() as session:
        session.execute(
            VideoAvailability.__table__.delete().where(VideoAvailability.video_id == FRESH)
        )
    expected = availability_shapes.availability(None)
    assert client.get(f"/api/video/{FRESH}").get_json()["availability"] == expected
    data = client.get(f"/api/database/video_data/{FRESH}").get_json()
    assert data["archive_availability"] == expected
    assert expected["state"] == "unknown" and expected["next_check"] is None


# ---- /api/video/<id>/history -------------------------------------------------------------------


def test_history_lists_every_version_oldest_first_with_its_kept_objects(
    client: FlaskClient, db: Database, states: dict[str, dict[str, Any]]
) -> None:
    body = client.get(f"/api/video/{RENAMED}/history").get_json()
    (seen,) = body["observations"]
    assert body["video_id"] == RENAMED and body["observations_total"] == 1
    first, second = body["versions"]
    base = f"/media/history/{RENAMED}"
    assert first == {
        "number": 1,
        "seen_at": first["seen_at"],
        "title": f"Song {RENAMED}",
        "description": "line one\nline two",
        "channel_name": "Some Channel",
        "tags": None,  # the archived info.json had none
        "thumbnail_url": OLD_THUMBNAIL_URL,
        "changed": [],
        "metadata_url": f"{base}/1/metadata",
        "archived_thumbnail_url": f"{base}/1/thumbnail",
    }
    assert _time(first["seen_at"]) == _archived_at(db, RENAMED)
    assert second == {
        **first,
        "number": 2,
        "seen_at": seen["checked_at"],
        "title": NEW_TITLE,
        "thumbnail_url": NEW_THUMBNAIL_URL,
        "changed": ["title", "thumbnail_url"],
        "metadata_url": f"{base}/2/metadata",
        "archived_thumbnail_url": f"{base}/2/thumbnail",
    }
    assert seen == {
        "checked_at": seen["checked_at"],
        "outcome": "available",
        "reason": None,
        "reason_label": None,
        "message": None,
        "worker": "worker-a",
    }


def test_history_lists_observations_newest_first(
    client: FlaskClient, db: Database, tokens: Tokens, states: dict[str, dict[str, Any]]
) -> None:
    checked(client, db, tokens, LOST, "inconclusive", "bot-check")
    body = client.get(f"/api/video/{LOST}/history").get_json()
    assert body["versions"] == [] and body["observations_total"] == 3
    outcomes = [(o["outcome"], o["reason"]) for o in body["observations"]]
    assert outcomes == [
        ("inconclusive", "bot-check"),
        ("unavailable", "not-found"),
        ("unavailable", "not-found"),
    ]
    times = [_time(o["checked_at"]) for o in body["observations"]]
    assert times == sorted(times, reverse=True)
    assert body["observations"][0]["reason_label"] == "the site asked for a bot check"
    assert body["observations"][1]["message"] == "ERROR: [generic] not-found"
    never = client.get(f"/api/video/{FRESH}/history").get_json()
    assert never == {"video_id": FRESH, "versions": [], "observations": [], "observations_total": 0}


def test_history_of_an_unknown_video_is_404(
    client: FlaskClient, states: dict[str, dict[str, Any]]
) -> None:
    for video_id in ("nope", "x" * 300, RENAMED.upper()):
        response = client.get(f"/api/video/{video_id}/history")
        assert response.status_code == 404 and response.get_json() == NOT_FOUND, video_id


def test_a_version_without_a_kept_object_has_no_url() -> None:
    kept = VersionInfo(
        1, datetime(2024, 1, 1, tzinfo=UTC), "t", "", "c", None, None, [], False, False
    )
    shaped = availability_shapes.version(kept, lambda number, kind: f"/{number}/{kind}")
    assert shaped["metadata_url"] is None and shaped["archived_thumbnail_url"] is None


# ---- /api/lost ---------------------------------------------------------------------------------


def test_lost_lists_the_videos_gone_with_their_reasons(
    client: FlaskClient, states: dict[str, dict[str, Any]]
) -> None:
    body = client.get("/api/lost").get_json()
    availability = client.get(f"/api/video/{LOST}").get_json()["availability"]
    assert body == {
        "videos": [
            {
                "video_id": LOST,
                "title": f"Song {LOST}",
                "channel_id": "UCchannel0000000000000",
                "channel_name": "Some Channel",
                "upload_date": "2024-01-31",
                "reason": "not-found",
                "reason_label": UNAVAILABLE_REASONS["not-found"],
                "since": availability["since"],
                "last_checked": availability["last_checked"],
            }
        ],
        "page": 1,
        "pages": 1,
        "total": 1,
        "reasons": {"not-found": 1},
    }
    assert client.get("/api/lost?reason=not-found").get_json() == body
    assert client.get("/api/lost?reason=&page=").get_json() == body  # empty: not given
    other = client.get("/api/lost?reason=private").get_json()
    assert other == {"videos": [], "page": 1, "pages": 1, "total": 0, "reasons": {"not-found": 1}}
    past = client.get("/api/lost?page=2").get_json()
    assert (past["videos"], past["page"], past["total"]) == ([], 2, 1)


def test_lost_pages_newest_loss_first(
    client: FlaskClient, db: Database, states: dict[str, dict[str, Any]], other_app: Any
) -> None:
    with db.transaction() as session:
        for video_id, year in ((KEPT, 2020), (FRESH, 2021)):
            session.execute(
                update(VideoAvailability)
                .where(VideoAvailability.video_id == video_id)
                .values(
                    state="unavailable", reason="private", since=datetime(year, 1, 1, tzinfo=UTC)
                )
            )
    recount_summaries(db)  # the update above went around the ORM's counting
    small = other_app(PATCHWORK_RESULTS_PER_PAGE="2")
    first = small.get("/api/lost").get_json()
    second = small.get("/api/lost?page=2").get_json()
    assert [v["video_id"] for v in first["videos"]] == [LOST, FRESH]
    assert [v["video_id"] for v in second["videos"]] == [KEPT]
    assert (first["pages"], first["total"], second["page"]) == (2, 3, 2)
    assert first["reasons"] == {"not-found": 1, "private": 2}
    private = small.get("/api/lost?reason=private").get_json()
    assert [v["video_id"] for v in private["videos"]] == [FRESH, KEPT]
    assert (private["total"], private["pages"]) == (2, 1)


@pytest.mark.parametrize("query", ["page=0", "page=-1", "page=x", "page=1.5", "page=99999999"])
def test_lost_refuses_a_bad_page(client: FlaskClient, query: str) -> None:
    response = client.get(f"/api/lost?{query}")
    assert response.status_code == 400
    assert "page must be" in response.get_json()["error"]


def test_lost_refuses_an_unknown_reason_and_names_the_valid_ones(client: FlaskClient) -> None:
    for reason in ("gone", "bot-check", "NOT-FOUND", "not-found "):
        response = client.get("/api/lost", query_string={"reason": reason})
        assert response.status_code == 400, reason
        error = response.get_json()["error"]
        assert error.startswith("reason must be one of")
        assert all(valid in error for valid in UNAVAILABLE_REASONS)
