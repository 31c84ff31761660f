"""Job kinds through one registry: each mode's kind parses its target and completes its jobs.

A fake kind put in the registry is enqueued, claimed and completed over the worker API with no
change to lifecycle.py or completion.py: that is what adding a kind costs.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from patchwork.archive.availability.policy import CheckPolicy
from patchwork.archive.ingest.targets import Target, TargetError
from patchwork.archive.queue import kinds, lifecycle
from patchwork.archive.queue.kinds import KINDS, REGISTERED, archive, check, delete, kind_of, scan
from patchwork.archive.queue.kinds.base import Completion, CompletionResult, JobKind
from patchwork.archive.queue.records import Actor, InvalidRequest, JobInfo, held_job
from patchwork.archive.queue.states import JobMode, JobState
from patchwork.archive.queue.transitions import finish_job
from patchwork.db import Database
from patchwork.db.models import JobEvent
from patchwork.db.retry import retrying
from patchwork.storage import Storage
from patchwork.worker.client import Claimed, Mode
from patchwork.worker.config import WorkerConfig
from patchwork.worker.download import Downloader
from patchwork.worker.runner import Outcome, Runner
from support.queue_fixtures import Tokens, auth, claim, enqueue

PROTOCOL_NAMES = (
    "NAME",
    "MODES",
    "REQUIRED_UPLOADS",
    "may_upload",
    "target",
    "claim_answer",
    "complete",
)


def test_every_mode_has_exactly_one_registered_kind() -> None:
    assert (archive, delete, scan, check) == REGISTERED
    assert {
        JobMode.ARCHIVE: archive,
        JobMode.REARCHIVE: archive,
        JobMode.DELETE: delete,
        JobMode.SCAN: scan,
        JobMode.CHECK: check,
    } == KINDS
    for kind in REGISTERED:
        missing = [name for name in PROTOCOL_NAMES if not hasattr(kind, name)]
        assert missing == [], f"{kind.NAME} lacks {missing}"  # mypy checks their types


def test_the_refusal_of_an_unknown_mode_lists_the_registered_ones() -> None:
    for mode in (5, -1, 7):
        with pytest.raises(InvalidRequest) as refused:
            kind_of(mode)
        assert str(refused.value) == (
            "mode must be 0 (archive), 1 (force re-archive), 2 (delete), 3 (scan a source) "
            "or 4 (check a video)"
        )
    assert kinds.mode_names() == {
        0: "archive", 1: "force re-archive", 2: "delete", 3: "scan a source", 4: "check a video",
    }  # fmt: skip


def test_each_kind_reads_its_own_targets() -> None:
    assert lifecycle.target_for("https://youtu.be/dQw4w9WgXcQ", 0).key == "youtube:dQw4w9WgXcQ"
    assert lifecycle.target_for("dQw4w9WgXcQ", 2).key == "video:dQw4w9WgXcQ"
    with pytest.raises(InvalidRequest):
        lifecycle.target_for("dQw4w9WgXcQ", 0)  # an archive job needs a URL
    with pytest.raises(InvalidRequest, match="queued from sources"):
        lifecycle.target_for("source:1", 3)  # scans are scheduled, never queued by hand


def test_what_each_kind_lets_its_worker_upload(db: Database) -> None:
    assert {"video"} == archive.REQUIRED_UPLOADS
    assert all(archive.may_upload(k) for k in ("video", "metadata", "captions/en", "thumbnail"))
    assert not archive.may_upload("secrets")
    assert frozenset() == delete.REQUIRED_UPLOADS and not delete.may_upload("video")
    assert frozenset() == scan.REQUIRED_UPLOADS and not scan.may_upload("video")
    assert archive.claim_answer(db, _any_job()) == delete.claim_answer(db, _any_job()) == {}


def _any_job() -> JobInfo:
    now = datetime(2026, 1, 1)
    return JobInfo(1, "u", "video:u", JobMode.DELETE, JobState.LEASED, 1, 3, now, None, None,
                   None, None, None, None, now, now, None)  # fmt: skip


# -- a fake kind, registered ---------------------------------------------------------------------


@dataclass
class FakeKind:
    """A kind for tests: its target is ``fake:<text>``; completing records what it got."""

    NAME: str = "fake"
    MODES: Mapping[JobMode, str] = field(default_factory=lambda: {JobMode.DELETE: "fake"})
    REQUIRED_UPLOADS: frozenset[str] = frozenset()
    completed: list[tuple[int, Completion]] = field(default_factory=list)

    def may_upload(self, file_kind: str) -> bool:
        return False

    def target(self, raw: str) -> Target:
        if not raw.startswith("fake-"):
            raise TargetError("a fake target starts with fake-")
        return Target(f"fake:{raw}", raw)

    def claim_answer(self, db: Database, job: JobInfo) -> Mapping[str, object]:
        return {"scope": f"all of {job.url}", "mode": 99}  # "mode" is the claim's own

    def complete(
        self,
        db: Database,
        storage: Storage,
        actor: Actor,
        job: JobInfo,
        report: Completion,
        now: datetime,
        policy: CheckPolicy,
    ) -> CompletionResult:
        def run() -> JobInfo:
            with db.transaction() as session:
                held = held_job(session, job.id, actor, now)
                finish_job(session, held, actor, now, f"faked {job.url}")
                session.flush()
                return JobInfo.of(held)

        self.completed.append((job.id, report))
        return CompletionResult(retrying(run), video_id=job.url)


@pytest.fixture
def fake_kind(monkeypatch: pytest.MonkeyPatch) -> FakeKind:
    fake = FakeKind()
    checked: JobKind = fake  # the protocol, as mypy would check a kind module
    monkeypatch.setitem(KINDS, JobMode.DELETE, checked)
    return fake


def test_a_registered_kind_is_queued_claimed_and_completed_through_the_registry(
    client: FlaskClient, db: Database, tokens: Tokens, fake_kind: FakeKind
) -> None:
    refused = enqueue(client, tokens.admin, "dQw4w9WgXcQ", mode=2)
    assert refused.status_code == 400
    assert refused.get_json() == {"error": "a fake target starts with fake-"}
    queued = enqueue(client, tokens.admin, "fake-one", mode=2)
    assert queued.status_code == 201 and queued.get_json()["target"] == "fake:fake-one"

    job = claim(client, tokens.worker)
    assert job is not None and (job["next_video"], job["mode"]) == ("fake-one", 2)
    assert job["scope"] == "all of fake-one"  # what the kind adds to the claim's answer
    done = client.post(
        f"/api/worker/jobs/{job['job_id']}/complete", json={}, headers=auth(tokens.worker)
    )
    assert done.status_code == 200, done.get_data(as_text=True)
    assert (done.get_json()["state"], done.get_json()["video_id"]) == ("done", "fake-one")
    assert [job_id for job_id, _ in fake_kind.completed] == [job["job_id"]]
    with db.reading() as session:
        events = session.scalars(
            select(JobEvent.event).where(JobEvent.job_id == job["job_id"]).order_by(JobEvent.id)
        ).all()
    assert events == ["queued", "claimed", "completed"]
    # The error for an unknown mode now names the fake in place of delete.
    unknown = enqueue(client, tokens.admin, "fake-two", mode=5)
    assert unknown.get_json() == {
        "error": "mode must be 0 (archive), 1 (force re-archive), 2 (fake), 3 (scan a source) "
        "or 4 (check a video)"
    }


def test_a_kind_left_out_of_the_registry_cannot_be_queued(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delitem(KINDS, JobMode.DELETE)
    with pytest.raises(
        InvalidRequest, match=r"^mode must be 0 \(archive\), 1 \(.*\), 3 \(.*\) or 4 \("
    ):
        lifecycle.enqueue(db, "dQw4w9WgXcQ", 2, Actor(None, "t"))


# -- the reference worker's side ---------------------------------------------------------------


class _Client:
    """Just enough of ApiClient for one job: what the runner reports."""

    name = "fake"

    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []

    def heartbeat(self, status: str) -> None:
        pass

    def complete(self, job_id: int, report: dict[str, Any]) -> dict[str, Any]:
        self.calls.append(("complete", job_id, report))
        return {}

    def fail(self, job_id: int, error: str, *, retryable: bool, retry_after: float = 0) -> None:
        self.calls.append(("fail", job_id, error, retryable))


def _runner(tmp_path: Path, client: _Client) -> Runner:
    config = WorkerConfig(server="http://x", token="t", workdir=tmp_path, once=True)
    downloader = Downloader(config, ffmpeg=False)
    return Runner(config, client, downloader, sleep=lambda s: None, out=io.StringIO())  # type: ignore[arg-type]


def test_the_worker_runs_a_delete_job_and_hands_back_a_mode_it_does_not_know(
    tmp_path: Path,
) -> None:
    client = _Client()
    runner = _runner(tmp_path, client)
    assert runner.handle(Claimed(1, "clip", Mode.DELETE, "video:clip", 1)) is Outcome.DELETED
    # A newer server's kind: failed as retryable, so that a worker that knows it takes it.
    assert runner.handle(Claimed(2, "https://e/x", 9, "generic:x", 1)) is Outcome.FAILED
    assert client.calls[0] == ("complete", 1, {})
    assert client.calls[1][:2] == ("fail", 2) and client.calls[1][3] is True
    assert "cannot run mode 9 jobs" in client.calls[1][2]
    assert runner.stats == {
        "archived": 0, "skipped": 0, "deleted": 1, "scanned": 0, "checked": 0, "failed": 1,
    }  # fmt: skip
