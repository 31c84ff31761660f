"""/metrics: counters move by exactly what was sent, in one process and across gunicorn's."""

from __future__ import annotations

import os
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families

from patchwork.app import create_app
from patchwork.archive.queue import lifecycle
from patchwork.archive.queue.records import Actor
from patchwork.archive.queue.states import JobState
from patchwork.archive.tokens import create_token
from patchwork.config import Settings
from patchwork.state import app_state
from support.queue_fixtures import WORKER_CLIENT_HEADERS
from support.served import BIN, serving

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def parse(text: str) -> Samples:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def scrape(client: FlaskClient) -> Samples:
    with client.get("/metrics") as response:
        assert response.status_code == 200
        assert response.mimetype == "text/plain"
        return parse(response.get_data(as_text=True))


def requests_of(samples: Samples, route: str, status: str, method: str = "GET") -> float:
    return value(
        samples, "patchwork_http_requests_total", method=method, route=route, status=status
    )


def test_request_counts_latency_and_cache(client: FlaskClient) -> None:
    before = scrape(client)
    for _ in range(3):
        client.get("/api/popular").close()  # one miss, then two hits
    for _ in range(2):
        client.get("/api/video/none").close()
    client.get("/no/such/page").close()
    after = scrape(client)
    assert (
        requests_of(after, "/api/popular", "200") - requests_of(before, "/api/popular", "200") == 3
    )
    video = "/api/video/<video_id>"
    assert requests_of(after, video, "404") - requests_of(before, video, "404") == 2
    assert requests_of(after, "unmatched", "404") - requests_of(before, "unmatched", "404") == 1
    count = "patchwork_http_request_duration_seconds_count"
    labels = {"method": "GET", "route": "/api/popular", "status": "200"}
    assert value(after, count, **labels) - value(before, count, **labels) == 3
    hits = value(after, "patchwork_cache_requests_total", result="hit")
    misses = value(after, "patchwork_cache_requests_total", result="miss")
    assert hits - value(before, "patchwork_cache_requests_total", result="hit") == 2
    assert misses - value(before, "patchwork_cache_requests_total", result="miss") == 1
    assert value(after, "patchwork_database_up") == 1
    assert ("patchwork_db_pool_connections_in_use", ()) in after


def test_queue_depth_workers_and_job_outcomes(app: Flask, client: FlaskClient) -> None:
    db = app_state(app).db
    info, secret = create_token(db, "admin", name="ops")
    actor = Actor(info.id, info.name)
    for n in range(3):
        lifecycle.enqueue(db, f"abcdefghij{n}", 2, actor)  # delete jobs complete without files
    auth = {"X-AUTHENTICATION": secret, **WORKER_CLIENT_HEADERS}
    before = scrape(client)
    first = client.get("/api/worker/next", headers=auth).get_json()["job_id"]
    second = client.get("/api/worker/next", headers=auth).get_json()["job_id"]
    client.post(f"/api/worker/jobs/{first}/complete", json={}, headers=auth).close()
    client.post(
        f"/api/worker/jobs/{second}/fail", json={"error": "x", "retryable": False}, headers=auth
    ).close()
    client.post("/api/worker/heartbeat", data={"status": "idle"}, headers=auth).close()
    after = scrape(client)
    depth = {s: value(after, "patchwork_queue_jobs", state=s) for s in JobState}
    assert depth == {"queued": 1, "leased": 0, "done": 1, "failed": 1, "cancelled": 0}
    assert value(after, "patchwork_workers_online") == 1
    for name in ("patchwork_jobs_completed_total", "patchwork_jobs_failed_total"):
        assert value(after, name) - value(before, name) == 1


def test_media_bytes(client: FlaskClient, app: Flask) -> None:
    from patchwork.demo import load_demo

    state = app_state(app)
    load_demo(state.db, state.storage)
    route = "/media/thumbnail/<video_id>"
    before = scrape(client)
    sizes = []
    for headers in ({}, {"Range": "bytes=0-9"}):
        with client.get("/media/thumbnail/pwdemo00001", headers=headers) as response:
            sizes.append(len(response.get_data()))
    after = scrape(client)
    sent = value(after, "patchwork_media_bytes_served_total", route=route)
    assert sent - value(before, "patchwork_media_bytes_served_total", route=route) == sum(sizes)
    assert sizes[1] == 10


def test_metrics_token(settings: Settings) -> None:
    app = create_app(settings.with_environment({"PATCHWORK_METRICS_TOKEN": "s3cret"}))
    client = app.test_client()
    refused = client.get("/metrics")
    assert refused.status_code == 401 and refused.get_json() == {"error": "Authentication required"}
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer s3cret"}).status_code == 200


# -- gunicorn with two processes -------------------------------------------------------------


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path, int]]:
    metrics_dir = tmp_path / "metrics"
    env = {
        **os.environ,
        "PATCHWORK_INSTANCE_PATH": str(tmp_path / "instance"),
        "PATCHWORK_ENV_FILE": str(tmp_path / "none.env"),
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
    }
    env.pop("PATCHWORK_DATABASE_URL", None)
    for command in (["db", "upgrade"], ["demo"]):
        done = subprocess.run(
            [BIN / "patchwork", *command], env=env, cwd=tmp_path, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
    with serving(env, tmp_path, "--workers", "2", "--threads", "4") as (base, server):
        # Keep reading its log (one line per request) so a full pipe never blocks the server.
        assert server.stdout is not None
        threading.Thread(target=server.stdout.read, daemon=True).start()
        yield base, metrics_dir, server.pid


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            response.read()
            return int(response.status)
    except urllib.error.HTTPError as exc:
        exc.read()
        return int(exc.code)


def _pids_with_counters(metrics_dir: Path) -> set[str]:
    return {p.stem.rsplit("_", 1)[1] for p in metrics_dir.glob("counter_*.db")}


def test_counters_add_up_across_two_gunicorn_processes(served: tuple[str, Path, int]) -> None:
    base, metrics_dir, master = served
    before = parse(urllib.request.urlopen(f"{base}/metrics", timeout=10).read().decode())
    sent = {"ok": 0, "missing": 0}
    deadline = time.monotonic() + 60
    # Send in concurrent batches until both worker processes have answered some.
    with ThreadPoolExecutor(max_workers=8) as pool:
        while True:
            ok = list(pool.map(lambda _: _get(f"{base}/api/recently_archived"), range(16)))
            missing = list(pool.map(lambda _: _get(f"{base}/api/video/nope"), range(8)))
            assert set(ok) == {200} and set(missing) == {404}
            sent["ok"] += len(ok)
            sent["missing"] += len(missing)
            if len(_pids_with_counters(metrics_dir) - {str(master)}) >= 2:
                break  # both worker processes have counted requests
            assert time.monotonic() < deadline, "only one worker process ever answered"
    ok_route, video_route = "/api/recently_archived", "/api/video/<video_id>"
    count = "patchwork_http_request_duration_seconds_count"
    labels = {"method": "GET", "route": ok_route, "status": "200"}

    def moved(after: Samples) -> tuple[float, float, float]:
        return (
            requests_of(after, ok_route, "200") - requests_of(before, ok_route, "200"),
            requests_of(after, video_route, "404") - requests_of(before, video_route, "404"),
            value(after, count, **labels) - value(before, count, **labels),
        )

    expected = (sent["ok"], sent["missing"], sent["ok"])
    # A request is counted when its last byte has gone, a moment after the client has it:
    # scrape again until the last ones are in (or the deadline says they never will be).
    pause = threading.Event()
    while True:
        after = parse(urllib.request.urlopen(f"{base}/metrics", timeout=10).read().decode())
        if moved(after) == expected or time.monotonic() > deadline:
            break
        pause.wait(0.05)
    assert moved(after) == expected
