"""API latency while 32 slow viewers stream videos at ~1 MB/s each (target p99 < 100 ms).

    .venv/bin/python bench/media_slow_clients.py [--clients 32] [--seconds 20] [--threads N]

Starts the real ``patchwork serve`` on loopback with a temp archive of a few videos; each
viewer opens /media/video/<id> on a socket with a small receive buffer and reads 64 KiB
every 1/16 s, so the server's sendfile keeps blocking on it like on a slow link.
Meanwhile a probe requests /api/video/<id> back to back (a new connection each time, like
independent browsers) and the p50/p99/max of its latency are printed.
``--threads`` is passed to ``patchwork serve`` (default: the CLI's own default).
"""

from __future__ import annotations

import argparse
import http.client
import socket
import statistics
import tempfile
import threading
import time
from pathlib import Path

from media_common import MiB, Server, patchwork_server, percentile, write_video

VIDEOS = 4
READ = 64 * 1024
RECV_BUFFER = 64 * 1024


def viewer(
    server: Server, video_id: str, rate: float, stop: threading.Event, got: list[int]
) -> None:
    """Read one video at ``rate`` bytes/s until told to stop."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECV_BUFFER)
    sock.connect(("127.0.0.1", server.port))
    sock.sendall(
        f"GET /media/video/{video_id} HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n".encode()
    )
    interval = READ / rate
    next_read = time.monotonic()
    total = 0
    try:
        while not stop.is_set():
            data = sock.recv(READ)
            if not data:
                break
            total += len(data)
            next_read += interval
            stop.wait(max(0.0, next_read - time.monotonic()))
    finally:
        sock.close()
        got.append(total)


def probe(server: Server, video_id: str, stop: threading.Event, latencies: list[float]) -> None:
    while not stop.is_set():
        started = time.perf_counter()
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        conn.request("GET", f"/api/video/{video_id}")
        response = conn.getresponse()
        response.read()
        conn.close()
        assert response.status == 200, response.status
        latencies.append(time.perf_counter() - started)
        stop.wait(0.01)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--rate-mb", type=float, default=1.0, help="per viewer, MB/s")
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()
    rate = args.rate_mb * 1e6
    # Long enough that no viewer finishes during the run.
    size = int(rate * (args.seconds + 10)) + 8 * MiB
    extra = ["--threads", str(args.threads)] if args.threads else []

    with tempfile.TemporaryDirectory(prefix="patchwork-bench-") as tmp:
        root = Path(tmp)
        ids = [f"slowvideo{i:02d}" for i in range(VIDEOS)]
        for video_id in ids:
            write_video(root / "archive" / "video" / f"{video_id}.webm", size)
        with patchwork_server(root, *extra) as server:
            for video_id in ids:
                server.seed_video(video_id, f"video/{video_id}.webm", size)
            idle: list[float] = []
            stop_idle = threading.Event()
            timer = threading.Timer(2.0, stop_idle.set)
            timer.start()
            probe(server, ids[0], stop_idle, idle)

            stop = threading.Event()
            got: list[int] = []
            viewers = [
                threading.Thread(target=viewer, args=(server, ids[i % VIDEOS], rate, stop, got))
                for i in range(args.clients)
            ]
            for t in viewers:
                t.start()
            time.sleep(1.0)  # let every viewer's request reach a server thread
            latencies: list[float] = []
            timer = threading.Timer(args.seconds, stop.set)
            timer.start()
            probe(server, ids[0], stop, latencies)
            for t in viewers:
                t.join()
            elapsed = args.seconds + 1.0

    ms = [x * 1000 for x in latencies]
    idle_ms = [x * 1000 for x in idle]
    per_viewer = statistics.mean(got) / elapsed / 1e6
    print(
        f"{args.clients} viewers at ~{args.rate_mb} MB/s for {args.seconds:.0f} s "
        f"(server threads: {args.threads or 'CLI default'})"
    )
    print(f"viewer throughput: mean {per_viewer:.2f} MB/s, min {min(got) / elapsed / 1e6:.2f} MB/s")
    print(f"idle /api/video latency: p50 {percentile(idle_ms, 0.5):.1f} ms")
    print(
        f"/api/video under load ({len(ms)} requests): p50 {percentile(ms, 0.5):.1f} ms, "
        f"p99 {percentile(ms, 0.99):.1f} ms, max {max(ms):.1f} ms"
    )
    verdict = "PASS" if percentile(ms, 0.99) < 100 else "FAIL"
    print(f"target p99 < 100 ms: {verdict}")


if __name__ == "__main__":
    main()
