"""Schemathesis fuzzes every operation of /api/openapi.json against the app, in process.

Each operation gets ``MAX_EXAMPLES`` generated requests (derandomized: the same cases every
run, so a failure replays), sent with an admin token (accepted wherever a queue or worker
token is), against an archive holding the three demo videos. A request fails the test on a
5xx, an undocumented status, content type or header, an answer that does not match its
schema, or an answer slower than ``MAX_SECONDS``. Runs on SQLite and MariaDB; PostgreSQL is
left out to keep CI time down (the same handlers, dialect code is covered by the API tests).
"""

from __future__ import annotations

import time
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from patchwork.app import create_app
from patchwork.archive.queue.records import Actor
from patchwork.archive.sources.catalog import SourceExists, SourceSpec, add_source
from patchwork.archive.tokens import create_token
from patchwork.config import Settings
from patchwork.demo import load_demo
from patchwork.state import app_state
from support.check_steps import checked
from support.queue_fixtures import Tokens, info

MAX_EXAMPLES = 25
MAX_SECONDS = 2.0
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
# Known ids, so the found paths of by-id operations are fuzzed too, not only their 404s (a
# source is added by the test: the demo has none; the fixture gives the first video a
# metadata version 2, so version 1 holds its archived info.json and thumbnail).
KNOWN = {"video_id": "pwdemo00001", "channel_id": "UCpatchworkdemo0000000001", "version": 1}
LOST_VIDEO = "pwdemo00002"


@pytest.fixture
def fuzz_app(backend: str, settings: Settings) -> Any:
    if backend == "postgresql":
        pytest.skip("fuzzed on SQLite and MariaDB only (CI time)")
    # Rate limits off: 429s would cut the exploration short (they have their own tests).
    app = create_app(settings.with_environment({"PATCHWORK_RATE_LIMITS": "off"}))
    state = app_state(app)
    report = load_demo(state.db, state.storage)
    assert not report.failed
    _lost_media(app)
    yield app
    state.db.dispose()


def _lost_media(app: Flask) -> None:
    """Checks through the worker API: the known video renamed (its history has versions), one
    demo video gone (/api/lost lists it), so those answers carry rows, not only empty lists."""
    db = app_state(app).db
    tokens = Tokens("", create_token(db, "worker", name="checker")[1], "", "")
    video_id = str(KNOWN["video_id"])
    with app.test_client() as client:
        checked(client, db, tokens, video_id, "available", video=info(video_id, title="Renamed"))
        for _ in range(2):
            checked(client, db, tokens, LOST_VIDEO, "unavailable", "removed-by-uploader")
        first, _ = client.get(f"/api/video/{video_id}/history").get_json()["versions"]
        assert first["metadata_url"] and first["archived_thumbnail_url"]  # KNOWN["version"]
        assert client.get("/api/lost").get_json()["total"] == 1


def _known_channel(app: Flask) -> str:
    with app.test_client() as client:
        body = client.get(f"/api/video/{KNOWN['video_id']}").get_json()
    return str(body["channel_id"])


def _known_source(app: Flask) -> int:
    """A source's id, added again when an operation (DELETE) removed the last one."""
    spec = SourceSpec(url="https://www.youtube.com/@patchworkdemo", name="Demo channel")
    try:
        return add_source(app_state(app).db, spec, Actor(None, "fuzzer")).id
    except SourceExists as exc:
        return exc.source_id


def test_every_operation_survives_fuzzing(fuzz_app: Flask) -> None:
    _, secret = create_token(app_state(fuzz_app).db, "admin", name="fuzzer")
    auth = {"X-AUTHENTICATION": secret}
    with fuzz_app.test_client() as client:
        document = client.get("/api/openapi.json").get_json()
    schema = schemathesis.openapi.from_dict(document)
    known: dict[str, object] = {**KNOWN, "channel_id": _known_channel(fuzz_app)}
    slow: list[str] = []
    problems: list[str] = []
    counts = {"operations": 0, "cases": 0}

    for result in schema.get_all_operations():
        operation = result.ok()
        counts["operations"] += 1
        names = {p.name for p in operation.path_parameters}
        if "source_id" in names:
            known["source_id"] = _known_source(fuzz_app)
        fixed = {k: v for k, v in known.items() if k in names}
        strategies = [operation.as_strategy()]
        if fixed:
            strategies.append(operation.as_strategy(path_parameters=fixed))
        for strategy in strategies:

            @given(case=strategy)
            @settings(
                max_examples=MAX_EXAMPLES,
                derandomize=True,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            def run(case: Any) -> None:
                counts["cases"] += 1
                started = time.perf_counter()
                response = case.call(app=fuzz_app, headers=auth)
                elapsed = time.perf_counter() - started
                if elapsed > MAX_SECONDS:
                    slow.append(f"{case.method} {case.formatted_path}: {elapsed:.2f} s")
                case.validate_response(response, checks=CHECKS)

            try:
                run()
            except BaseException as exc:  # collect every operation's failure, then report
                problems.append(f"{operation.method.upper()} {operation.path}: {exc}")

    print(f"schemathesis: {counts['operations']} operations, {counts['cases']} cases")
    assert counts["operations"] >= 40
    assert not problems, "\n\n".join(problems)
    assert not slow, f"answers slower than {MAX_SECONDS} s: {slow}"
