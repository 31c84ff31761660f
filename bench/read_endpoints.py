"""Read endpoints under load: every public read of an archive of N videos in C channels,
served by the real ``patchwork serve``, next to a bare Flask route measured in the same run.

    .venv/bin/python bench/read_endpoints.py --database-url sqlite:////tmp/pw_read1m.db \\
        --videos 1000000 --channels 8 --build
    .venv/bin/python bench/read_endpoints.py \\
        --database-url mysql+pymysql://root@127.0.0.1/pw_read1m --videos 1000000 --channels 8 \\
        --build
    .venv/bin/python bench/read_endpoints.py \\
        --database-url mysql+pymysql://root@127.0.0.1/pw_read1m --only video,search_cover

``--build`` wipes the database and its storage (``--instance``, by default a directory under
/tmp named after the database) and writes the archive (bench/read_archive.py); without it
the existing archive is migrated and reused. Then ``patchwork serve --workers W`` is started,
stopped and started again, each endpoint is asked once (its first answer after a restart),
and every endpoint is loaded for ``--seconds`` over ``--connections`` keep-alive
connections, in ``--rounds`` interleaved slices. A bare Flask route under the same gunicorn
settings goes through the same client. The client is one process per connection sending
pre-built requests over raw sockets, so it costs the server's CPUs as little as it can.
Last, the RSS of the gunicorn master and its workers.
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
from array import array
from collections import Counter
from dataclasses import dataclass, field
from multiprocessing.connection import Connection as Pipe
from pathlib import Path

from media_common import PATCHWORK, MiB, children, free_port, percentile, rss_bytes, stop
from read_archive import Targets, build, default_instance, pick_targets, prepare

from patchwork.cli.serve import serve as serve_command
from patchwork.config.table import DEFAULTS

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0"
THREADS = next(p.default for p in serve_command.params if p.name == "threads")
POINT_READS = ("video", "file_data", "video_data")
BARE_APP = """
import sys
from flask import Flask
from gunicorn.app.base import BaseApplication
app = Flask("bare")
@app.get("/bare")
def bare():
    return {"status": "ok", "video_id": "v0000000001", "views": 1}
class Bare(BaseApplication):
    def load_config(self):
        options = dict(bind=f"127.0.0.1:{sys.argv[1]}", workers=int(sys.argv[2]),
                       worker_class="gthread", threads=int(sys.argv[3]), timeout=120,
                       graceful_timeout=30, accesslog=None)
        for key, value in options.items():
            self.cfg.set(key, value)
    def load(self):
        return app
Bare().run()
"""


def request(path: str, *, body: bytes = b"", headers: tuple[str, ...] = ()) -> bytes:
    lines = [
        f"{'POST' if body else 'GET'} {path} HTTP/1.1",
        "Host: 127.0.0.1",
        f"User-Agent: {BROWSER}",  # a browser's: video_data and the watch page count views
        "Accept: */*",
        *headers,
    ]
    if body:
        lines += ["Content-Type: application/x-www-form-urlencoded", f"Content-Length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def search(path: str, q: str) -> bytes:
    return request(f"{path}?{urllib.parse.urlencode({'q': q})}")


def endpoints(targets: Targets, per_page: int) -> dict[str, list[bytes]]:
    """Each endpoint's requests; point reads cycle over many videos, not one hot row."""
    ids = [v for v, _, _ in targets.videos]
    files, big = targets.with_files, targets.big_channel
    deep = max(1, math.ceil(targets.big_channel_videos / per_page) * 9 // 10)
    word = targets.big_channel_name.split()[0]
    return {
        "bare": [request("/bare")],
        "video": [request(f"/api/video/{v}") for v in ids],
        "random_video": [request("/api/random_video")],
        "discover_videos": [request("/api/discover_videos")],
        "discover_channels": [request("/api/discover_channels")],
        "daily_featured": [request("/api/daily_featured_videos")],
        "recently_archived": [request("/api/recently_archived")],
        "popular": [request("/api/popular")],
        "channel_page1": [request(f"/api/channel/{big}?page=1")],
        "channel_deep": [request(f"/api/channel/{big}?page={deep}")],
        "channel_name": [request(f"/api/channel_name?channel_id={big}")],
        "search_cover_sakura": [search("/api/search/results", "cover 桜")],
        "search_cover": [search("/api/search/results", "cover")],
        "search_sakura": [search("/api/search/results", "桜")],
        "search_yoru": [search("/api/search/results", "夜に駆ける")],
        "search_channel": [search("/api/search/channel", word)],
        "storage_status": [request("/api/storage/status")],
        "status": [request("/api/status")],
        "file_data": [request(f"/api/database/file_data/{v}") for v in ids],
        "video_data": [request(f"/api/database/video_data/{v}") for v in files],
        "history": [request(f"/api/video/{v}/history") for v in ids],
        "lost": [request("/api/lost")],
        "exact_match": [
            request(
                "/api/exact_match",
                body=urllib.parse.urlencode({"title": t, "channel_name": c}).encode(),
            )
            for _, t, c in targets.videos
        ],
        "media_video": [
            request(f"/media/video/{v}", headers=("Range: bytes=0-1023",)) for v in files
        ],
        "media_thumbnail": [request(f"/media/thumbnail/{v}") for v in files],
        "page_home": [request("/")],
        "page_watch": [request(f"/watch?v={v}") for v in ids],
        "page_channel": [request(f"/channel/{big}")],
        "page_search": [search("/search", "cover")],
    }


class RawConnection:
    """One keep-alive HTTP/1.1 connection reading Content-Length (or chunked) bodies."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.sock: socket.socket | None = None
        self.buffer = bytearray()

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
        self.sock, self.buffer = None, bytearray()

    def _recv(self, sock: socket.socket) -> None:
        data = sock.recv(262144)
        if not data:
            raise ConnectionError("closed by the server")
        self.buffer += data

    def _until(self, sock: socket.socket, marker: bytes) -> int:
        while (found := self.buffer.find(marker)) < 0:
            self._recv(sock)
        return found

    def _skip(self, sock: socket.socket, size: int) -> None:
        while len(self.buffer) < size:
            self._recv(sock)
        del self.buffer[:size]

    def exchange(self, message: bytes) -> int:
        """Sends ``message``, reads the whole answer; its status, or 0 when the connection
        failed (it is reopened for the next request)."""
        try:
            if self.sock is None:
                self.sock = socket.create_connection(("127.0.0.1", self.port), timeout=60)
                self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock = self.sock
            sock.sendall(message)
            end = self._until(sock, b"\r\n\r\n")
            lines = bytes(self.buffer[:end]).split(b"\r\n")
            del self.buffer[: end + 4]
            status = int(lines[0].split()[1])
            headers = {}
            for line in lines[1:]:
                name, _, value = line.partition(b":")
                headers[name.strip().lower()] = value.strip().lower()
            if b"content-length" in headers:
                self._skip(sock, int(headers[b"content-length"]))
            elif headers.get(b"transfer-encoding") == b"chunked":
                while True:
                    end = self._until(sock, b"\r\n")
                    size = int(bytes(self.buffer[:end]).split(b";")[0], 16)
                    del self.buffer[: end + 2]
                    self._skip(sock, size + 2)
                    if size == 0:
                        break
            else:
                raise ConnectionError("an answer without a length")
            if headers.get(b"connection") == b"close":
                self.close()
            return status
        except (OSError, ValueError, IndexError):
            self.close()
            return 0


def client_loop(pipe: Pipe, index: int, clients: int) -> None:
    """A load client: per job (name, port, requests, seconds), keep asking until time is up."""
    positions: dict[str, int] = {}
    while (job := pipe.recv()) is not None:
        name, port, requests, seconds = job
        position = positions.get(name, index * len(requests) // clients)
        connection = RawConnection(port)  # fresh: the server drops idle keep-alives
        times, statuses = array("d"), Counter[int]()
        clock = time.perf_counter
        started, cpu = clock(), time.process_time()
        deadline = started + seconds
        while (began := clock()) < deadline:
            statuses[connection.exchange(requests[position % len(requests)])] += 1
            times.append(clock() - began)
            position += 1
        connection.close()
        positions[name] = position
        pipe.send((times.tobytes(), dict(statuses), clock() - started, time.process_time() - cpu))


@dataclass
class Measured:
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    seconds: float = 0.0
    client_cpu: float = 0.0

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def errors(self) -> str:
        bad = sorted((s, n) for s, n in self.statuses.items() if not 200 <= s < 300)
        return " ".join(f"{s or 'conn'}x{n}" for s, n in bad) or "0"


class ClientPool:
    def __init__(self, count: int) -> None:
        context = multiprocessing.get_context("fork")
        self.pipes: list[Pipe] = []
        self.processes = []
        for index in range(count):
            ours, theirs = context.Pipe()
            process = context.Process(target=client_loop, args=(theirs, index, count), daemon=True)
            process.start()
            self.pipes.append(ours)
            self.processes.append(process)

    def run(
        self, name: str, port: int, requests: list[bytes], seconds: float, into: Measured
    ) -> None:
        for pipe in self.pipes:
            pipe.send((name, port, requests, seconds))
        elapsed = 0.0
        for pipe in self.pipes:
            raw, statuses, took, cpu = pipe.recv()
            into.client_cpu += cpu
            times = array("d")
            times.frombytes(raw)
            into.latencies.extend(times)
            into.statuses.update(statuses)
            elapsed = max(elapsed, took)
        into.seconds += elapsed

    def close(self) -> None:
        for pipe in self.pipes:
            pipe.send(None)
        for process in self.processes:
            process.join(timeout=10)


def environment(database_url: str, instance: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PATCHWORK_")}
    env.update(
        PATCHWORK_DATABASE_URL=database_url,
        PATCHWORK_STORAGE_URL=f"file://{instance / 'archive'}",
        PATCHWORK_INSTANCE_PATH=str(instance / "instance"),
        PATCHWORK_ENV_FILE=str(instance / "no.env"),
        PATCHWORK_RATE_LIMITS="off",  # the bench measures the endpoints, not the limiter
    )
    return env


def start(
    command: list[str], env: dict[str, str], cwd: Path, log: Path, port: int, probe: str
) -> subprocess.Popen[bytes]:
    """``command`` started, once ``probe`` answers 200 on ``port``."""
    with open(log, "ab") as out:
        proc = subprocess.Popen(command, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    probe_request = request(probe)
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{command[:2]} exited:\n{log.read_text()[-3000:]}")
        connection = RawConnection(port)
        if connection.exchange(probe_request) == 200:
            connection.close()
            return proc
        time.sleep(0.1)
    stop(proc)
    raise SystemExit(f"{command[:2]} did not answer {probe} within 120 s")


def first_answers(port: int, table: dict[str, list[bytes]]) -> None:
    print(f"\nfirst answer after a restart\n{'endpoint':<22} {'status':>6} {'ms':>8}")
    for name, requests in table.items():
        connection = RawConnection(port)
        began = time.perf_counter()
        status = connection.exchange(requests[0])
        took = (time.perf_counter() - began) * 1000
        connection.close()
        print(f"{name:<22} {status:>6} {took:8.1f}{'   SLOW' if took > 1000 else ''}", flush=True)


def report(results: dict[str, Measured]) -> None:
    print(f"\n{'endpoint':<22} {'requests':>9} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8}  errors")
    for name, m in results.items():
        p50, p99 = percentile(m.latencies, 0.5) * 1000, percentile(m.latencies, 0.99) * 1000
        print(f"{name:<22} {len(m.latencies):>9} {m.rate:8.1f} {p50:8.1f} {p99:8.1f}  {m.errors()}")
    requests = sum(len(m.latencies) for m in results.values())
    cpu = sum(m.client_cpu for m in results.values())
    seconds = sum(m.seconds for m in results.values())
    print(
        f"load clients: {cpu:.1f} CPU-s in {seconds:.0f} s ({1e6 * cpu / max(1, requests):.0f} µs "
        "per request), taken from the server's CPUs"
    )
    bare = results["bare"].rate
    print(f"\nbare Flask route: {bare:.1f} req/s")
    for name in POINT_READS:
        if name in results and bare:
            print(f"  {name:<12} {100 * results[name].rate / bare:5.1f} % of bare")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--videos", type=int, default=20_000)
    parser.add_argument("--channels", type=int, default=8)
    parser.add_argument("--build", action="store_true", help="wipe and write the archive")
    parser.add_argument("--instance", type=Path, help="storage and instance directory")
    parser.add_argument("--seconds", type=float, default=20.0, help="per endpoint")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--only", help="comma-separated endpoint names (bare is always run)")
    parser.add_argument("--port", type=int, default=0, help="patchwork serve's (default: free)")
    args = parser.parse_args()
    instance: Path = args.instance or default_instance(args.database_url)
    if args.build:
        shutil.rmtree(instance, ignore_errors=True)
    instance.mkdir(parents=True, exist_ok=True)
    db = prepare(args.database_url, wipe=args.build)
    if args.build:
        build(db, instance / "archive", args.videos, args.channels)
    targets = pick_targets(db)
    db.dispose()
    table = endpoints(targets, int(DEFAULTS["PATCHWORK_RESULTS_PER_PAGE"]))
    if args.only:
        wanted = set(args.only.split(","))
        unknown = wanted - set(table)
        if unknown:
            raise SystemExit(f"no endpoint {', '.join(sorted(unknown))}; known: {', '.join(table)}")
        table = {name: r for name, r in table.items() if name in wanted or name == "bare"}
    env = environment(args.database_url, instance)
    port, bare_port = args.port or free_port(), free_port()
    serve = [PATCHWORK, "serve", "--host", "127.0.0.1", "--port", str(port)]
    serve += ["--workers", str(args.workers)]
    log = instance / "serve.log"
    pool = ClientPool(args.connections)
    bare = start(
        [sys.executable, "-c", BARE_APP, str(bare_port), str(args.workers), str(THREADS)],
        env, instance, instance / "bare.log", bare_port, "/bare",
    )  # fmt: skip
    server = start(serve, env, instance, log, port, "/healthz")
    try:
        stop(server)  # a restart: the archive's pages are cached by the OS, the server is cold
        server = start(serve, env, instance, log, port, "/healthz")
        first_answers(port, {n: r for n, r in table.items() if n != "bare"})
        print(
            f"\nload: {args.connections} connections, {args.seconds:g} s per endpoint in "
            f"{args.rounds} rounds, patchwork serve --workers {args.workers} "
            f"(threads {THREADS}); {targets.big_channel_videos} videos in the big channel",
            flush=True,
        )
        results = {name: Measured() for name in table}
        for _ in range(args.rounds):
            for name, requests in table.items():
                target = bare_port if name == "bare" else port
                pool.run(name, target, requests, args.seconds / args.rounds, results[name])
        report(results)
        workers = children(server.pid)
        total = sum(rss_bytes(p) for p in [server.pid, *workers])
        print(f"patchwork serve RSS (master + {len(workers)} workers): {total / MiB:.0f} MiB")
        print(f"server log (errors, slow requests): {log}")
    finally:
        pool.close()
        stop(server)
        stop(bare)


if __name__ == "__main__":
    main()
