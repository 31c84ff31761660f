"""Subscriptions at scale: 5,000 sources and one source of 20,000 entries, over real HTTP.

Runs the real ``patchwork serve`` on loopback against ``--database-url`` (default: MariaDB
``patchwork_bench_sources``, created, migrated and emptied first; a ``sqlite:///`` URL works
too) and prints, for each step, how many times it ran and its p50 / p99 / max in ms, against
the issue's 100 ms ceiling:

    .venv/bin/python bench/sources.py
    .venv/bin/python bench/sources.py --database-url sqlite:////tmp/bench-sources.db

Steps: a scan of the big source reporting 20,000 entries in pages of 100 (each queues its
archive jobs), its incremental rescan (stops after a run of known entries), claims while all
5,000 sources fall due at once (each claim schedules up to 20), the scheduling step alone, the
no-one-due check every claim pays, and the reads: ``GET /api/sources`` pages, one source,
the ``/sources`` page, adding and changing a source.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import requests
from media_common import patchwork_server
from queue_throughput import prepare_database
from sqlalchemy import insert, update

from patchwork.archive.queue.records import Actor
from patchwork.archive.sources import catalog, scheduling
from patchwork.archive.sources.catalog import SourceSpec
from patchwork.archive.tokens import create_token
from patchwork.db.models import Job, Source
from patchwork.db.types import utcnow

DEFAULT_URL = "mysql+pymysql://root@127.0.0.1:3306/patchwork_bench_sources"
CEILING_MS = 100.0
WORKER = {"X-Patchwork-Worker": "bench"}


class Timings:
    def __init__(self) -> None:
        self.steps: dict[str, list[float]] = {}

    def time(self, step: str, call: Callable[[], Any]) -> Any:
        started = time.perf_counter()
        result = call()
        self.steps.setdefault(step, []).append((time.perf_counter() - started) * 1000)
        return result

    def report(self) -> bool:
        print(f"{'step':58} {'n':>6} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}  slowest")
        ok = True
        for step, timed in self.steps.items():
            slowest = timed.index(max(timed)) + 1
            values = sorted(timed)
            p99 = values[min(len(values) - 1, int(len(values) * 0.99))]
            print(
                f"{step:58} {len(values):6} {statistics.median(values):8.1f} "
                f"{p99:8.1f} {values[-1]:8.1f}  #{slowest}"
            )
            ok = ok and p99 <= CEILING_MS
        return ok


def checked(response: requests.Response) -> Any:
    if response.status_code >= 400:
        raise RuntimeError(f"{response.request.method} {response.url}: {response.text}")
    return response.json() if response.content and response.status_code != 204 else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--sources", type=int, default=5000)
    parser.add_argument("--entries", type=int, default=20000)
    args = parser.parse_args()

    db = prepare_database(args.database_url)
    admin = {"X-AUTHENTICATION": create_token(db, "admin", name="bench-admin")[1]}
    worker = {"X-AUTHENTICATION": create_token(db, "worker", name="bench-worker")[1], **WORKER}
    big = catalog.add_source(
        db, SourceSpec(url="https://example.com/big/feed.xml"), Actor(None, "bench")
    )
    later = utcnow() + timedelta(days=1)
    started = time.perf_counter()
    rows = [
        {
            "url": f"https://www.youtube.com/@channel{n:05d}",
            "url_key": f"https://www.youtube.com/@channel{n:05d}",
            "name": f"channel {n}",
            "scan_every_seconds": 21600,
            "enabled": True,
            "skip_shorts": False,
            "skip_live": False,
            "skip_upcoming": True,
            "next_scan_at": later,
            "scan_full": False,
            "scan_retry_failed": False,
            "scan_position": 0,
            "scan_known_run": 0,
            "entries_found": 0,
            "entries_filtered": 0,
            "entries_known": 0,
            "created_at": utcnow(),
            "updated_at": utcnow(),
        }
        for n in range(args.sources)
    ]
    with db.transaction() as session:
        session.execute(insert(Source), rows)
    print(f"built {args.sources} sources in {time.perf_counter() - started:.1f} s")
    timings = Timings()

    with (
        tempfile.TemporaryDirectory() as tmp,
        patchwork_server(
            Path(tmp), "--workers", "2", settings={"PATCHWORK_DATABASE_URL": args.database_url}
        ) as server,
    ):
        base = server.base_url
        http = requests.Session()

        def claim() -> Any:
            return checked(http.get(f"{base}/api/worker/next", headers=worker))

        def scan(job: dict[str, Any], entries: int, step: str, cold: bool = False) -> None:
            for position in range(0, entries, 100):
                page = [
                    {"url": f"https://example.com/big/v{n}.html", "title": f"video {n}"}
                    for n in range(position, min(position + 100, entries))
                ]
                answer = timings.time(
                    f"{step}, the server's first" if cold and position == 0 else step,
                    lambda page=page, position=position: checked(
                        http.post(
                            f"{base}/api/worker/jobs/{job['job_id']}/entries",
                            json={"position": position, "entries": page},
                            headers=worker,
                        )
                    ),
                )
                if answer["stop"]:
                    break
            checked(
                http.post(
                    f"{base}/api/worker/jobs/{job['job_id']}/complete", json={}, headers=worker
                )
            )

        job = timings.time("claim (schedules the big source's first scan)", claim)
        assert job["mode"] == 3, job
        scan(job, args.entries, f"report a page of 100 new entries ({args.entries} in all)", True)
        with db.transaction() as session:  # its 20,000 archive jobs archived, as if by workers
            session.execute(update(Job).where(Job.mode == 0).values(state="done"))
        checked(http.post(f"{base}/api/sources/{big.id}/scan", json={}, headers=admin))
        rescan = claim()
        assert rescan["mode"] == 3, rescan
        scan(rescan, args.entries, "report a page of a rescan (all known: stops)")

        with db.transaction() as session:
            session.execute(update(Source).values(next_scan_at=utcnow() - timedelta(minutes=1)))
        for _ in range(args.sources // scheduling.PER_CLAIM + 1):
            timings.time("claim while 5,000 sources fall due (schedules 20)", claim)
        for _ in range(50):
            timings.time("claim, nothing due (the check every claim pays)", claim)
        with db.transaction() as session:
            session.execute(update(Source).values(next_scan_at=utcnow() - timedelta(minutes=1)))
        for _ in range(args.sources // scheduling.PER_CLAIM):
            timings.time(
                "scheduling step alone (20 due sources, scans waiting)",
                lambda: scheduling.schedule_due_scans(db),
            )

        # Each gunicorn process renders a template or compiles a query once, on its first
        # request: warm both processes up before the reads are timed.
        for _ in range(4):
            http.get(f"{base}/sources").raise_for_status()
            checked(http.get(f"{base}/api/sources?limit=100", headers=admin))
        after = 0
        while True:
            listing = timings.time(
                "GET /api/sources?limit=100 (every page)",
                lambda after=after: checked(
                    http.get(f"{base}/api/sources?limit=100&after={after}", headers=admin)
                ),
            )
            if listing["next_after"] is None:
                break
            after = listing["next_after"]
        for _ in range(20):
            timings.time(
                "GET /api/sources/<the 20,000-entry source>",
                lambda: checked(http.get(f"{base}/api/sources/{big.id}", headers=admin)),
            )
            timings.time(
                "GET /sources (the page, first 100)",
                lambda: http.get(f"{base}/sources").raise_for_status(),
            )
        for n in range(20):
            created = timings.time(
                "POST /api/sources (add one)",
                lambda n=n: checked(
                    http.post(
                        f"{base}/api/sources",
                        json={"url": f"https://www.youtube.com/@added{n}", "scan_every": "1h"},
                        headers=admin,
                    )
                ),
            )
            timings.time(
                "PATCH /api/sources/<id> (pause)",
                lambda created=created: checked(
                    http.patch(
                        f"{base}/api/sources/{created['id']}",
                        json={"enabled": False},
                        headers=admin,
                    )
                ),
            )
    ok = timings.report()
    print(f"every step's p99 under {CEILING_MS:.0f} ms: {'yes' if ok else 'NO'}")


if __name__ == "__main__":
    main()
