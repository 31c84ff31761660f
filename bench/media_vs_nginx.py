"""MB/s of /media/video/<id> under ``patchwork serve`` versus nginx serving the same file.

    .venv/bin/python bench/media_vs_nginx.py [--size-mib 1024] [--runs 5]

Both on loopback, both read by curl into /dev/null (so the client is the same program);
nginx runs from a generated minimal config in a temp dir (``daemon off``, sendfile on) as a
subprocess and is stopped at the end.  Needs ``nginx`` on PATH (Debian: ``apt-get install
nginx-light``).  Prints the median of ``--runs`` downloads each, and the ratio.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

from media_common import MiB, free_port, patchwork_server, stop, write_video

VIDEO_ID = "cmpvideo001"
KEY = f"video/{VIDEO_ID}.webm"

NGINX_CONF = """\
{user}
daemon off;
master_process on;
worker_processes 1;
pid {root}/nginx.pid;
error_log {root}/nginx-error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    client_body_temp_path {root}/tmp-body;
    proxy_temp_path {root}/tmp-proxy;
    fastcgi_temp_path {root}/tmp-fastcgi;
    uwsgi_temp_path {root}/tmp-uwsgi;
    scgi_temp_path {root}/tmp-scgi;
    types {{ video/webm webm; }}
    server {{
        listen 127.0.0.1:{port};
        root {archive};
    }}
}}
"""


def curl_mb_per_s(url: str, size: int) -> float:
    out = subprocess.run(
        ["curl", "-sS", "-o", "/dev/null", "-w", "%{size_download} %{time_total}", url],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    got, seconds = int(out[0]), float(out[1])
    assert got == size, (url, got, size)
    return got / 1e6 / seconds


def measure(url: str, size: int, runs: int) -> float:
    curl_mb_per_s(url, size)  # warm-up: page cache, imports, connection paths
    return statistics.median(curl_mb_per_s(url, size) for _ in range(runs))


def start_nginx(root: Path, archive: Path) -> tuple[subprocess.Popen[bytes], int]:
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        raise SystemExit("nginx not found: apt-get install -y nginx-light")
    port = free_port()
    conf = root / "nginx.conf"
    # As root, nginx would switch its worker to "nobody", who cannot read a private temp dir.
    user = "user root;" if os.geteuid() == 0 else ""
    conf.write_text(NGINX_CONF.format(user=user, root=root, port=port, archive=archive))
    log = open(root / "nginx-out.log", "wb")  # noqa: SIM115 - lives as long as nginx
    proc = subprocess.Popen(
        [nginx, "-p", str(root), "-c", str(conf), "-e", str(root / "nginx-error.log")],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 15
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/{KEY}", timeout=2) as r:
                r.read(1)
            return proc, port
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                stop(proc)
                error = (root / "nginx-error.log").read_text()
                raise SystemExit(f"nginx did not start: {error}") from None
            time.sleep(0.1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    size = args.size_mib * MiB

    with tempfile.TemporaryDirectory(prefix="patchwork-bench-") as tmp:
        root = Path(tmp)
        write_video(root / "archive" / KEY, size)
        with patchwork_server(root) as server:
            server.seed_video(VIDEO_ID, KEY, size)
            patchwork = measure(f"{server.base_url}/media/video/{VIDEO_ID}", size, args.runs)
        nginx_root = root / "nginx"
        nginx_root.mkdir()
        proc, port = start_nginx(nginx_root, root / "archive")
        try:
            nginx = measure(f"http://127.0.0.1:{port}/{KEY}", size, args.runs)
        finally:
            stop(proc)

    print(f"file: {args.size_mib} MiB, median of {args.runs} curl downloads each")
    print(f"patchwork serve (gunicorn) /media/video: {patchwork:8.0f} MB/s")
    print(f"nginx static file:                       {nginx:8.0f} MB/s")
    print(f"ratio patchwork / nginx:                 {patchwork / nginx:8.2f}")


if __name__ == "__main__":
    main()
