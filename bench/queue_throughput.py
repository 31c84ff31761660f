"""Queue throughput: enqueue/s and claim+complete/s with N worker threads over real HTTP.

Runs the real ``patchwork serve`` (gunicorn, gthread, ``--server-workers`` processes) on
loopback against the database given by ``--database-url`` (default: MariaDB
``patchwork_bench``, created, migrated and emptied first), as a production server would:

    .venv/bin/python bench/queue_throughput.py --jobs 2000 --workers 8

Enqueue goes through ``POST /api/worker/queue``; each worker thread loops
``GET /api/worker/next`` -> ``POST /api/worker/jobs/<id>/complete`` on delete jobs (mode 2),
whose completion is cheap, so the figure is the queue's own cost, not storage's. With
``--archive`` the jobs are archive jobs (mode 0) instead: each worker thread uploads a small
video and completes with metadata, half of the videos sharing a channel with another thread's,
so the figure includes placing files, locking the video row and switching its rows. The client
threads run in this process, the server in its own, so they do not share a GIL.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import requests
from media_common import patchwork_server
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from patchwork.archive.tokens import create_token
from patchwork.db import Database
from patchwork.db.migrate import upgrade
from patchwork.db.models import Base

DEFAULT_URL = "mysql+pymysql://root@127.0.0.1:3306/patchwork_bench"


def prepare_database(url: str) -> Database:
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend in ("mysql", "mariadb"):
        server = create_engine(parsed.set(database="mysql"), isolation_level="AUTOCOMMIT")
        with server.connect() as connection:
            connection.execute(
                text(f"CREATE DATABASE IF NOT EXISTS `{parsed.database}` CHARACTER SET utf8mb4")
            )
        server.dispose()
    elif backend == "postgresql":
        server = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with server.connect() as connection:
            exists = connection.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": parsed.database}
            )
            if not exists:
                connection.execute(text(f'CREATE DATABASE "{parsed.database}"'))
        server.dispose()
    db = Database(url)
    upgrade(db)
    with db.transaction() as session:  # a clean slate for every run
        for table in reversed(Base.metadata.sorted_tables):
            session.execute(table.delete())
    return db


def run_threads(count: int, target: Callable[[int], None]) -> float:
    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--jobs", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--server-workers", type=int, default=2, help="gunicorn processes")
    parser.add_argument(
        "--archive", action="store_true", help="archive jobs: upload + complete with metadata"
    )
    args = parser.parse_args()

    db = prepare_database(args.database_url)
    # Admin: delete jobs (mode 2) need a worker or admin token, archive jobs a queue or admin one.
    queue_secret = create_token(db, "admin", name="bench-queue")[1]
    worker_secret = create_token(db, "worker", name="bench-worker")[1]
    db.dispose()

    settings = {
        "PATCHWORK_DATABASE_URL": args.database_url,
        "PATCHWORK_RATE_LIMITS": "off",  # the bench measures the queue, not the limiter
    }
    serve_args = ("--workers", str(args.server_workers))
    with (
        tempfile.TemporaryDirectory(prefix="patchwork-bench-") as root,
        patchwork_server(Path(root), *serve_args, settings=settings) as server,
    ):
        run(args, server.base_url, queue_secret, worker_secret)


def run(args: argparse.Namespace, base: str, queue_secret: str, worker_secret: str) -> None:
    latencies: list[float] = []
    lock = threading.Lock()
    per_thread = [range(i, args.jobs, args.workers) for i in range(args.workers)]

    def enqueuer(index: int) -> None:
        session = requests.Session()
        for n in per_thread[index]:
            target = f"https://www.youtube.com/watch?v=bench{n:06d}" if args.archive else None
            response = session.post(
                f"{base}/api/worker/queue",
                data={"url": target or f"bench{n:07d}", "mode": 0 if args.archive else 2},
                headers={"X-AUTHENTICATION": queue_secret},
            )
            assert response.text == "OK", response.text

    done: list[int] = []

    def worker(_: int) -> None:
        session = requests.Session()
        # The client header, as Patchwork's worker sends it: without it no job is handed out.
        headers = {"X-AUTHENTICATION": worker_secret, "X-Patchwork-Worker": "bench"}
        while True:
            started = time.perf_counter()
            response = session.get(f"{base}/api/worker/next", headers=headers)
            if response.status_code == 204:
                return
            job = response.json()
            job_id = job["job_id"]
            body: dict[str, object] = {}
            if args.archive:
                video_id = job["next_video"].rsplit("=", 1)[1]
                uploaded = session.put(
                    f"{base}/api/worker/jobs/{job_id}/files/video?ext=webm",
                    data=b"\x1a\x45\xdf\xa3" + video_id.encode() * 64,
                    headers=headers,
                )
                assert uploaded.status_code == 201, uploaded.text
                number = int(video_id[5:])
                body = {
                    "video": {
                        "id": video_id,
                        "title": f"Bench {video_id}",
                        "channel": f"Bench channel {number // 2}",
                        "channel_id": f"UCbench{number // 2:07d}",
                        "extractor": "youtube",
                    }
                }
            finished = session.post(
                f"{base}/api/worker/jobs/{job_id}/complete", json=body, headers=headers
            )
            assert finished.status_code == 200, finished.text
            with lock:
                done.append(job_id)
                latencies.append(time.perf_counter() - started)

    enqueue_seconds = run_threads(args.workers, enqueuer)
    claim_seconds = run_threads(args.workers, worker)
    assert len(done) == len(set(done)) == args.jobs, (
        f"a job was lost or done twice: {len(done)} done, {len(set(done))} distinct"
    )

    latencies.sort()
    backend = make_url(args.database_url).get_backend_name()
    print(f"database: {backend} ({make_url(args.database_url).render_as_string()})")
    print(
        f"jobs: {args.jobs} ({'archive, mode 0' if args.archive else 'delete, mode 2'}), "
        f"client threads: {args.workers}, "
        f"server: patchwork serve --workers {args.server_workers}"
    )
    print(f"enqueue:          {args.jobs / enqueue_seconds:8.1f} jobs/s ({enqueue_seconds:.2f} s)")
    print(f"claim + complete: {args.jobs / claim_seconds:8.1f} jobs/s ({claim_seconds:.2f} s)")
    p50 = statistics.median(latencies) * 1000
    p95 = latencies[int(len(latencies) * 0.95)] * 1000
    print(f"claim + complete latency: p50 {p50:.1f} ms, p95 {p95:.1f} ms")


if __name__ == "__main__":
    main()
