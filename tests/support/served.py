"""A real ``patchwork serve`` process for tests: its binary, a free port, its start-up."""

from __future__ import annotations

import selectors
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_listening(server: subprocess.Popen[bytes], deadline: float) -> None:
    """Read gunicorn's log until it says it is listening (an event, not a guess)."""
    assert server.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(server.stdout, selectors.EVENT_READ)
        seen = b""
        while b"Booting worker" not in seen:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not selector.select(timeout=remaining):
                raise AssertionError(f"server did not start: {seen.decode(errors='replace')}")
            line = server.stdout.readline()
            if not line:
                raise AssertionError(f"server exited: {seen.decode(errors='replace')}")
            seen += line


@contextmanager
def serving(
    env: dict[str, str], cwd: Path, *options: str, timeout: float = 60
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """``patchwork serve`` on a free port, until the block ends: its base URL and process."""
    port = free_port()
    server = subprocess.Popen(
        [BIN / "patchwork", "serve", "--port", str(port), *options],
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_until_listening(server, time.monotonic() + timeout)
        yield f"http://127.0.0.1:{port}", server
    finally:
        server.terminate()
        server.wait(timeout=30)
