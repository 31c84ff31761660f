"""One log line per request, with a request id echoed in ``X-Request-ID``.

A WSGI layer around the Flask app sees every response, streamed media included, so it logs
when the last byte has gone (duration and bytes are what the client got) and hands the same
record to metrics. What is logged is chosen, never dumped: method, path without the query
string (it may carry secrets), route template, status, duration, bytes, request id and client
address (the one behind trusted proxies, ``PATCHWORK_TRUSTED_PROXIES``, as rate limits see it).
Headers are never logged, so tokens cannot leak through this log.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask import Flask, request

log = logging.getLogger("patchwork.request")

REQUEST_ID_HEADER = "X-Request-ID"
ENVIRON_KEY = "patchwork.request_id"
ROUTE_KEY = "patchwork.route"
# A caller's id is kept only when it is short and plain, so it cannot forge log lines.
_CALLER_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
_HANDLER_MARK = "_patchwork_ops_handler"
UNMATCHED = "unmatched"
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

StartResponse = Callable[..., Any]


@dataclass(frozen=True)
class Finished:
    """What one request did, as logs and metrics see it."""

    method: str
    path: str
    route: str
    status: int
    duration: float
    bytes: int
    request_id: str
    client: str = ""


Observer = Callable[[Finished], None]


class RequestTracker:
    """WSGI middleware: request id, timing, byte counting, one log line, observers."""

    def __init__(self, app: Callable[..., Iterable[bytes]], observers: list[Observer]) -> None:
        self.app = app
        self.observers = observers

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        started = time.perf_counter()
        incoming = environ.get("HTTP_X_REQUEST_ID", "")
        request_id = incoming if _CALLER_ID.match(incoming) else secrets.token_hex(16)
        environ[ENVIRON_KEY] = request_id
        seen: dict[str, int] = {"status": 500, "length": -1}

        def tracked_start(status: str, headers: list[tuple[str, str]], *exc: Any) -> Any:
            seen["status"] = int(status.split(" ", 1)[0])
            kept = [(k, v) for k, v in headers if k.lower() != "x-request-id"]
            for name, value in kept:
                if name.lower() == "content-length" and value.isdigit():
                    seen["length"] = int(value)
            kept.append((REQUEST_ID_HEADER, request_id))
            return start_response(status, kept, *exc)

        def finish(sent: int) -> None:
            self._finish(environ, seen["status"], time.perf_counter() - started, sent)

        try:
            body = self.app(environ, tracked_start)
        except BaseException:
            finish(0)
            raise
        wrapper = environ.get("wsgi.file_wrapper")
        if isinstance(wrapper, type) and isinstance(body, wrapper):
            # Leave the server's file wrapper as it is so sendfile still applies; the bytes
            # are the Content-Length the media handler declared for exactly this range.
            original_close = getattr(body, "close", None)

            def close() -> None:
                try:
                    if original_close is not None:
                        original_close()
                finally:
                    finish(max(seen["length"], 0))

            body.close = close  # type: ignore[attr-defined]
            return body
        return _Counted(body, finish)

    def _finish(self, environ: dict[str, Any], status: int, duration: float, sent: int) -> None:
        method = str(environ.get("REQUEST_METHOD", "GET")).upper()
        record = Finished(
            method=method if method in KNOWN_METHODS else "OTHER",
            path=_path(environ),
            route=_route(environ),
            status=status,
            duration=duration,
            bytes=sent,
            request_id=str(environ.get(ENVIRON_KEY, "")),
            client=_client(environ),
        )
        log.info(
            "%s %s %s %d %.1fms %dB id=%s client=%s",
            record.method,
            record.path,
            record.route,
            record.status,
            record.duration * 1000,
            record.bytes,
            record.request_id,
            record.client,
            # vars(), not dataclasses.asdict: the fields are flat and asdict deep-copies each.
            extra={"fields": {**vars(record), "duration_ms": round(duration * 1000, 3)}},
        )
        for observer in self.observers:
            try:
                observer(record)
            except Exception:  # metrics must never break serving
                log.exception("request observer failed")


class _Counted:
    """The response body, counted as it leaves; ``close`` reports the request finished."""

    def __init__(self, body: Iterable[bytes], finish: Callable[[int], None]) -> None:
        self._body = body
        self._finish = finish
        self._sent = 0
        self._closed = False

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._body:
            self._sent += len(chunk)
            yield chunk

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            close = getattr(self._body, "close", None)
            if close is not None:
                close()
        finally:
            self._finish(self._sent)


CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _path(environ: dict[str, Any]) -> str:
    # PATH_INFO only: the query string is left out on purpose.
    path = str(environ.get("SCRIPT_NAME", "")) + str(environ.get("PATH_INFO", ""))
    decoded = path.encode("latin-1", "replace").decode("utf-8", "replace")[:300]
    return _escaped(decoded)


def _client(environ: dict[str, Any]) -> str:
    # Taken from X-Forwarded-For when proxies are trusted: a header, so cut and escaped too.
    return _escaped(str(environ.get("REMOTE_ADDR") or "-")[:64])


def _escaped(text: str) -> str:
    # A %0A in a path must not start a second, forged log line (nor ANSI escapes colour one).
    return CONTROL_CHARACTERS.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def _route(environ: dict[str, Any]) -> str:
    """The matched route template (``/api/video/<video_id>``): bounded label values."""
    return str(environ.get(ROUTE_KEY) or UNMATCHED)


def _remember_route() -> None:
    if request.url_rule is not None:
        request.environ[ROUTE_KEY] = request.url_rule.rule


def install(app: Flask, *, observers: list[Observer]) -> None:
    # First of the before_request hooks, so a hook that answers early (a 429) keeps the route.
    app.before_request_funcs.setdefault(None, []).insert(0, _remember_route)
    app.wsgi_app = RequestTracker(app.wsgi_app, observers)  # type: ignore[method-assign]


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message and the record's fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            entry.update(fields)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class _StderrHandler(logging.StreamHandler[Any]):
    """Writes to whatever ``sys.stderr`` is now (test runners swap it per test)."""

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure_logging(log_format: str) -> None:
    """Send Patchwork's logs to stderr, as text or JSON lines; safe to call again."""
    logger = logging.getLogger("patchwork")
    handler = next((h for h in logger.handlers if getattr(h, _HANDLER_MARK, False)), None)
    if handler is None:
        handler = _StderrHandler()
        setattr(handler, _HANDLER_MARK, True)
        logger.addHandler(handler)
    json_lines = log_format == "json"
    handler.setFormatter(JsonFormatter() if json_lines else logging.Formatter(TEXT_FORMAT))
    if logger.level == logging.NOTSET or logger.level > logging.INFO:
        logger.setLevel(logging.INFO)
