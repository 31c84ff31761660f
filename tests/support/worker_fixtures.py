"""Loopback servers for the worker tests: a media source and the Patchwork app over real HTTP."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any

import pytest
import requests
from flask import Flask
from werkzeug.serving import make_server

from patchwork.archive.tokens import create_token
from patchwork.db import Database

WEBM = resources.files("patchwork.demo").joinpath("pwdemo00001.webm").read_bytes()
MP4 = resources.files("patchwork.demo").joinpath("pwdemo00003.mp4").read_bytes()
JPG = resources.files("patchwork.demo").joinpath("pwdemo00001.jpg").read_bytes()
VTT = resources.files("patchwork.demo").joinpath("pwdemo00001.en.vtt").read_bytes()
TYPES = {
    "webm": "video/webm",
    "mp4": "video/mp4",
    "html": "text/html; charset=utf-8",
    "jpg": "image/jpeg",
    "vtt": "text/vtt",
    "xml": "application/rss+xml",  # a feed to subscribe to
}


@dataclass
class Source:
    """Serves ``files`` (path -> bytes); any other path answers 404, and a path in
    ``statuses`` answers that status (a 429, a 503) instead.

    With ``gate`` set, a GET sends half the file, sets ``waiting`` and holds the rest
    until ``gate`` is set.
    """

    base: str = ""
    files: dict[str, bytes] = field(default_factory=dict)
    statuses: dict[str, int] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)
    gate: threading.Event | None = None
    waiting: threading.Event = field(default_factory=threading.Event)

    def url(self, path: str) -> str:
        return f"{self.base}{path}"


@pytest.fixture
def source() -> Iterator[Source]:
    state = Source()

    class Handler(BaseHTTPRequestHandler):
        def _answer(self, body: bool) -> None:
            state.requests.append(f"{self.command} {self.path}")
            data = state.files.get(self.path)
            if self.path in state.statuses:
                self.send_error(state.statuses[self.path])
                return
            if data is None:
                self.send_error(404, "Not Found")
                return
            self.send_response(200)
            self.send_header("Content-Type", TYPES.get(self.path.rsplit(".", 1)[-1], "video/webm"))
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if not body:
                return
            if state.gate is not None:
                half = len(data) // 2
                self.wfile.write(data[:half])
                self.wfile.flush()
                state.waiting.set()
                state.gate.wait(60)
                data = data[half:]
            with contextlib.suppress(OSError):  # the client may have gone away
                self.wfile.write(data)

        def do_GET(self) -> None:
            self._answer(True)

        def do_HEAD(self) -> None:
            self._answer(False)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


Middleware = Callable[[Any, Any], Any]


@dataclass
class LiveServer:
    base: str
    queue_token: str
    worker_token: str
    wrap: list[Middleware] = field(default_factory=list)  # WSGI wrappers, outermost first

    def enqueue(self, url: str, mode: int = 0) -> dict[str, Any]:
        if mode == 2:  # deleting needs a worker (or admin) token, not a queue token
            response = requests.delete(
                f"{self.base}/api/storage/delete",
                json={"videoId": url},
                headers={"X-AUTHENTICATION": self.worker_token},
                timeout=10,
            )
        else:
            response = requests.post(
                f"{self.base}/api/worker/queue",
                json={"url": url, "mode": mode},
                headers={"X-AUTHENTICATION": self.queue_token},
                timeout=10,
            )
        assert response.status_code in (200, 201), response.text
        body: dict[str, Any] = response.json()
        return body

    def get(self, path: str) -> requests.Response:
        return requests.get(f"{self.base}{path}", timeout=10)

    def job(self, job_id: int) -> dict[str, Any]:
        response = requests.get(
            f"{self.base}/api/worker/jobs/{job_id}",
            headers={"X-AUTHENTICATION": self.queue_token},
            timeout=10,
        )
        body: dict[str, Any] = response.json()
        return body


@pytest.fixture
def live(app: Flask, db: Database) -> Iterator[LiveServer]:
    """The app on a loopback port (threaded), with queue and worker tokens."""
    holder: LiveServer | None = None

    def dispatch(environ: Any, start_response: Any) -> Any:
        handler: Any = app.wsgi_app
        if holder is not None:
            for wrap in reversed(holder.wrap):
                handler = wrap(handler)
        return handler(environ, start_response)

    server = make_server("127.0.0.1", 0, dispatch, threaded=True)
    holder = LiveServer(
        base=f"http://127.0.0.1:{server.server_port}",
        queue_token=create_token(db, "queue", name="queuer")[1],
        worker_token=create_token(db, "worker", name="box")[1],
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield holder
    server.shutdown()
    server.server_close()


def page_with_video(source: Source, name: str, media: str, data: bytes) -> None:
    """``/p/<name>.html``: a page titled ``Song <name>`` with one <video> of ``data``."""
    source.files[f"/p/{name}.html"] = (
        f"<!DOCTYPE html><html><head><title>Song {name}</title></head><body>"
        f'<video src="/m/{name}.{media}"></video></body></html>'
    ).encode()
    source.files[f"/m/{name}.{media}"] = data
