"""Acceptance: many claimers at once never lose a job and never run one twice."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

from flask import Flask
from sqlalchemy import func, insert, select, update

from patchwork.archive.queue import lifecycle
from patchwork.db import Database
from patchwork.db.models import Job, JobEvent
from patchwork.db.types import utcnow
from support.queue_fixtures import Tokens, auth, claim, enqueue, info, upload, worker_auth

JOBS = 1000
CLAIMERS = 8


def _fill(db: Database, count: int) -> None:
    """Queue ``count`` delete jobs directly (enqueue is tested elsewhere); cheap to complete."""
    now = utcnow()
    common = {"mode": 2, "state": "queued", "attempts": 0, "max_attempts": 3}
    stamps = {"available_at": now, "created_at": now, "updated_at": now}
    rows = [
        {"url": f"vid{i:05d}", "target": f"video:vid{i:05d}", **common, **stamps}
        for i in range(count)
    ]
    with db.transaction() as session:
        session.execute(insert(Job), rows)


def test_thousand_jobs_eight_claimers_each_done_exactly_once(
    app: Flask, db: Database, tokens: Tokens
) -> None:
    _fill(db, JOBS)
    completed: list[int] = []
    errors: list[str] = []
    lock = threading.Lock()

    def claimer(secret: str) -> None:
        client = app.test_client()
        while True:
            response = client.get("/api/worker/next", headers=worker_auth(secret))
            if response.status_code == 204:
                return
            if response.status_code != 200:
                errors.append(f"next: {response.status_code} {response.get_data(as_text=True)}")
                return
            job_id = response.get_json()["job_id"]
            done = client.post(f"/api/worker/jobs/{job_id}/complete", json={}, headers=auth(secret))
            if done.status_code != 200 or done.get_json()["already_done"]:
                errors.append(
                    f"complete {job_id}: {done.status_code} {done.get_data(as_text=True)}"
                )
                return
            with lock:
                completed.append(job_id)

    secrets = [tokens.worker, tokens.worker2] * (CLAIMERS // 2)
    threads = [threading.Thread(target=claimer, args=(s,)) for s in secrets]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == []
    assert len(completed) == JOBS
    assert len(set(completed)) == JOBS  # none twice
    with db.reading() as session:
        states = Counter(
            dict(session.execute(select(Job.state, func.count()).group_by(Job.state)).all())
        )
        assert states == Counter({"done": JOBS})  # none lost
        attempts = set(session.scalars(select(Job.attempts)))
        assert attempts == {1}
        claims = session.scalar(select(func.count()).where(JobEvent.event == "claimed"))
        assert claims == JOBS


def test_dead_claimer_job_is_handed_out_again_and_recorded(
    app: Flask, db: Database, tokens: Tokens
) -> None:
    client = app.test_client()
    enqueue(client, tokens.queue, "https://www.youtube.com/watch?v=dQw4w9WgXcQ")
    first = claim(client, tokens.worker)
    assert first is not None
    # The first claimer dies: no progress, no heartbeat. Its lease runs out.
    assert claim(client, tokens.worker2) is None
    with db.transaction() as session:
        session.execute(update(Job).values(lease_expires_at=utcnow() - timedelta(seconds=1)))
    second = claim(client, tokens.worker2)
    assert second is not None and second["job_id"] == first["job_id"]
    jid = second["job_id"]
    assert upload(client, tokens.worker2, jid, "video", b"webm bytes", "webm").status_code == 201
    done = client.post(
        f"/api/worker/jobs/{jid}/complete",
        json={"video": info("dQw4w9WgXcQ")},
        headers=auth(tokens.worker2),
    )
    assert done.status_code == 200, done.get_data(as_text=True)
    job = lifecycle.get_job(db, jid)
    assert (job.state, job.attempts) == ("done", 2)
    events = [(e.event, e.actor_name) for e in lifecycle.job_events(db, jid)]
    assert events == [
        ("queued", "queuer"),
        ("claimed", "worker-a"),
        ("lease_expired", "queue"),
        ("claimed", "worker-b"),
        ("completed", "worker-b"),
    ]


def test_lease_expiring_on_every_attempt_fails_the_job(db: Database, tokens: Tokens) -> None:
    actor = lifecycle.Actor(None, "tester")
    queued = lifecycle.enqueue(db, "https://example.com/v/1", 0, actor, max_attempts=2)
    now = utcnow()
    for attempt in (1, 2):
        job = lifecycle.claim_next_job(db, actor, lease_seconds=60, now=now)
        assert job is not None and job.attempts == attempt
        now += timedelta(seconds=61)
    assert lifecycle.claim_next_job(db, actor, lease_seconds=60, now=now) is None
    failed = lifecycle.get_job(db, queued.job.id)
    assert failed.state == "failed" and "lease expired" in (failed.last_error or "")


def test_racing_enqueues_of_one_target_create_one_job(
    app: Flask, db: Database, tokens: Tokens
) -> None:
    answers: list[str] = []
    barrier = threading.Barrier(CLAIMERS)

    def queuer(i: int) -> None:
        client = app.test_client()
        barrier.wait()
        response = client.post(
            "/api/worker/queue",
            data={"url": f"https://youtu.be/dQw4w9WgXcQ?si={i}"},
            headers=auth(tokens.queue),
        )
        answers.append(response.get_data(as_text=True))

    threads = [threading.Thread(target=queuer, args=(i,)) for i in range(CLAIMERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(answers) == ["Already queued"] * (CLAIMERS - 1) + ["OK"]
    assert len(lifecycle.list_jobs(db)) == 1
