"""Check jobs through the worker API: the two-answer rule, evidence, metadata history."""

from __future__ import annotations

import json
from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from patchwork.archive.availability.policy import DEFAULT_POLICY
from patchwork.db import Database
from patchwork.db.models import AvailabilityCheck, Video, VideoAvailability, VideoVersion
from patchwork.state import app_state
from support.check_steps import OLD_THUMB, answer, archived, checked, claim_check
from support.queue_fixtures import Tokens


def _row(db: Database, video_id: str) -> VideoAvailability:
    with db.reading() as session:
        row = session.get(VideoAvailability, video_id)
        assert row is not None
        session.expunge(row)
        return row


def test_an_archived_video_is_unknown_until_checked_and_the_claim_says_what_to_check(
    client: FlaskClient, db: Database, tokens: Tokens
) -> None:
    archived(client, tokens, "vid00000001", thumbnail="https://i.example/old.jpg")
    assert _row(db, "vid00000001").state == "unknown"
    job = claim_check(client, db, tokens, "vid00000001")
    assert job["target"] == "check:vid00000001"
    assert job["next_video"] == "https://www.youtube.com/watch?v=vid00000001"
    assert job["check"]["thumbnail_url"] is None  # not read from the info.json yet
    assert answer(client, tokens, job, "available", video=_info("vid00000001")).status_code == 200
    row = _row(db, "vid00000001")
    assert (row.state, row.reason, row.checks) == ("available", None, 1)
    assert row.thumbnail_url == "https://i.example/old.jpg"
    assert claim_check(client, db, tokens, "vid00000001")["check"]["thumbnail_url"] == (
        "https://i.example/old.jpg"
    )


def test_a_video_becomes_unavailable_after_two_definitive_answers_and_back_the_same_way(
    client: FlaskClient, db: Database, tokens: Tokens
) -> None:
    archived(client, tokens, "vid00000002")
    checked(client, db, tokens, "vid00000002", "available", video=_info("vid00000002"))
    checked(client, db, tokens, "vid00000002", "unavailable", "not-found")
    row = _row(db, "vid00000002")
    assert (row.state, row.streak_count) == ("available", 1)
    first_gone = row.last_checked_at
    checked(client, db, tokens, "vid00000002", "inconclusive", "rate-limited")
    assert _row(db, "vid00000002").state == "available"  # neither counts nor breaks the run
    checked(client, db, tokens, "vid00000002", "unavailable", "private")
    row = _row(db, "vid00000002")
    assert (row.state, row.reason, row.since) == ("unavailable", "private", first_gone)
    checked(client, db, tokens, "vid00000002", "available", video=_info("vid00000002"))
    assert _row(db, "vid00000002").state == "unavailable"
    checked(client, db, tokens, "vid00000002", "available", video=_info("vid00000002"))
    assert (_row(db, "vid00000002").state, _row(db, "vid00000002").reason) == ("available", None)
    with db.reading() as session:
        seen = session.scalars(
            select(AvailabilityCheck.outcome)
            .where(AvailabilityCheck.video_id == "vid00000002")
            .order_by(AvailabilityCheck.id)
        ).all()
    assert seen == [
        "available", "unavailable", "inconclusive", "unavailable", "available", "available",
    ]  # fmt: skip


def test_inconclusive_answers_never_change_the_state(
    client: FlaskClient, db: Database, tokens: Tokens
) -> None:
    archived(client, tokens, "vid00000003")
    for reason in ("bot-check", "rate-limited", "network", "login-required", "unknown"):
        checked(client, db, tokens, "vid00000003", "inconclusive", reason)
    row = _row(db, "vid00000003")
    assert (row.state, row.streak_count, row.checks) == ("unknown", 0, 5)


def test_a_changed_title_keeps_the_archived_version_and_shows_the_new_one(
    app: Flask, client: FlaskClient, db: Database, tokens: Tokens
) -> None:
    original = archived(
        client, tokens, "vid00000004", tags=["a"], thumbnail="https://i.example/1.jpg"
    )
    fresh = _info(
        "vid00000004", title="A new title", tags=["a", "b"], thumbnail="https://i.example/2.jpg"
    )
    result = checked(
        client, db, tokens, "vid00000004", "available", video=fresh, thumbnail=b"\xff\xd8 new"
    )
    assert result["video_id"] == "vid00000004"
    with db.reading() as session:
        video = session.scalars(select(Video).where(Video.video_id == "vid00000004")).one()
        versions = session.scalars(
            select(VideoVersion)
            .where(VideoVersion.video_id == "vid00000004")
            .order_by(VideoVersion.version)
        ).all()
        assert video.title == "A new title"
        assert [(v.version, v.title, v.changed) for v in versions] == [
            (1, original["title"], None),
            (2, "A new title", "title,tags,thumbnail_url"),
        ]
        storage = app_state(app).storage
        first = json.loads(b"".join(storage.iter_object(versions[0].info_key or "")))
        assert first["title"] == original["title"]
        assert b"".join(storage.iter_object(versions[0].thumbnail_key or "")) == OLD_THUMB
        assert b"".join(storage.iter_object(versions[1].thumbnail_key or "")) == b"\xff\xd8 new"
    # The served files stay those archived with the video.
    assert client.get("/media/thumbnail/vid00000004").get_data() == OLD_THUMB
    # The same metadata again is no new version.
    checked(client, db, tokens, "vid00000004", "available", video=fresh)
    with db.reading() as session:
        count = len(
            session.scalars(
                select(VideoVersion.id).where(VideoVersion.video_id == "vid00000004")
            ).all()
        )
    assert count == 2


def test_an_answer_about_another_video_is_inconclusive_and_changes_nothing(
    client: FlaskClient, db: Database, tokens: Tokens
) -> None:
    archived(client, tokens, "vid00000005")
    checked(client, db, tokens, "vid00000005", "available", video=_info("vid00000099", title="x"))
    row = _row(db, "vid00000005")
    assert (row.state, row.checks) == ("unknown", 1)
    with db.reading() as session:
        reason = session.scalars(select(AvailabilityCheck.reason)).one()
        title = session.scalars(select(Video.title).where(Video.video_id == "vid00000005")).one()
    assert reason == "other-video" and title == "Song vid00000005"


def test_bad_check_answers_are_refused_and_the_job_stays_leased(
    client: FlaskClient, db: Database, tokens: Tokens
) -> None:
    archived(client, tokens, "vid00000006")
    job = claim_check(client, db, tokens, "vid00000006")
    for outcome, reason in (
        ("gone", None),
        ("unavailable", None),
        ("unavailable", "bot-check"),
        ("inconclusive", "private"),
        ("available", "private"),
    ):
        response = answer(client, tokens, job, outcome, reason)
        assert response.status_code == 400, (outcome, reason)
        assert "check." in response.get_json()["error"] or "reason" in response.get_json()["error"]
    response = answer(client, tokens, job, "available")  # without metadata
    assert response.status_code == 400
    assert answer(client, tokens, job, "unavailable", "removed-by-uploader").status_code == 200
    assert _row(db, "vid00000006").checks == 1


def _info(video_id: str, **extra: object) -> dict[str, object]:
    from support.queue_fixtures import info

    return info(video_id, **extra)


def test_search_finds_a_retitled_video_by_its_new_title(
    client: FlaskClient, db: Database, tokens: Tokens
) -> None:
    archived(client, tokens, "vid00000007", title="Moonlight sonata")
    checked(
        client,
        db,
        tokens,
        "vid00000007",
        "available",
        video=_info("vid00000007", title="Aurora borealis"),
    )

    def found(words: str) -> list[str]:
        body = client.get("/api/search/results", query_string={"q": words}).get_json()
        return [v["video_id"] for v in body["results"]]

    assert found("aurora") == ["vid00000007"]
    assert found("moonlight") == []


def test_the_next_check_is_an_interval_away_and_a_day_away_while_a_change_is_unconfirmed(
    client: FlaskClient, db: Database, tokens: Tokens
) -> None:
    archived(client, tokens, "vid00000008")

    def next_check_in() -> timedelta:
        row = _row(db, "vid00000008")
        assert row.last_checked_at is not None
        return row.check_from + DEFAULT_POLICY.every - row.last_checked_at

    checked(client, db, tokens, "vid00000008", "available", video=_info("vid00000008"))
    assert next_check_in() == timedelta(days=30)  # settled: a whole interval
    checked(client, db, tokens, "vid00000008", "unavailable", "private")
    assert next_check_in() == timedelta(days=1)  # one answer of two: confirm it soon
    checked(client, db, tokens, "vid00000008", "inconclusive", "bot-check")
    assert next_check_in() == timedelta(days=1)  # could not tell: try again tomorrow
    checked(client, db, tokens, "vid00000008", "unavailable", "private")
    assert _row(db, "vid00000008").state == "unavailable"
    assert next_check_in() == timedelta(days=30)
