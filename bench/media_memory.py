"""Server memory while streaming a 1 GiB video through /media/video/<id> (target < 50 MiB).

    .venv/bin/python bench/media_memory.py [--size-mib 1024] [--sparse]

Builds a temp archive with one generated video, starts the real ``patchwork serve``
(gunicorn, gthread) on loopback with a temp SQLite database, streams the whole file, then a
ranged half of it, and prints the growth of VmRSS of the gunicorn master and workers
(baseline after warm-up requests versus the peak sampled every 10 ms while streaming).
"""

from __future__ import annotations

import argparse
import http.client
import tempfile
import threading
import time
from pathlib import Path

from media_common import MiB, Server, patchwork_server, rss_bytes, write_video

VIDEO_ID = "memvideo001"
KEY = f"video/{VIDEO_ID}.webm"
TARGET_MIB = 50


def stream(server: Server, headers: dict[str, str]) -> tuple[int, float]:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    started = time.perf_counter()
    conn.request("GET", f"/media/video/{VIDEO_ID}", headers=headers)
    response = conn.getresponse()
    assert response.status in (200, 206), response.status
    total = 0
    while chunk := response.read(MiB):
        total += len(chunk)
    conn.close()
    return total, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--sparse", action="store_true", help="a sparse file instead of data")
    args = parser.parse_args()
    size = args.size_mib * MiB

    with tempfile.TemporaryDirectory(prefix="patchwork-bench-") as tmp:
        root = Path(tmp)
        write_video(root / "archive" / KEY, size, sparse=args.sparse)
        with patchwork_server(root) as server:
            server.seed_video(VIDEO_ID, KEY, size)
            # Warm-up: every worker imports and opens what it needs before the baseline.
            for _ in range(16):
                stream(server, {"Range": "bytes=0-65535"})
            pids = server.pids()
            baseline = {pid: rss_bytes(pid) for pid in pids}
            peak = dict(baseline)
            done = threading.Event()

            def sample() -> None:
                while not done.is_set():
                    for pid in pids:
                        peak[pid] = max(peak[pid], rss_bytes(pid))
                    done.wait(0.01)

            sampler = threading.Thread(target=sample)
            sampler.start()
            try:
                whole, seconds = stream(server, {})
                half, _ = stream(server, {"Range": f"bytes={size // 2}-"})
            finally:
                done.set()
                sampler.join()
            assert whole == size, (whole, size)
            assert half == size - size // 2

    print(f"streamed {whole / MiB:.0f} MiB in {seconds:.2f} s ({whole / MiB / seconds:.0f} MiB/s)")
    print(f"{'pid':>8} {'role':<7} {'baseline MiB':>13} {'peak MiB':>9} {'growth MiB':>11}")
    total_growth = 0
    for i, pid in enumerate(pids):
        growth = peak[pid] - baseline[pid]
        total_growth += growth
        role = "master" if i == 0 else "worker"
        print(
            f"{pid:>8} {role:<7} {baseline[pid] / MiB:>13.1f} {peak[pid] / MiB:>9.1f} "
            f"{growth / MiB:>11.1f}"
        )
    verdict = "PASS" if total_growth < TARGET_MIB * MiB else "FAIL"
    print(f"total RSS growth: {total_growth / MiB:.1f} MiB (target < {TARGET_MIB} MiB): {verdict}")


if __name__ == "__main__":
    main()
