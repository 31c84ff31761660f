"""Search results filtered by availability (``availability=available|unavailable|unknown``), on
every way a query runs: postings-driven (few and many matches), LIKE words, the blank scan."""

from __future__ import annotations

from datetime import date

import pytest
from flask.testing import FlaskClient

from patchwork.archive.availability.reasons import State
from patchwork.archive.search import service as search_service
from patchwork.db import Database
from patchwork.db.models import Video, VideoAvailability
from patchwork.db.types import utcnow
from support.availability_states import FRESH, KEPT, LOST, RENAMED, build_states
from support.queue_fixtures import Tokens

#: (video id, title, upload date, state); None: the video has no availability row at all.
VIDEOS = [
    ("gone-new", "Aurora 夜に駆ける live", date(2024, 3, 1), "unavailable"),
    ("gone-old", "Aurora demo", date(2019, 1, 1), "unavailable"),
    ("here-new", "Aurora 夜に駆ける remix", date(2023, 1, 1), "available"),
    ("here-chan", "Untitled", date(2022, 1, 1), "available"),  # matches by channel name
    ("unsure", "Aurora (acoustic)", date(2021, 1, 1), "unknown"),
    ("no-row", "Aurora cover", None, None),
]


@pytest.fixture
def archive(db: Database) -> None:
    with db.transaction() as session:
        for video_id, title, day, state in VIDEOS:
            channel = "Aurora Band" if video_id == "here-chan" else "Someone"
            session.add(
                Video(
                    video_id=video_id,
                    title=title,
                    channel_id=f"c-{channel}",
                    channel_name=channel,
                    upload_date=day,
                )
            )
            session.flush()
            if state is not None:
                session.add(VideoAvailability(video_id=video_id, state=state, check_from=utcnow()))


def ids(client: FlaskClient, **params: str) -> list[str]:
    response = client.get("/api/search/results", query_string=params)
    assert response.status_code == 200, response.get_json()
    return [v["video_id"] for v in response.get_json()["results"]]


def test_each_state_narrows_a_postings_query(client: FlaskClient, archive: None) -> None:
    assert ids(client, q="aurora", availability="unavailable") == ["gone-new", "gone-old"]
    assert ids(client, q="aurora", availability="available") == ["here-new", "here-chan"]
    # A video without a row is answered as unknown, so it is found as one.
    assert ids(client, q="aurora", availability="unknown") == ["unsure", "no-row"]
    assert len(ids(client, q="aurora")) == len(VIDEOS)
    assert ids(client, q="aurora", availability="") == ids(client, q="aurora")  # empty: no filter


def test_the_filter_holds_with_sorts_other_filters_and_several_words(
    client: FlaskClient, archive: None
) -> None:
    gone = {"q": "aurora", "availability": "unavailable"}
    assert ids(client, **gone, sort="oldest") == ["gone-old", "gone-new"]
    assert ids(client, **gone, sort="newest") == ["gone-new", "gone-old"]
    assert ids(client, **gone, **{"from": "2020-01-01"}) == ["gone-new"]
    assert ids(client, **gone, channel_id="c-Aurora Band") == []
    assert ids(client, q="aurora", availability="available", channel_id="c-Aurora Band") == [
        "here-chan"
    ]
    assert ids(client, q="aurora live", availability="unavailable") == ["gone-new"]
    assert ids(client, q="aurora live", availability="available") == []


def test_the_filter_holds_for_like_words_and_the_blank_scan(
    client: FlaskClient, archive: None
) -> None:
    # A CJK word of 3+ characters is checked with LIKE on the row; "(acoustic)" has punctuation.
    assert ids(client, q="夜に駆ける", availability="available") == ["here-new"]
    assert ids(client, q="夜に駆ける", availability="unavailable") == ["gone-new"]
    assert ids(client, q="(acoustic)", availability="unknown") == ["unsure"]
    assert ids(client, q="(acoustic)", availability="available") == []
    assert ids(client, q="", availability="unavailable") == ["gone-new", "gone-old"]
    assert ids(client, q="", availability="unknown") == ["unsure", "no-row"]
    body = client.get("/api/search/results", query_string={"q": "", "availability": "available"})
    assert body.get_json()["pages"] == 1


def test_many_matches_are_paged_through_the_filter(
    client: FlaskClient, archive: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past FEW matches the plan reads pages in rank order with early termination."""
    monkeypatch.setattr(search_service, "FEW", 1)
    monkeypatch.setattr(search_service, "PROBE_BUDGET", 1)
    assert ids(client, q="aurora", availability="unavailable") == ["gone-new", "gone-old"]
    assert ids(client, q="aurora", availability="available", sort="oldest") == [
        "here-chan",
        "here-new",
    ]
    assert ids(client, q="aurora", availability="unknown", page="2") == []


def test_the_service_takes_the_state(db: Database, archive: None) -> None:
    found = search_service.search_videos(
        db,
        "aurora",
        page=1,
        per_page=10,
        filters=search_service.VideoFilters(availability=State.UNAVAILABLE),
    )
    assert [v.video_id for v in found.items] == ["gone-new", "gone-old"] and found.total == 2


@pytest.mark.parametrize("value", ["lost", "AVAILABLE", "available ", "1"])
def test_a_bad_state_is_400_naming_the_valid_ones(client: FlaskClient, value: str) -> None:
    response = client.get("/api/search/results", query_string={"q": "a", "availability": value})
    assert response.status_code == 400
    assert response.get_json() == {
        "error": "availability must be one of available, unavailable, unknown"
    }


def test_videos_checked_through_the_worker_api_are_found_by_state(
    client: FlaskClient, db: Database, tokens: Tokens
) -> None:
    build_states(client, db, tokens)
    assert ids(client, q="song", availability="unavailable") == [LOST]
    assert ids(client, q="song", availability="unknown") == [FRESH]
    assert set(ids(client, q="", availability="available")) == {RENAMED, KEPT}
    assert ids(client, q="renamed", availability="available") == [RENAMED]  # the new title
