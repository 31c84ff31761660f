"""The queuer portal at /queue (``/`` is the viewer's home since issue 7, decision 0700)."""

from __future__ import annotations

from flask.testing import FlaskClient

from patchwork.archive.queue import lifecycle
from patchwork.db import Database
from support.queue_fixtures import Tokens, auth, claim, enqueue


def test_portal_lists_queue_states_and_failures(
    client: FlaskClient, db: Database, tokens: Tokens
) -> None:
    empty = client.get("/queue")
    assert empty.status_code == 200 and "The queue is empty." in empty.get_data(as_text=True)

    enqueue(client, tokens.queue, "https://youtu.be/dQw4w9WgXcQ")
    enqueue(client, tokens.queue, "https://example.com/watch?x=<script>alert(1)</script>")
    job = claim(client, tokens.worker)
    assert job is not None
    client.post(
        f"/api/worker/jobs/{job['job_id']}/fail",
        json={"error": "<b>Video unavailable</b>", "retryable": False},
        headers=auth(tokens.worker),
    )
    enqueue(client, tokens.queue, "https://example.com/third")
    lifecycle.claim_next_job(db, lifecycle.Actor(None, "x"), lease_seconds=60)

    assert 'href="/queue"' in client.get("/").get_data(as_text=True)  # linked from the header
    for path in ("/queue",):
        response = client.get(path)
        assert response.status_code == 200
        assert response.mimetype == "text/html"
        page = response.get_data(as_text=True)
        assert "There are currently 1 items in queue and 1 being archived." in page
        assert "https://example.com/third" in page
        assert "&lt;script&gt;" in page and "<script>alert" not in page  # autoescaped
        assert "&lt;b&gt;Video unavailable&lt;/b&gt;" in page
        assert 'data-job-id="' in page and "portal.js" in page
        assert tokens.queue not in page and tokens.worker not in page
    script = client.get("/web-static/portal.js")
    assert script.status_code == 200 and b"localStorage" in script.data
    script.close()
