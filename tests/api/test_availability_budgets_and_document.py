"""Lost media's statement budgets and its place in the OpenAPI document (the fuzz test
checks the answers against it: tests/api/test_fuzz_openapi.py)."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from patchwork.archive.availability.reasons import UNAVAILABLE_REASONS
from patchwork.db import Database
from patchwork.http import availability_shapes
from support.availability_states import LOST, RENAMED, build_states
from support.queue_fixtures import Tokens
from support.statements import CountStatements


@pytest.fixture
def states(client: FlaskClient, db: Database, tokens: Tokens) -> dict[str, dict[str, Any]]:
    return build_states(client, db, tokens)


def test_availability_costs_the_video_answer_no_statement(
    client: FlaskClient,
    db: Database,
    states: dict[str, dict[str, Any]],
    count_statements: CountStatements,
) -> None:
    with count_statements(db) as counted:
        assert client.get(f"/api/video/{LOST}").get_json()["availability"]["state"] == "unavailable"
    # measured: one read, the video joined to its availability row by primary key
    assert counted.transactions == 1 and counted.statements == 1, counted.report()
    with count_statements(db) as counted:
        assert client.get("/api/lost").status_code == 200
    # measured: the counts by reason, then the page
    assert counted.transactions == 1 and counted.statements == 2, counted.report()
    with count_statements(db) as counted:
        assert client.get(f"/api/video/{RENAMED}/history").status_code == 200
    # measured: the video with its checks counter, its versions, its newest observations
    assert counted.transactions == 1 and counted.statements == 3, counted.report()


def test_the_document_describes_the_new_paths_and_fields(client: FlaskClient) -> None:
    document = client.get("/api/openapi.json").get_json()
    paths, schemas = document["paths"], document["components"]["schemas"]
    for path in (
        "/api/video/{video_id}/history",
        "/api/lost",
        "/media/history/{video_id}/{version}/metadata",
        "/media/history/{video_id}/{version}/thumbnail",
    ):
        assert "get" in paths[path], path
    video = paths["/api/video/{video_id}"]["get"]["responses"]["200"]["content"]
    assert video["application/json"]["schema"]["$ref"].endswith("/Video")
    assert schemas["Video"]["properties"]["availability"]["$ref"].endswith("/Availability")
    assert "archive_availability" in schemas["VideoData"]["properties"]
    assert set(schemas["Availability"]["required"]) == set(availability_shapes.availability(None))
    lost = {p["name"]: p for p in paths["/api/lost"]["get"]["parameters"]}
    assert lost["reason"]["schema"]["enum"] == list(UNAVAILABLE_REASONS)
    search = {p["name"]: p for p in paths["/api/search/results"]["get"]["parameters"]}
    assert search["availability"]["schema"]["enum"] == ["available", "unavailable", "unknown"]
