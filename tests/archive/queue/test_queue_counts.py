"""Jobs per state, counted once (archive.queue.counts) for the status page, the queue portal
and the ``patchwork_queue_jobs`` gauge."""

from __future__ import annotations

from flask.testing import FlaskClient

from patchwork.archive.queue.counts import jobs_per_state
from patchwork.archive.queue.states import JobState
from patchwork.db import Database
from patchwork.db.models import Job

IN_STATES = {"queued": 3, "leased": 2, "failed": 1, "done": 4}  # none cancelled


def add_jobs(db: Database) -> None:
    with db.transaction() as session:
        for state, count in IN_STATES.items():
            for n in range(count):
                target = f"{state}{n:07d}"
                session.add(Job(url=f"https://youtu.be/{target}", target=target, state=state))


def test_every_state_is_counted_zeros_included(db: Database) -> None:
    assert jobs_per_state(db) == dict.fromkeys(JobState, 0)
    add_jobs(db)
    assert jobs_per_state(db) == {"queued": 3, "leased": 2, "done": 4, "failed": 1, "cancelled": 0}


def test_the_pages_and_the_gauge_show_the_same_counts(client: FlaskClient, db: Database) -> None:
    add_jobs(db)
    status = client.get("/status").get_data(as_text=True)
    assert '<strong id="queued">3</strong> queued, <strong>2</strong> being archived' in status
    assert '<strong id="failed">1</strong>' in status
    portal = client.get("/queue").get_data(as_text=True)
    assert "There are currently 3 items in queue and 2 being archived." in portal
    metrics = client.get("/metrics").get_data(as_text=True)
    for state in JobState:
        assert (
            f'patchwork_queue_jobs{{state="{state}"}} {float(IN_STATES.get(state, 0))}' in metrics
        )
