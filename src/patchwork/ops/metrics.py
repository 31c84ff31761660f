"""Prometheus metrics at ``/metrics``.

Counters and histograms are kept per process by prometheus-client; under gunicorn with several
processes ``PROMETHEUS_MULTIPROC_DIR`` is set (``patchwork serve`` sets one up) and a scrape adds
every process's files together. Numbers that live in the database (queue depth, workers online)
are read at scrape time, once, by the process that answers.
"""

from __future__ import annotations

import hmac
import logging
import os
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, Response, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    values,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import String, cast, event, func, literal, select

from patchwork.archive.queue import workers
from patchwork.archive.queue.counts import jobs_per_state
from patchwork.archive.queue.states import JobState
from patchwork.archive.sources import catalog
from patchwork.db import Database
from patchwork.db.models import Job, Source
from patchwork.http.errors import error_response
from patchwork.ops.availability_metrics import availability_metrics, availability_numbers
from patchwork.ops.request_log import Finished
from patchwork.ops.settings import OpsSettings
from patchwork.state import AppState, app_state

log = logging.getLogger(__name__)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
TOKEN_KEY = "patchwork.metrics_token"
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 120.0)
COMPLETE_ROUTE = "/api/worker/jobs/<int:job_id>/complete"
FAIL_ROUTE = "/api/worker/jobs/<int:job_id>/fail"

bp = Blueprint("ops_metrics", __name__)


@dataclass(frozen=True)
class _Metrics:
    registry: CollectorRegistry
    requests: Counter
    latency: Histogram
    media_bytes: Counter
    jobs_completed: Counter
    jobs_failed: Counter
    cache: Counter
    pool_in_use: Gauge


_lock = threading.Lock()
_metrics: _Metrics | None = None


def multiproc_dir() -> str | None:
    return os.environ.get(MULTIPROC_ENV) or None


def metrics() -> _Metrics:
    """This process's metric objects, made on first use (after serve chose multiprocess)."""
    global _metrics
    if _metrics is None:
        with _lock:
            if _metrics is None:
                # prometheus-client picks its value store when imported; pick again now, in
                # case the multiprocess directory was set after that import.
                values.ValueClass = values.get_value_class()  # type: ignore[no-untyped-call]
                registry = CollectorRegistry(auto_describe=True)
                labels = ("method", "route", "status")
                _metrics = _Metrics(
                    registry=registry,
                    requests=Counter(
                        "patchwork_http_requests",
                        "HTTP requests answered, by method, route template and status.",
                        labels,
                        registry=registry,
                    ),
                    latency=Histogram(
                        "patchwork_http_request_duration_seconds",
                        "Time from request to last byte sent, by route template and status.",
                        labels,
                        buckets=LATENCY_BUCKETS,
                        registry=registry,
                    ),
                    media_bytes=Counter(
                        "patchwork_media_bytes_served",
                        "Bytes of archived files sent by /media, by route template.",
                        ("route",),
                        registry=registry,
                    ),
                    jobs_completed=Counter(
                        "patchwork_jobs_completed",
                        "Jobs reported complete by workers.",
                        registry=registry,
                    ),
                    jobs_failed=Counter(
                        "patchwork_jobs_failed",
                        "Job failures reported by workers (a retried job may fail again).",
                        registry=registry,
                    ),
                    cache=Counter(
                        "patchwork_cache_requests",
                        "Answer cache look-ups, by result (hit or miss).",
                        ("result",),
                        registry=registry,
                    ),
                    pool_in_use=Gauge(
                        "patchwork_db_pool_connections_in_use",
                        "Database connections checked out of the pool, summed over live processes.",
                        registry=registry,
                        multiprocess_mode="livesum",
                    ),
                )
    return _metrics


#: The request counter's and latency histogram's children by (method, route, status): asking
#: ``labels()`` checks and joins the values under a lock on every request. Bounded like the
#: labels themselves (known methods, route templates, statuses).
_request_children: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}


def _children(m: _Metrics, method: str, route: str, status: int) -> tuple[Counter, Histogram]:
    key = (method, route, status)
    found = _request_children.get(key)
    if found is None:
        # Two threads may both get here: labels() hands both the same children.
        label = str(status)
        found = (m.requests.labels(method, route, label), m.latency.labels(method, route, label))
        _request_children[key] = found
    return found


def observe(done: Finished) -> None:
    """Record one finished request (an observer of :mod:`patchwork.ops.request_log`)."""
    m = metrics()
    requests, latency = _children(m, done.method, done.route, done.status)
    requests.inc()
    latency.observe(done.duration)
    if done.route.startswith("/media/") and done.status in (200, 206):
        m.media_bytes.labels(done.route).inc(done.bytes)
    elif done.method == "POST" and done.status == 200:
        if done.route == COMPLETE_ROUTE:
            m.jobs_completed.inc()
        elif done.route == FAIL_ROUTE:
            m.jobs_failed.inc()


class CountingCache:
    """The app's answer cache, counting hits and misses on the way."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def get(self, key: str) -> tuple[bool, Any]:
        hit, value = self._inner.get(key)
        metrics().cache.labels("hit" if hit else "miss").inc()
        return hit, value

    def set(self, key: str, value: Any, ttl_seconds: int) -> None:
        self._inner.set(key, value, ttl_seconds)

    def clear(self) -> None:
        self._inner.clear()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


@dataclass(frozen=True)
class SubscriptionNumbers:
    sources: dict[str, int]  # enabled, paused
    due: int
    scans: dict[str, int]  # done, failed, retry
    entries_queued: int


def subscription_numbers(db: Database) -> SubscriptionNumbers:
    """Sources, their scans and what the scans queued, each an indexed read.

    Scan jobs are found through their targets (``source:<id>``, one range of
    ``ix_jobs_target_state`` per source), not by mode, which no index holds: a scrape never
    reads the queue's rows. ``retry`` is the scans waiting for another attempt after a failed
    one (at most one per source), not every retry there ever was: that count lives only in
    ``job_events``, whose rows a scrape would have to read. Scans and queued entries of a
    removed source leave the counts with it (Prometheus takes the drop for a counter reset).
    """
    totals = catalog.source_totals(db)
    targets = select(literal("source:", String) + cast(Source.id, String(20)))
    scan_jobs = Job.target.in_(targets)
    with db.reading() as session:
        finished = {
            str(state): int(n)
            for state, n in session.execute(
                # Every state, not only the two reported: a condition on the state would let a
                # planner walk all done jobs by state instead of the scan jobs by target.
                select(Job.state, func.count()).where(scan_jobs).group_by(Job.state)
            )
        }
        retrying_scans = session.scalar(
            select(func.count())
            .select_from(Job)
            .where(scan_jobs, Job.state == JobState.QUEUED, Job.attempts > 0)
        )
        queued = session.scalar(
            select(func.count()).select_from(Job).where(Job.source_id.is_not(None))
        )
    return SubscriptionNumbers(
        sources={"enabled": totals["enabled"], "paused": totals["paused"]},
        due=totals["due"],
        scans={
            "done": finished.get(JobState.DONE, 0),
            "failed": finished.get(JobState.FAILED, 0),
            "retry": int(retrying_scans or 0),
        },
        entries_queued=int(queued or 0),
    )


class ArchiveCollector(Collector):
    """Numbers read from the database at scrape time: queue depth, workers, sources and their
    scans, videos' availability and their checks, database up."""

    def __init__(self, state: AppState) -> None:
        self.state = state

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("patchwork_database_up", "1 if the database answered the scrape.")
        try:
            depth = jobs_per_state(self.state.db)
            online = sum(
                1
                for w in workers.worker_statuses(
                    self.state.db, heartbeat_seconds=self.state.settings.heartbeat_seconds
                )
                if w.online
            )
            subscriptions = subscription_numbers(self.state.db)
            availability = availability_numbers(self.state.db)
        except Exception as exc:
            log.warning("metrics: database unavailable: %s", type(exc).__name__)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        queue = GaugeMetricFamily("patchwork_queue_jobs", "Jobs by state.", labels=["state"])
        for state_name, count in depth.items():
            queue.add_metric([state_name], count)
        yield queue
        yield GaugeMetricFamily(
            "patchwork_workers_online", "Workers seen within three heartbeats.", value=online
        )
        yield from _subscription_metrics(subscriptions)
        yield from availability_metrics(availability)


def _subscription_metrics(numbers: SubscriptionNumbers) -> Iterator[Metric]:
    sources = GaugeMetricFamily(
        "patchwork_sources", "Sources by state (enabled or paused).", labels=["state"]
    )
    for state_name, count in numbers.sources.items():
        sources.add_metric([state_name], count)
    yield sources
    yield GaugeMetricFamily(
        "patchwork_sources_due",
        "Enabled sources whose next scan time has passed (scheduled at the next claim).",
        value=numbers.due,
    )
    scans = CounterMetricFamily(
        "patchwork_scans",
        "Scan jobs that ended done or failed for good; retry: scans waiting for another "
        "attempt after a failed one.",
        labels=["outcome"],
    )
    for outcome, count in numbers.scans.items():
        scans.add_metric([outcome], count)
    yield scans
    yield CounterMetricFamily(
        "patchwork_source_entries_queued",
        "Archive jobs queued by sources' scans.",
        value=numbers.entries_queued,
    )


def _scrape_registry() -> CollectorRegistry:
    directory = multiproc_dir()
    if directory is None:
        return metrics().registry
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=directory)  # type: ignore[no-untyped-call]
    return registry


@bp.get("/metrics")
def scrape() -> Response:
    from flask import current_app

    token = current_app.config.get(TOKEN_KEY)
    if token:
        scheme, _, given = (request.headers.get("Authorization") or "").partition(" ")
        # compare_digest refuses non-ASCII str (a TypeError, hence a 500): compare UTF-8 bytes.
        presented = given.strip().encode("utf-8", "surrogateescape")
        if scheme.lower() != "bearer" or not hmac.compare_digest(presented, str(token).encode()):
            response = error_response(401, "Authentication required")
            response.headers["WWW-Authenticate"] = 'Bearer realm="metrics"'
            return response
    archive = CollectorRegistry()
    archive.register(ArchiveCollector(app_state()))
    body = generate_latest(_scrape_registry()) + generate_latest(archive)
    return Response(body, content_type=CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"})


def _track_pool(state: AppState) -> None:
    gauge = metrics().pool_in_use
    engine = state.db.engine
    event.listen(engine, "checkout", lambda *_: gauge.inc())
    event.listen(engine, "checkin", lambda *_: gauge.dec())


def register(app: Flask, settings: OpsSettings) -> None:
    metrics()
    app.config[TOKEN_KEY] = settings.metrics_token
    state = app_state(app)
    if not isinstance(state.cache, CountingCache):
        state.cache = CountingCache(state.cache)
    _track_pool(state)
    app.register_blueprint(bp)


def prepare_multiprocess() -> tuple[str, bool]:
    """Before a multi-process server forks: a clean directory for the processes' metric files.

    Returns the directory and whether it was made here (then the server removes it at exit).
    A directory given in ``PROMETHEUS_MULTIPROC_DIR`` is emptied: files of an earlier run
    would add its counts to this one's.
    """
    directory = multiproc_dir()
    if directory is None:
        directory = tempfile.mkdtemp(prefix="patchwork-metrics-")
        os.environ[MULTIPROC_ENV] = directory
        return directory, True
    Path(directory).mkdir(parents=True, exist_ok=True)
    for stale in Path(directory).glob("*.db"):
        stale.unlink()
    return directory, False


def mark_process_dead(pid: int) -> None:
    """Gunicorn's ``child_exit`` hook: drop a dead worker's live gauges."""
    if multiproc_dir() is not None:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]
