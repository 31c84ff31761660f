"""``/healthz`` (the process answers, no I/O) and ``/readyz`` (it can do its job).

Readiness checks the database (a ``SELECT 1``), the schema (Alembic revision is the code's
head) and storage (``Storage.check``). The answer names each check; a failed one makes it 503
with ``error`` naming what failed, so it also has the API's error shape. Details of a failure
go to the log, not the body: these endpoints are public.
"""

from __future__ import annotations

import functools
import logging
from typing import Any

from flask import Blueprint, Flask, Response, jsonify

from patchwork.db import DatabaseUnavailable
from patchwork.db.migrate import current_revision, head_revision
from patchwork.state import app_state

log = logging.getLogger(__name__)

bp = Blueprint("ops_health", __name__)


@bp.get("/healthz")
def healthz() -> Response:
    response = jsonify({"status": "ok"})
    response.headers["Cache-Control"] = "no-store"
    return response


@functools.cache
def _head() -> str | None:
    # The migration scripts ship with the code, so the head cannot change while running.
    return head_revision()


def readiness() -> tuple[dict[str, Any], list[str]]:
    state = app_state()
    checks: dict[str, Any] = {}
    try:
        state.db.ping()
        checks["database"] = {"ok": True}
    except DatabaseUnavailable as exc:
        log.warning("readiness: %s", exc)
        checks["database"] = {"ok": False, "error": "unreachable"}
    if checks["database"]["ok"]:
        try:
            current = current_revision(state.db)
        except Exception as exc:  # a database that fails between ping and this query
            log.warning("readiness: cannot read the schema revision: %s", type(exc).__name__)
            checks["migrations"] = {"ok": False, "error": "cannot read the schema revision"}
        else:
            head = _head()
            checks["migrations"] = {"ok": current == head, "current": current, "head": head}
            if current != head:
                checks["migrations"]["error"] = "run `patchwork db upgrade`"
    else:
        checks["migrations"] = {"ok": False, "error": "database unreachable"}
    try:
        state.storage.check()
        checks["storage"] = {"ok": True}
    except Exception as exc:
        log.warning("readiness: storage %s", type(exc).__name__)
        checks["storage"] = {"ok": False, "error": "unreachable"}
    failed = [name for name, check in checks.items() if not check["ok"]]
    return checks, failed


@bp.get("/readyz")
def readyz() -> Response:
    checks, failed = readiness()
    body: dict[str, Any] = {"status": "ready" if not failed else "unavailable", "checks": checks}
    if failed:
        body["error"] = "Not ready: " + ", ".join(failed)
        body["failed"] = failed
    response = jsonify(body)
    response.status_code = 503 if failed else 200
    response.headers["Cache-Control"] = "no-store"
    if failed:
        response.headers["Retry-After"] = "10"
    return response


def register(app: Flask) -> None:
    app.register_blueprint(bp)
