"""The reference worker as a real process (``patchwork worker --once``) against a live app."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from support.worker_fixtures import LiveServer

DEADLINE = 60.0


#: What the worker runs with in tests: no config.ini of the machine's is read.
WORKER_ENV = {"PATCHWORK_WORKER_CONFIG": "/dev/null"}


def worker_args(live: LiveServer, workdir: Path, name: str) -> list[str]:
    """``patchwork worker --once`` against ``live``, with no pause between jobs."""
    return [
        "worker", "--once", "--server", live.base, "--token", live.worker_token,
        "--name", name, "--workdir", str(workdir), "--pause", "0",
    ]  # fmt: skip


def start_worker(live: LiveServer, workdir: Path, name: str) -> subprocess.Popen[bytes]:
    args = [sys.executable, "-c", "from patchwork.cli import main; main()"]
    return subprocess.Popen(
        [*args, *worker_args(live, workdir, name)],
        env={**os.environ, **WORKER_ENV},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def finish(proc: subprocess.Popen[bytes]) -> tuple[int, str]:
    out, _ = proc.communicate(timeout=DEADLINE)
    return proc.returncode, out.decode(errors="replace")


def patchwork(cli_env: dict[str, str], *args: str) -> str:
    """Run ``patchwork ARGS`` as its own process with ``cli_env``; its output (status 0)."""
    done = subprocess.run(
        [sys.executable, "-c", "from patchwork.cli import main; main()", *args],
        env={**os.environ, **cli_env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout
