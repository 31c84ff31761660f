"""/api/sources: who may read and change sources, what a change keeps, what is refused, and
that asking for a scan queues one scan job however often it is asked."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from patchwork.archive.queue.states import JobMode
from patchwork.archive.sources import catalog
from patchwork.db import Database
from patchwork.db.models import Job, Source
from support.queue_fixtures import Tokens, auth
from support.statements import CountStatements

CHANNEL = "https://www.youtube.com/@SomeChannel/videos"
CHANNEL_KEY = "https://www.youtube.com/@somechannel/videos"
PLAYLIST = "https://www.youtube.com/playlist?list=PL0123456789abcdef"
FEED = "http://127.0.0.1:9/feed.xml"


def _add(client: FlaskClient, tokens: Tokens, **body: Any) -> Any:
    return client.post("/api/sources", json=body, headers=auth(tokens.admin))


def _added(client: FlaskClient, tokens: Tokens, **body: Any) -> dict[str, Any]:
    response = _add(client, tokens, **body)
    assert response.status_code == 201, response.get_data(as_text=True)
    found = response.get_json()
    assert isinstance(found, dict)
    return found


def _patch(client: FlaskClient, tokens: Tokens, source_id: int, body: Any) -> Any:
    return client.patch(f"/api/sources/{source_id}", json=body, headers=auth(tokens.admin))


def _scan_jobs(db: Database) -> int:
    with db.reading() as session:
        counted = session.scalar(
            select(func.count()).select_from(Job).where(Job.mode == JobMode.SCAN)
        )
    return int(counted or 0)


def test_reading_takes_a_token_and_changing_takes_an_admin_one(
    client: FlaskClient, tokens: Tokens
) -> None:
    assert client.get("/api/sources").status_code == 401
    bad = client.get("/api/sources", headers=auth("not-a-token"))
    assert bad.status_code == 401 and "error" in bad.get_json()
    assert client.get("/api/sources", headers=auth(tokens.worker)).status_code == 403
    refused = client.post("/api/sources", json={"url": CHANNEL}, headers=auth(tokens.queue))
    assert refused.status_code == 403 and "admin" in refused.get_json()["error"]
    source = _added(client, tokens, url=CHANNEL)
    listed = client.get("/api/sources", headers=auth(tokens.queue))
    assert listed.status_code == 200
    assert [s["id"] for s in listed.get_json()["sources"]] == [source["id"]]
    one = client.get(f"/api/sources/{source['id']}", headers=auth(tokens.queue))
    assert one.status_code == 200 and one.get_json()["url"] == CHANNEL_KEY
    path = f"/api/sources/{source['id']}"
    for response in (
        client.patch(path, json={"enabled": False}, headers=auth(tokens.queue)),
        client.delete(path, headers=auth(tokens.queue)),
        client.post(f"{path}/scan", json={}, headers=auth(tokens.queue)),
        client.post("/api/sources/scan", json={}, headers=auth(tokens.queue)),
    ):
        assert response.status_code == 403
    assert client.get(path, headers=auth(tokens.admin)).get_json()["enabled"] is True


def test_an_admin_adds_a_source_with_its_filters_and_options(
    client: FlaskClient, tokens: Tokens
) -> None:
    source = _added(
        client,
        tokens,
        url=CHANNEL,
        name="Some channel",
        scan_every="1d12h",
        first_scan_limit=50,
        filters={
            "title_include": "review|test",
            "min_duration": "2m",
            "max_duration": 7200,
            "uploaded_after": "2024-02-29",
            "skip_shorts": True,
        },
        options={"max_height": 720, "auto_captions": False},
    )
    assert source["url"] == CHANNEL_KEY and source["name"] == "Some channel"
    assert source["scan_every_seconds"] == 36 * 3600 and source["first_scan_limit"] == 50
    assert source["enabled"] is True and source["scanning"] is False
    assert source["filters"] == {
        "title_include": "review|test", "title_exclude": None, "min_duration": 120,
        "max_duration": 7200, "uploaded_after": "2024-02-29", "skip_shorts": True,
        "skip_live": False, "skip_upcoming": True,
    }  # fmt: skip
    assert source["options"] == {"max_height": 720, "auto_captions": False}
    assert source["counts"] == dict.fromkeys(
        ("found", "filtered", "known", "queued", "archived", "failed", "cancelled"), 0
    )
    # Without a name the source is named after its URL, and all it takes is the URL.
    plain = _added(client, tokens, url=PLAYLIST)
    assert plain["name"] == "PL0123456789abcdef" and plain["scan_every_seconds"] == 6 * 3600
    assert plain["first_scan_limit"] is None and plain["options"] == {}


def test_a_url_followed_already_is_a_conflict_naming_its_source(
    client: FlaskClient, tokens: Tokens
) -> None:
    first = _added(client, tokens, url=CHANNEL)
    # The same channel spelled another way is the same source.
    again = _add(client, tokens, url="https://youtube.com/@somechannel/videos/")
    assert again.status_code == 409
    body = again.get_json()
    assert body["source_id"] == first["id"] and str(first["id"]) in body["error"]


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({"url": CHANNEL, "filters": {"title_include": "(unclosed"}}, "title_include"),
        ({"url": CHANNEL, "filters": {"min_duration": "soon"}}, "min_duration"),
        ({"url": CHANNEL, "filters": {"min_duration": 600, "max_duration": 60}}, "max_duration"),
        ({"url": CHANNEL, "filters": {"uploaded_after": "2024-13-01"}}, "uploaded_after"),
        ({"url": CHANNEL, "filters": {"skip_live": "yes"}}, "skip_live"),
        ({"url": CHANNEL, "filters": {"colour": "red"}}, "filters.colour"),
        ({"url": CHANNEL, "filters": ["skip_shorts"]}, "filters"),
        ({"url": CHANNEL, "scan_every": "every now and then"}, "scan_every"),
        ({"url": CHANNEL, "scan_every": 5}, "interval"),
        ({"url": CHANNEL, "scan_every": True}, "scan_every"),
        ({"url": CHANNEL, "enabled": "no"}, "enabled"),
        ({"url": CHANNEL, "first_scan_limit": "ten"}, "first_scan_limit"),
        ({"url": CHANNEL, "first_scan_limit": -1}, "first_scan_limit"),
        ({"url": CHANNEL, "options": {"max_height": 0}}, "max_height"),
        ({"url": CHANNEL, "options": {"auto_captions": 1}}, "auto_captions"),
        ({"url": CHANNEL, "name": 12}, "name"),
        ({"url": CHANNEL, "name": "a\x00b"}, "NUL"),
        ({"url": CHANNEL, "every": "6h"}, "every"),
        ({"url": "https://www.youtube.com/watch?v=dQw4w9WgXcQ"}, "one video"),
        ({"url": "ftp://example.com/list"}, "http"),
        ({"url": "https://example.com/" + "x" * 600}, "too long"),
        ({"url": 42}, "url"),
        ({"name": "no url"}, "url is required"),
    ],
)
def test_bad_fields_are_refused_naming_the_field(
    client: FlaskClient, tokens: Tokens, db: Database, body: dict[str, Any], named: str
) -> None:
    response = _add(client, tokens, **body)
    assert response.status_code == 400, response.get_data(as_text=True)
    assert named in response.get_json()["error"]
    assert client.get("/api/sources", headers=auth(tokens.admin)).get_json()["sources"] == []


def test_a_body_that_is_not_an_object_is_refused(client: FlaskClient, tokens: Tokens) -> None:
    response = client.post("/api/sources", json=[CHANNEL], headers=auth(tokens.admin))
    assert response.status_code == 400 and "object" in response.get_json()["error"]


def test_a_change_keeps_what_it_does_not_name(client: FlaskClient, tokens: Tokens) -> None:
    source = _added(
        client,
        tokens,
        url=CHANNEL,
        filters={"title_exclude": "trailer", "skip_live": True},
        options={"max_height": 1080},
    )
    changed = _patch(
        client,
        tokens,
        source["id"],
        {"name": "Renamed", "scan_every": 3600, "filters": {"min_duration": 60}},
    )
    assert changed.status_code == 200, changed.get_data(as_text=True)
    body = changed.get_json()
    assert body["name"] == "Renamed" and body["scan_every_seconds"] == 3600
    assert body["filters"]["title_exclude"] == "trailer" and body["filters"]["skip_live"] is True
    assert body["filters"]["min_duration"] == 60 and body["options"] == {"max_height": 1080}
    # null clears one filter or option; the others stay.
    cleared = _patch(
        client,
        tokens,
        source["id"],
        {
            "filters": {"title_exclude": None},
            "options": {"max_height": None, "auto_captions": True},
        },
    ).get_json()
    assert cleared["filters"]["title_exclude"] is None and cleared["filters"]["min_duration"] == 60
    assert cleared["options"] == {"auto_captions": True}
    paused = _patch(client, tokens, source["id"], {"enabled": False}).get_json()
    assert paused["enabled"] is False and paused["name"] == "Renamed"
    totals = client.get("/api/sources", headers=auth(tokens.admin)).get_json()["totals"]
    assert totals == {"enabled": 0, "paused": 1, "due": 0}


def test_a_change_that_cannot_be_made_changes_nothing(client: FlaskClient, tokens: Tokens) -> None:
    source = _added(client, tokens, url=CHANNEL, filters={"title_include": "keep"})
    for body in (
        {"url": PLAYLIST},
        {"filters": {"title_include": "*bad"}},
        {"name": "  "},
        {"scan_every": "400d"},
        {"unknown": 1},
    ):
        response = _patch(client, tokens, source["id"], body)
        assert response.status_code == 400, body
    now = client.get(f"/api/sources/{source['id']}", headers=auth(tokens.admin)).get_json()
    assert now["url"] == CHANNEL_KEY and now["filters"]["title_include"] == "keep"


def test_unknown_sources_are_not_found(client: FlaskClient, tokens: Tokens) -> None:
    headers = auth(tokens.admin)
    for response in (
        client.get("/api/sources/999", headers=headers),
        client.patch("/api/sources/999", json={"name": "x"}, headers=headers),
        client.delete("/api/sources/999", headers=headers),
        client.post("/api/sources/999/scan", json={}, headers=headers),
        client.get(f"/api/sources/{2**70}", headers=headers),
    ):
        assert response.status_code == 404
        assert "error" in response.get_json()


def test_removing_a_source_forgets_it(client: FlaskClient, tokens: Tokens) -> None:
    source = _added(client, tokens, url=CHANNEL)
    removed = client.delete(f"/api/sources/{source['id']}", headers=auth(tokens.admin))
    assert removed.status_code == 200 and removed.get_json() == {"deleted": source["id"]}
    gone = client.get(f"/api/sources/{source['id']}", headers=auth(tokens.admin))
    assert gone.status_code == 404
    # Its URL may be followed again.
    assert _add(client, tokens, url=CHANNEL).status_code == 201


def test_listing_pages_by_id(client: FlaskClient, tokens: Tokens) -> None:
    ids = [_added(client, tokens, url=f"{FEED}?n={n}")["id"] for n in range(3)]
    headers = auth(tokens.queue)
    first = client.get("/api/sources?limit=2", headers=headers).get_json()
    assert [s["id"] for s in first["sources"]] == ids[:2] and first["next_after"] == ids[1]
    assert first["totals"] == {"enabled": 3, "paused": 0, "due": 3}
    rest = client.get(f"/api/sources?limit=2&after={ids[1]}", headers=headers).get_json()
    assert [s["id"] for s in rest["sources"]] == ids[2:] and rest["next_after"] is None
    # A page that happens to end with the last source says so.
    exact = client.get("/api/sources?limit=3", headers=headers).get_json()
    assert len(exact["sources"]) == 3 and exact["next_after"] is None
    for query in ("limit=0", "limit=501", "limit=x", "after=-1"):
        response = client.get(f"/api/sources?{query}", headers=headers)
        assert response.status_code == 400, query


def test_asking_twice_for_a_scan_queues_one_scan_job(
    client: FlaskClient, tokens: Tokens, db: Database
) -> None:
    source = _added(client, tokens, url=CHANNEL)
    path = f"/api/sources/{source['id']}/scan"
    first = client.post(path, json={}, headers=auth(tokens.admin))
    assert first.status_code == 202, first.get_data(as_text=True)
    body = first.get_json()
    assert len(body["job_ids"]) == 1 and body["source"]["scan_job_id"] == body["job_ids"][0]
    assert body["source"]["scanning"] is True and _scan_jobs(db) == 1
    second = client.post(path, json={"full": True}, headers=auth(tokens.admin))
    assert second.status_code == 202
    # The waiting scan is the answer, and what was asked for applies to it.
    assert second.get_json()["job_ids"] == body["job_ids"] and _scan_jobs(db) == 1
    with db.reading() as session:
        assert session.scalars(select(Source.scan_full)).one() is True


def test_scan_all_scans_every_enabled_source_once(
    client: FlaskClient, tokens: Tokens, db: Database
) -> None:
    first = _added(client, tokens, url=CHANNEL)
    second = _added(client, tokens, url=PLAYLIST)
    _added(client, tokens, url=FEED, enabled=False)
    answer = client.post("/api/sources/scan", headers=auth(tokens.admin))
    assert answer.status_code == 202, answer.get_data(as_text=True)
    job_ids = answer.get_json()["job_ids"]
    assert len(job_ids) == 2 and _scan_jobs(db) == 2
    again = client.post(
        "/api/sources/scan", json={"retry_failed": True}, headers=auth(tokens.admin)
    )
    assert sorted(again.get_json()["job_ids"]) == sorted(job_ids) and _scan_jobs(db) == 2
    for source in (first, second):
        read = client.get(f"/api/sources/{source['id']}", headers=auth(tokens.admin)).get_json()
        assert read["scan_job_id"] in job_ids and read["scan_state"] == "queued"


@pytest.mark.parametrize("body", [{"full": "yes"}, {"retry_failed": 1}, {"everything": True}])
def test_a_bad_scan_request_queues_nothing(
    client: FlaskClient, tokens: Tokens, db: Database, body: dict[str, Any]
) -> None:
    source = _added(client, tokens, url=CHANNEL)
    headers = auth(tokens.admin)
    assert (
        client.post(f"/api/sources/{source['id']}/scan", json=body, headers=headers).status_code
        == 400
    )
    assert client.post("/api/sources/scan", json=body, headers=headers).status_code == 400
    assert _scan_jobs(db) == 0


def test_a_page_of_sources_costs_two_reads_whatever_its_size(
    client: FlaskClient, tokens: Tokens, db: Database, count_statements: CountStatements
) -> None:
    """The token's check, the page with its counts and whether another follows, the totals:
    never a query per source, nor a second page read to learn that the listing goes on."""
    for n in range(5):
        _added(client, tokens, url=f"https://www.youtube.com/@budget{n}")
    with count_statements(db) as counted:
        listing = client.get("/api/sources?limit=2", headers=auth(tokens.queue)).get_json()
    assert len(listing["sources"]) == 2 and listing["next_after"] == listing["sources"][1]["id"]
    assert listing["totals"] == {"enabled": 5, "paused": 0, "due": 5}
    # measured: 4 transactions, 6 statements (token and its last use; rows and job counts;
    # totals and due). Before: a second page read and the due count on their own (6, 8).
    assert counted.transactions <= 4, counted.report()
    assert counted.statements <= 6, counted.report()
    last = client.get(f"/api/sources?after={listing['sources'][1]['id']}&limit=3",
                      headers=auth(tokens.queue)).get_json()  # fmt: skip
    assert len(last["sources"]) == 3 and last["next_after"] is None


def test_two_changes_of_different_filters_at_once_both_stay(
    client: FlaskClient, tokens: Tokens, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A change merges onto the filters as they are when its transaction holds the source,
    not as a read before it saw them: another change landing in between is kept."""
    source = _added(client, tokens, url=FEED)
    change_source = catalog.change_source
    between: list[Any] = []

    def another_change_first(*args: Any, **kwargs: Any) -> Any:
        if not between:  # the other admin's change lands just before this one is written
            monkeypatch.setattr(catalog, "change_source", change_source)
            between.append(_patch(client, tokens, source["id"], {"filters": {"skip_live": True}}))
        return change_source(*args, **kwargs)

    monkeypatch.setattr(catalog, "change_source", another_change_first)
    answer = _patch(client, tokens, source["id"], {"filters": {"title_exclude": "trailer"}})
    assert between[0].status_code == answer.status_code == 200
    filters = catalog.get_source(db, source["id"]).filters
    assert (filters.skip_live, filters.title_exclude) == (True, "trailer")
