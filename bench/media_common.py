"""Shared by the benches that run the real ``patchwork serve``: a temp archive, seeding, RSS.

Everything stays on loopback and in a temp directory; the server is the CLI as users run
it (gunicorn, gthread workers), started after ``patchwork db upgrade``.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from patchwork.db import Database
from patchwork.db.models import StoredFile, Video

MiB = 1024 * 1024
PATCHWORK = str(Path(sys.executable).with_name("patchwork"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def write_video(path: Path, size: int, *, sparse: bool = False) -> None:
    """A file of ``size`` bytes: a random 4 MiB block repeated, or a sparse file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        if sparse:
            f.write(os.urandom(min(size, MiB)))
            f.truncate(size)
            return
        block = os.urandom(4 * MiB)
        left = size
        while left > 0:
            n = min(left, len(block))
            f.write(block[:n])
            left -= n


@dataclass
class Server:
    proc: subprocess.Popen[bytes]
    port: int
    root: Path
    archive: Path
    database_url: str
    log: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def pids(self) -> list[int]:
        """The gunicorn master and its workers."""
        return [self.proc.pid, *children(self.proc.pid)]

    def seed_video(self, video_id: str, key: str, size: int) -> None:
        db = Database(self.database_url)
        try:
            with db.transaction() as session:
                session.add(
                    Video(
                        video_id=video_id,
                        title=f"Bench {video_id}",
                        channel_id="UCbench",
                        channel_name="Bench",
                    )
                )
                session.flush()
                session.add(
                    StoredFile(
                        video_id=video_id,
                        kind="video",
                        storage_key=key,
                        extension=key.rsplit(".", 1)[-1],
                        size_bytes=size,
                    )
                )
        finally:
            db.dispose()


def environment(root: Path, settings: dict[str, str] | None = None) -> dict[str, str]:
    """The server's environment: a temp SQLite archive under ``root`` unless ``settings``
    (``PATCHWORK_*`` variables) say otherwise; the caller's own ``PATCHWORK_*`` never leak in."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PATCHWORK_")}
    env.update(
        PATCHWORK_DATABASE_URL=f"sqlite:///{root / 'patchwork.db'}",
        PATCHWORK_INSTANCE_PATH=str(root / "instance"),
        PATCHWORK_STORAGE_URL=f"file://{root / 'archive'}",
        PATCHWORK_ENV_FILE=str(root / "no.env"),
    )
    env.update(settings or {})
    return env


@contextlib.contextmanager
def patchwork_server(
    root: Path, *extra_args: str, settings: dict[str, str] | None = None
) -> Iterator[Server]:
    """``patchwork db upgrade`` then ``patchwork serve`` on a free loopback port."""
    env = environment(root, settings)
    subprocess.run([PATCHWORK, "db", "upgrade"], env=env, cwd=root, check=True, capture_output=True)
    port = free_port()
    log = root / "serve.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [PATCHWORK, "serve", "--host", "127.0.0.1", "--port", str(port), *extra_args],
            env=env,
            cwd=root,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    server = Server(proc, port, root, root / "archive", env["PATCHWORK_DATABASE_URL"], log)
    try:
        wait_until_up(server)
        yield server
    finally:
        stop(proc)


def wait_until_up(server: Server, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            raise RuntimeError(f"patchwork serve exited:\n{server.log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(server.base_url + "/api/status", timeout=2):
                return
        except urllib.error.HTTPError:
            return  # it answers
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("patchwork serve did not come up")


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def children(pid: int) -> list[int]:
    found: list[int] = []
    with contextlib.suppress(OSError):
        for task in os.listdir(f"/proc/{pid}/task"):
            text = Path(f"/proc/{pid}/task/{task}/children").read_text()
            found.extend(int(p) for p in text.split())
    return found


def rss_bytes(pid: int) -> int:
    """VmRSS of ``pid`` (0 once it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]
