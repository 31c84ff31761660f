"""/metrics on subscriptions: sources by state and due, scans by outcome, entries queued."""

from __future__ import annotations

from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families

from patchwork.archive.queue.records import Actor
from patchwork.archive.sources import catalog
from patchwork.archive.sources.catalog import SourceSpec
from patchwork.db import Database
from patchwork.ops.metrics import subscription_numbers
from support.queue_fixtures import Tokens, auth, claim

ADMIN = Actor(None, "test")
FEED = "http://127.0.0.1:9/feed{}.xml"

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape(client: FlaskClient) -> Samples:
    with client.get("/metrics") as response:
        assert response.status_code == 200
        return {
            (s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(response.get_data(as_text=True))
            for s in family.samples
        }


def subscriptions(samples: Samples) -> dict[str, float]:
    """The subscription samples, by a short name: ``sources.enabled``, ``scans.done`` …"""
    found: dict[str, float] = {}
    for (name, labels), number in samples.items():
        label = dict(labels)
        if name == "patchwork_sources":
            found[f"sources.{label['state']}"] = number
        elif name == "patchwork_scans_total":
            found[f"scans.{label['outcome']}"] = number
        elif name in ("patchwork_sources_due", "patchwork_source_entries_queued_total"):
            found[name.removeprefix("patchwork_")] = number
    return found


def _finish_scan(client: FlaskClient, tokens: Tokens, job_id: int, entries: int) -> None:
    items = [{"url": f"http://127.0.0.1:9/v/{job_id}-{n}.html"} for n in range(entries)]
    page = client.post(
        f"/api/worker/jobs/{job_id}/entries",
        json={"position": 0, "entries": items},
        headers=auth(tokens.worker),
    )
    assert page.status_code == 200 and page.get_json()["queued"] == entries
    done = client.post(f"/api/worker/jobs/{job_id}/complete", json={}, headers=auth(tokens.worker))
    assert done.status_code == 200, done.get_data(as_text=True)


def _fail(client: FlaskClient, tokens: Tokens, job_id: int, *, retryable: bool) -> None:
    failed = client.post(
        f"/api/worker/jobs/{job_id}/fail",
        json={"error": "listing refused", "retryable": retryable},
        headers=auth(tokens.worker),
    )
    assert failed.status_code == 200 and failed.get_json()["state"] == (
        "queued" if retryable else "failed"
    )


def test_an_archive_without_sources_reports_zeros(client: FlaskClient) -> None:
    assert subscriptions(scrape(client)) == {
        "sources.enabled": 0, "sources.paused": 0, "sources_due": 0, "scans.done": 0,
        "scans.failed": 0, "scans.retry": 0, "source_entries_queued_total": 0,
    }  # fmt: skip


def test_sources_scans_and_queued_entries_are_counted(
    client: FlaskClient, db: Database, tokens: Tokens
) -> None:
    for n in range(3):
        catalog.add_source(db, SourceSpec(url=FEED.format(n)), ADMIN)
    catalog.add_source(db, SourceSpec(url=FEED.format("-paused"), enabled=False), ADMIN)
    before = subscriptions(scrape(client))
    assert (before["sources.enabled"], before["sources.paused"], before["sources_due"]) == (3, 1, 3)

    # The first claim schedules the three due scans and takes the oldest.
    listed = claim(client, tokens.worker)
    assert listed is not None and listed["mode"] == 3
    _finish_scan(client, tokens, listed["job_id"], entries=4)
    retried = claim(client, tokens.worker)
    assert retried is not None and retried["mode"] == 3
    _fail(client, tokens, retried["job_id"], retryable=True)
    refused = claim(client, tokens.worker)
    assert refused is not None and refused["mode"] == 3
    _fail(client, tokens, refused["job_id"], retryable=False)

    after = subscriptions(scrape(client))
    assert after == {
        "sources.enabled": 3, "sources.paused": 1, "sources_due": 0, "scans.done": 1,
        "scans.failed": 1, "scans.retry": 1, "source_entries_queued_total": 4,
    }  # fmt: skip


def test_jobs_queued_by_hand_are_not_counted_as_scans_or_entries(
    client: FlaskClient, db: Database, tokens: Tokens
) -> None:
    queued = client.post(
        "/api/worker/queue", json={"url": "http://127.0.0.1:9/v/1.html"}, headers=auth(tokens.queue)
    )
    assert queued.status_code in (200, 201)
    job = claim(client, tokens.worker)
    assert job is not None and job["mode"] == 0
    _fail(client, tokens, job["job_id"], retryable=True)
    numbers = subscription_numbers(db)
    assert numbers.scans == {"done": 0, "failed": 0, "retry": 0} and numbers.entries_queued == 0
