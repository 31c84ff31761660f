"""MariaDB goes away under a running server and comes back: 503 JSON, then recovery.

The shared MariaDB is never stopped: the server reaches it through a TCP forwarder on
loopback, and cutting the forwarder (closing every connection, refusing new ones) is the
outage, exactly as the server sees one.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy.engine import make_url
from werkzeug.serving import make_server

from patchwork.app import create_app
from patchwork.config import Settings
from patchwork.state import app_state


class Forwarder:
    """Forwards a loopback port to the database; ``cut()`` drops it, ``restore()`` heals."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.up = threading.Event()
        self.up.set()
        self.lock = threading.Lock()
        self.open: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.up.is_set():
                client.close()  # the database is "down": connection refused at once
                continue
            try:
                server = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.open += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        self.up.clear()
        with self.lock:
            for s in self.open:
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                s.close()
            self.open.clear()

    def restore(self) -> None:
        self.up.set()

    def close(self) -> None:
        self.cut()
        self.listener.close()


@pytest.fixture
def server_via_forwarder(backend: str, settings: Settings) -> Iterator[tuple[str, Forwarder]]:
    if backend != "mysql":
        pytest.skip("the outage is simulated in front of MariaDB")
    url = make_url(settings.database_url)
    forwarder = Forwarder(url.host or "127.0.0.1", url.port or 3306)
    proxied = url.set(host="127.0.0.1", port=forwarder.port).render_as_string(hide_password=False)
    app = create_app(settings.with_overrides(database_url=proxied))
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}", forwarder
    finally:
        httpd.shutdown()
        app_state(app).db.dispose()
        forwarder.close()


def _get(url: str) -> tuple[int, Any, str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            body = response.read().decode()
            status = int(response.status)
            kind = response.headers.get_content_type()
    except urllib.error.HTTPError as exc:
        body, status, kind = exc.read().decode(), int(exc.code), exc.headers.get_content_type()
    return status, (json.loads(body) if kind == "application/json" else body), kind


READS = ["/api/recently_archived", "/api/video/x", "/api/search/results?q=a", "/api/channel/c"]


def test_outage_gives_503_json_and_recovers_without_restart(
    server_via_forwarder: tuple[str, Forwarder],
) -> None:
    base, forwarder = server_via_forwarder
    assert _get(f"{base}/readyz")[0] == 200
    assert _get(f"{base}/api/recently_archived")[0] == 200  # pool holds a live connection

    forwarder.cut()
    status, body, _ = _get(f"{base}/readyz")
    assert status == 503 and "database" in body["failed"], body
    for path in READS:
        status, body, kind = _get(f"{base}{path}")
        assert (status, kind) == (503, "application/json"), (path, body)
        assert body == {"error": "Database unavailable"}
    status, body, kind = _get(f"{base}/api/database/status")
    assert (status, kind, body) == (503, "application/json", {"error": "Database unavailable"})
    assert _get(f"{base}/healthz")[0] == 200  # alive, just not ready

    forwarder.restore()
    assert _get(f"{base}/readyz")[0] == 200
    assert _get(f"{base}/api/database/status")[:2] == (200, "OK")
    for path in READS:
        assert _get(f"{base}{path}")[0] in (200, 404), path
