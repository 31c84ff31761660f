"""Every domain error answers through the one handler: its class's status, ``{"error": ...}``.

The classes are found by walking :class:`PatchworkError`'s subclasses once every module of
``src/patchwork`` is imported, so a new error is covered (or this test says how to build it).
Each is raised from a route of a fresh app that has only the handlers of
:mod:`patchwork.http.errors`.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterator

import pytest
from flask import Blueprint, Flask
from flask.testing import FlaskClient
from sqlalchemy.exc import OperationalError

import patchwork
from patchwork.archive.maintenance.stats import StatsUnavailable
from patchwork.archive.media import objects
from patchwork.archive.media.objects import MediaObject
from patchwork.archive.queue import staging, uploads
from patchwork.archive.queue.records import InvalidRequest, JobConflict, JobNotFound
from patchwork.archive.snapshots import AnswerPending
from patchwork.db import DatabaseUnavailable
from patchwork.errors import PatchworkError
from patchwork.http.errors import (
    ApiError,
    register_error_handlers,
    storage_failure_of_a_job,
    storage_failure_serving_files,
)
from patchwork.http.ranges import RangeNotSatisfiable
from patchwork.state import app_state
from patchwork.storage import InvalidKey, ObjectNotFound, StorageError
from support.queue_fixtures import Tokens, claim, enqueue, upload

#: Stands for what a message may hold that no client should see (a key, a path, a host).
INTERNAL = "staging/jobs/7/1/video.webm on /srv/archive at db.internal:3306"

#: Classes whose constructor takes something other than a message.
BUILDERS: dict[type[PatchworkError], Callable[[], PatchworkError]] = {
    ApiError: lambda: ApiError(418, INTERNAL),
    ObjectNotFound: lambda: ObjectNotFound(INTERNAL),
    RangeNotSatisfiable: lambda: RangeNotSatisfiable(1234),
    staging.UploadTooLarge: lambda: staging.UploadTooLarge(1000),
}
#: Answered with a fixed text, never their message (which names internals).
FIXED_TEXTS: dict[type[PatchworkError], str] = {
    DatabaseUnavailable: "Database unavailable",
    StorageError: "Storage unavailable",
    ObjectNotFound: "File not found",
    InvalidKey: "Invalid storage key",
    RangeNotSatisfiable: "Range not satisfiable",
    AnswerPending: AnswerPending.public_message or "",
}
#: What the domain errors of the services the API calls must answer (the API's contract).
CONTRACT = {
    InvalidRequest: 400,
    JobNotFound: 404,
    JobConflict: 409,
    uploads.OriginalWorker: 403,
    uploads.UploadRejected: 400,
    staging.UploadError: 400,
    staging.UploadTooLarge: 413,
    StatsUnavailable: 503,
    DatabaseUnavailable: 503,
    StorageError: 503,
    ObjectNotFound: 404,
    InvalidKey: 400,
    RangeNotSatisfiable: 416,
    AnswerPending: 503,
}


def _import_everything() -> None:
    for module in pkgutil.walk_packages(patchwork.__path__, "patchwork."):
        importlib.import_module(module.name)


def _subclasses(cls: type[PatchworkError]) -> Iterator[type[PatchworkError]]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


_import_everything()
ERRORS = sorted(
    {cls for cls in _subclasses(PatchworkError) if cls.__module__.startswith("patchwork.")}
    - {ApiError},
    key=lambda cls: f"{cls.__module__}.{cls.__qualname__}",
)


def _build(cls: type[PatchworkError]) -> PatchworkError:
    return BUILDERS[cls]() if cls in BUILDERS else cls(INTERNAL)


def _fixed_text(cls: type[PatchworkError]) -> str | None:
    """The fixed text of the nearest class in ``cls``'s MRO that has one."""
    return next((FIXED_TEXTS[base] for base in cls.__mro__ if base in FIXED_TEXTS), None)


def _app(*blueprints: Blueprint) -> Flask:
    app = Flask("error-mapping")
    register_error_handlers(app)

    @app.get("/raise/<int:index>")
    def raise_error(index: int) -> str:
        raise _build(ERRORS[index])

    for bp in blueprints:
        app.register_blueprint(bp)
    return app


def test_the_walk_finds_the_services_errors() -> None:
    missing = [cls.__name__ for cls in CONTRACT if cls not in ERRORS]
    assert not missing, missing
    assert {cls: cls.status for cls in CONTRACT} == CONTRACT


@pytest.mark.parametrize("index", range(len(ERRORS)), ids=[cls.__name__ for cls in ERRORS])
def test_each_error_answers_its_status_and_a_json_error(index: int) -> None:
    cls = ERRORS[index]
    response = _app().test_client().get(f"/raise/{index}")
    assert response.status_code == cls.status, cls
    assert response.is_json
    body = response.get_json()
    # Fields an error carries beside its message (a source already followed names its id).
    assert set(body) == {"error", *_build(cls).extra}
    message = body["error"]
    assert isinstance(message, str) and message
    assert "Traceback" not in message and "patchwork." not in message
    fixed = _fixed_text(cls)
    if fixed is not None:
        assert message == fixed, cls
        assert INTERNAL not in response.get_data(as_text=True)
    else:
        prefix = "Storage statistics unavailable: " if issubclass(cls, StatsUnavailable) else ""
        assert message == f"{prefix}{_build(cls)}", cls


def test_outages_say_when_to_retry() -> None:
    client = _app().test_client()
    retry_after = {DatabaseUnavailable: "30", StorageError: "30", AnswerPending: "5"}
    for cls in (DatabaseUnavailable, StorageError, StatsUnavailable, AnswerPending):
        response = client.get(f"/raise/{ERRORS.index(cls)}")
        assert response.status_code == 503
        expected = retry_after.get(cls)
        assert response.headers.get("Retry-After") == expected, cls


def test_an_unsatisfiable_range_names_the_size() -> None:
    response = _app().test_client().get(f"/raise/{ERRORS.index(RangeNotSatisfiable)}")
    assert response.status_code == 416
    assert response.headers["Content-Range"] == "bytes */1234"
    assert response.headers["Accept-Ranges"] == "bytes"


def test_api_error_keeps_its_status_extra_fields_and_retry_after() -> None:
    app = _app()

    @app.get("/api-error")
    def api_error() -> str:
        raise ApiError(429, "slow down", retry_after=7, extra={"results": [], "error": "x"})

    response = app.test_client().get("/api-error")
    assert response.status_code == 429
    assert response.get_json() == {"results": [], "error": "slow down"}
    assert response.headers["Retry-After"] == "7"


def test_sqlalchemy_outage_and_a_bug_leak_nothing() -> None:
    app = _app()

    @app.get("/operational")
    def operational() -> str:
        raise OperationalError("SELECT 1", {}, Exception(INTERNAL))

    @app.get("/bug")
    def bug() -> str:
        raise RuntimeError(INTERNAL)

    client = app.test_client()
    down = client.get("/operational")
    assert down.status_code == 503 and down.get_json() == {"error": "Database unavailable"}
    assert down.headers["Retry-After"] == "30"
    crashed = client.get("/bug")
    assert crashed.status_code == 500 and crashed.get_json() == {"error": "Internal server error"}


def _storage_blueprint(name: str, wording: Callable[..., object]) -> Blueprint:
    bp = Blueprint(name, __name__, url_prefix=f"/{name}")
    bp.register_error_handler(StorageError, wording)  # type: ignore[arg-type]

    @bp.get("/<int:index>")
    def raise_in_blueprint(index: int) -> str:
        raise _build(ERRORS[index])

    return bp


STORAGE_ERRORS = [cls for cls in ERRORS if issubclass(cls, StorageError)]


@pytest.mark.parametrize("cls", STORAGE_ERRORS, ids=[cls.__name__ for cls in STORAGE_ERRORS])
def test_media_words_an_unusable_key_as_a_missing_file(cls: type[StorageError]) -> None:
    app = _app(_storage_blueprint("media", storage_failure_serving_files))
    response = app.test_client().get(f"/media/{ERRORS.index(cls)}")
    if issubclass(cls, InvalidKey | ObjectNotFound):
        assert (response.status_code, response.get_json()) == (404, {"error": "File not found"})
    else:
        assert response.status_code == 503
        assert response.get_json() == {"error": "Storage unavailable"}
        assert response.headers["Retry-After"] == "30"


@pytest.mark.parametrize("cls", STORAGE_ERRORS, ids=[cls.__name__ for cls in STORAGE_ERRORS])
def test_the_worker_api_words_every_storage_error_as_a_503(cls: type[StorageError]) -> None:
    app = _app(_storage_blueprint("jobs", storage_failure_of_a_job))
    response = app.test_client().get(f"/jobs/{ERRORS.index(cls)}")
    # Never a 404 there: the worker would take it for a lost lease.
    assert response.status_code == 503
    assert response.get_json() == {"error": f"Storage unavailable: {cls.__name__}"}
    assert "Retry-After" not in response.headers


# -- the real app: each surface's blueprint picks its storage wording ---------------------


@pytest.mark.parametrize(
    ("error", "status", "message"),
    [
        (StorageError(INTERNAL), 503, "Storage unavailable"),
        (InvalidKey(INTERNAL), 404, "File not found"),
        (ObjectNotFound(INTERNAL), 404, "File not found"),
    ],
    ids=["down", "invalid-key", "missing"],
)
def test_media_answers_storage_failures_as_before(
    app: Flask,
    client: FlaskClient,
    monkeypatch: pytest.MonkeyPatch,
    error: StorageError,
    status: int,
    message: str,
) -> None:
    stored = MediaObject("video/abc/abc.webm", "video/webm", None)
    monkeypatch.setattr(objects, "media_object", lambda db, kind, owner: stored)

    def failing(*args: object, **kwargs: object) -> None:
        raise error

    monkeypatch.setattr(app_state(app).storage, "stat", failing)
    response = client.get("/media/video/abc")
    assert (response.status_code, response.get_json()) == (status, {"error": message})
    assert response.headers.get("Retry-After") == ("30" if status == 503 else None)
    assert response.headers["Content-Security-Policy"]  # media's own headers still apply


def test_the_worker_api_answers_a_storage_failure_as_before(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch, tokens: Tokens
) -> None:
    enqueue(client, tokens.queue, "https://youtu.be/dQw4w9WgXcQ")
    job = claim(client, tokens.worker)
    assert job is not None

    def failing(*args: object, **kwargs: object) -> None:
        raise StorageError(INTERNAL)

    monkeypatch.setattr(app_state(app).storage, "write", failing)
    response = upload(client, tokens.worker, job["job_id"], "video", b"bytes", "webm")
    assert response.status_code == 503
    assert response.get_json() == {"error": "Storage unavailable: StorageError"}
    assert "Retry-After" not in response.headers
