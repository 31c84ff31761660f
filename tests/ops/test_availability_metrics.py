"""/metrics on lost media: videos by availability state, checks by outcome, checks queued."""

from __future__ import annotations

from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families

from patchwork.db import Database
from support.availability_states import KEPT, build_states
from support.check_steps import checked
from support.queue_fixtures import Tokens

ZEROS = {
    "videos.available": 0, "videos.unavailable": 0, "videos.unknown": 0,
    "checks.available": 0, "checks.unavailable": 0, "checks.inconclusive": 0, "queued": 0,
}  # fmt: skip


def availability(client: FlaskClient) -> dict[str, float]:
    """The lost-media samples of a scrape by a short name: ``videos.unknown``, ``queued``…"""
    with client.get("/metrics") as response:
        assert response.status_code == 200
        text = response.get_data(as_text=True)
    found: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "patchwork_videos_by_availability":
                found[f"videos.{sample.labels['state']}"] = sample.value
            elif sample.name == "patchwork_availability_checks_total":
                found[f"checks.{sample.labels['outcome']}"] = sample.value
            elif sample.name == "patchwork_availability_checks_queued_total":
                found["queued"] = sample.value
    return found


def test_an_empty_archive_reports_zeros(client: FlaskClient) -> None:
    assert availability(client) == ZEROS


def test_videos_are_counted_by_state_and_checks_by_outcome(
    client: FlaskClient, db: Database, tokens: Tokens
) -> None:
    build_states(client, db, tokens)  # one lost (two checks), two available, one never checked
    assert availability(client) == {
        **ZEROS,
        "videos.available": 2, "videos.unavailable": 1, "videos.unknown": 1,
        "checks.available": 2, "checks.unavailable": 2, "queued": 4,
    }  # fmt: skip
    checked(client, db, tokens, KEPT, "inconclusive", "rate-limited")
    after = availability(client)
    assert (after["checks.inconclusive"], after["queued"], after["videos.available"]) == (1, 5, 2)
