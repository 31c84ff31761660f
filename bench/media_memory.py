"""Server memory while streaming a 1 GiB video through /media/video/<id> (target < 50 MiB).

    .venv/bin/python bench/media_memory.py [--size-mib 1024] [--sparse] [--s3]

Builds a temp archive with one generated video, starts the real ``patchwork serve``
(gunicorn, gthread) on loopback with a temp SQLite database, streams the whole file, then a
ranged half of it, and prints the growth of VmRSS of the gunicorn master and workers
(baseline after warm-up requests versus the peak sampled every 10 ms while streaming).
``--s3`` puts the video in a bucket of moto's S3 server on loopback instead of on disk, so
the server proxies it from S3 (``PATCHWORK_MEDIA_REDIRECT=proxy``) chunk by chunk.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import logging
import os
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from media_common import MiB, Server, free_port, patchwork_server, rss_bytes, write_video

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


@contextlib.contextmanager
def s3_archive(video: Path) -> Iterator[dict[str, str]]:
    """moto's S3 server on loopback holding ``video`` at KEY; yields the server's settings."""
    import boto3
    from moto.server import ThreadedMotoServer

    os.environ.update(
        AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="us-east-1"
    )
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's log line per request
    port = free_port()
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    moto.start()
    try:
        endpoint = f"http://127.0.0.1:{port}"
        client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
        client.create_bucket(Bucket="bench")
        client.upload_file(str(video), "bench", f"archive/{KEY}")
        video.unlink()  # only the bucket has it now
        yield {
            "PATCHWORK_STORAGE_URL": "s3://bench/archive",
            "PATCHWORK_S3_ENDPOINT_URL": endpoint,
        }
    finally:
        moto.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--sparse", action="store_true", help="a sparse file instead of data")
    parser.add_argument("--s3", action="store_true", help="serve it from moto's S3 on loopback")
    args = parser.parse_args()
    size = args.size_mib * MiB

    with tempfile.TemporaryDirectory(prefix="patchwork-bench-") as tmp:
        root = Path(tmp)
        write_video(root / "archive" / KEY, size, sparse=args.sparse)
        storage = s3_archive(root / "archive" / KEY) if args.s3 else contextlib.nullcontext({})
        with storage as settings, patchwork_server(root, settings=settings) as server:
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

    print(f"storage: {'S3 (moto server on loopback)' if args.s3 else 'local disk'}")
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
