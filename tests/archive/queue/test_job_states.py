"""Job states, modes and events as types; the one table of moves, and nothing writes around it.

The values are the stored ones (read back raw from every database), the table says exactly
which move is allowed from which state, ``move_job`` refuses the others, and no module but
``transitions.py`` writes ``jobs.state``.
"""

from __future__ import annotations

import ast
import enum
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, select, text

from patchwork.archive.queue import lifecycle
from patchwork.archive.queue.records import Actor, JobConflict, locked_job
from patchwork.archive.queue.states import (
    ACTIVE_STATES,
    FINAL_STATES,
    JobEventName,
    JobMode,
    JobState,
)
from patchwork.archive.queue.transitions import TRANSITIONS, move_job
from patchwork.archive.sources import catalog, scheduling
from patchwork.archive.sources.catalog import SourceSpec
from patchwork.archive.tokens import create_token
from patchwork.db import Database
from patchwork.db.models import Job, JobEvent
from patchwork.db.types import utcnow
from patchwork.worker.client import Mode

SRC = Path(__file__).resolve().parents[3] / "src"
PACKAGE = SRC / "patchwork"
#: The one module allowed to write a job's state.
MOVER = PACKAGE / "archive" / "queue" / "transitions.py"
#: Creates jobs in a final state: the original's finished jobs, imported as history.
HISTORY_IMPORT = PACKAGE / "legacy" / "copy_queue.py"

Q, L, D, F, C = (JobState.QUEUED, JobState.LEASED, JobState.DONE, JobState.FAILED,
                 JobState.CANCELLED)  # fmt: skip


def _worker(db: Database) -> Actor:
    token, _ = create_token(db, "worker", name="mover")
    return Actor(token.id, token.name)


# -- the values are the stored ones ----------------------------------------------------------


def test_the_values_are_those_the_database_and_the_api_have_always_had() -> None:
    assert [s.value for s in JobState] == ["queued", "leased", "done", "failed", "cancelled"]
    assert {m.name: m.value for m in JobMode} == {
        "ARCHIVE": 0, "REARCHIVE": 1, "DELETE": 2, "SCAN": 3, "CHECK": 4,
    }  # fmt: skip
    assert {e.value for e in JobEventName} == {
        "queued", "imported", "claimed", "lease_expired", "retry", "completed", "failed",
        "cancelled", "requeued",
    }  # fmt: skip
    assert ", ".join(JobState) == "queued, leased, done, failed, cancelled"  # the API's text
    assert ACTIVE_STATES == ("queued", "leased")
    assert {D, F, C} == FINAL_STATES


def test_the_workers_modes_are_the_servers() -> None:
    # The worker imports nothing of the server; its copy of the numbers must not drift.
    assert {m.name: m.value for m in Mode} == {m.name: m.value for m in JobMode}


def test_states_and_modes_read_back_raw_as_their_values(db: Database) -> None:
    now = utcnow()
    with db.transaction() as session:
        for number, state in enumerate(JobState):
            mode = list(JobMode)[number % len(JobMode)]
            session.add(
                Job(
                    url=f"u{number}",
                    target=f"t:{number}",
                    mode=mode,
                    state=state,
                    available_at=now,
                    created_at=now,
                    updated_at=now,
                )
            )
    with db.reading() as session:
        raw = session.execute(text("SELECT state, mode FROM jobs ORDER BY id")).all()
        assert [(type(s), s) for s, _ in raw] == [(str, s.value) for s in JobState]
        assert [(type(m), m) for _, m in raw] == [
            (int, n % len(JobMode)) for n in range(len(JobState))
        ]
        # And a member finds its rows wherever a query compares with it.
        failed = session.scalars(select(Job.url).where(Job.state == JobState.FAILED)).all()
        active = session.scalars(select(Job.url).where(Job.state.in_(ACTIVE_STATES))).all()
        deletes = session.scalars(select(Job.url).where(Job.mode == JobMode.DELETE)).all()
    assert (failed, sorted(active), deletes) == (["u3"], ["u0", "u1"], ["u2"])


@pytest.fixture
def bound_parameters(db: Database) -> Iterator[list[Any]]:
    """Every parameter value the engine hands to the driver while the test runs."""
    seen: list[Any] = []

    def on_statement(*args: Any) -> None:
        parameters = args[3]
        rows = parameters if isinstance(parameters, list) else [parameters]
        for row in rows:
            seen.extend(row.values() if isinstance(row, dict) else row)

    event.listen(db.engine, "before_cursor_execute", on_statement)
    yield seen
    event.remove(db.engine, "before_cursor_execute", on_statement)


def test_a_mode_reaches_the_driver_as_a_number(db: Database, bound_parameters: list[Any]) -> None:
    # PyMySQL sends an IntEnum it has no encoder for as a quoted string ('2'); MySQL would
    # convert it, but the column is a number and is written as one on every driver.
    actor = _worker(db)
    for mode in (JobMode.ARCHIVE, JobMode.REARCHIVE, JobMode.DELETE):
        raw = "clip" if mode == JobMode.DELETE else f"https://example.com/{int(mode)}"
        lifecycle.enqueue(db, raw, mode, actor)
    # Scan jobs are scheduled from sources, not enqueued.
    catalog.add_source(db, SourceSpec(url="https://example.com/feed.xml"), actor)
    scheduling.schedule_due_scans(db)
    job = lifecycle.claim_next_job(db, actor, lease_seconds=60)
    assert job is not None
    lifecycle.fail_job(db, actor, job.id, error="no", retryable=False)
    assert not [value for value in bound_parameters if isinstance(value, enum.IntEnum)]
    with db.reading() as session:
        stored = session.execute(text("SELECT mode FROM jobs ORDER BY id")).scalars().all()
    assert stored == [0, 1, 2, 3]


def test_job_info_carries_the_types(db: Database) -> None:
    queued = lifecycle.enqueue(db, "clip", 2, _worker(db)).job
    assert (type(queued.state), type(queued.mode)) == (JobState, JobMode)
    assert (queued.state, queued.mode) == (JobState.QUEUED, JobMode.DELETE)


# -- the table ------------------------------------------------------------------------------


def test_the_table_lists_every_move_and_no_other() -> None:
    moves = {event.value: (set(t.sources), t.target) for event, t in TRANSITIONS.items()}
    assert moves == {
        "claimed": ({Q, L}, L),
        "completed": ({L}, D),
        "retry": ({L}, Q),
        "failed": ({L}, F),
        "cancelled": ({Q, L}, C),
        "requeued": ({F, C}, Q),
    }


def _job_in(db: Database, state: JobState) -> int:
    now = utcnow()
    with db.transaction() as session:
        job = Job(
            url="https://example.com/x",
            target="generic:x",
            mode=0,
            state=state,
            attempts=1,
            lease_token_id=None,
            lease_expires_at=now + timedelta(hours=1) if state == L else None,
            finished_at=now if state in FINAL_STATES else None,
            available_at=now,
            created_at=now,
            updated_at=now,
        )
        session.add(job)
        session.flush()
        return job.id


ALL_MOVES = [(state, name) for state in JobState for name in TRANSITIONS]


@pytest.mark.parametrize(("state", "name"), ALL_MOVES, ids=[f"{s}-{e}" for s, e in ALL_MOVES])
def test_move_job_makes_exactly_the_moves_of_the_table(
    db: Database, state: JobState, name: JobEventName
) -> None:
    job_id = _job_in(db, state)
    actor = Actor(None, "tester")
    now = utcnow()
    transition = TRANSITIONS[name]
    with db.transaction() as session:
        job = locked_job(session, job_id)
        if state not in transition.sources:
            with pytest.raises(JobConflict, match=f"job {job_id} is {state.value}"):
                move_job(session, job, name, actor, now, "why")
            return
        move_job(session, job, name, actor, now, "why")
    with db.reading() as session:
        moved = session.get(Job, job_id)
        assert moved is not None
        events = session.scalars(select(JobEvent.event).where(JobEvent.job_id == job_id)).all()
        assert moved.state == transition.target
        assert events == [name.value]
        # The invariants a move keeps: no lease but while leased (a claim sets its own, see
        # move_job_if_unchanged), finished_at only when over, last_error when failed.
        if transition.target != L:
            assert moved.lease_expires_at is None and moved.lease_token_id is None
        assert (moved.finished_at is not None) == (transition.target in FINAL_STATES)
        assert (moved.last_error == "why") == (transition.target == F)


def test_a_refused_move_writes_nothing(db: Database) -> None:
    job_id = _job_in(db, D)
    with pytest.raises(JobConflict), db.transaction() as session:
        move_job(session, locked_job(session, job_id), JobEventName.FAILED, Actor(None, "t"),
                 utcnow(), "late")  # fmt: skip
    with db.reading() as session:
        assert session.get(Job, job_id).state == D  # type: ignore[union-attr]
        assert session.scalars(select(JobEvent.id)).all() == []


def test_an_event_that_is_no_move_is_a_programming_error(db: Database) -> None:
    job_id = _job_in(db, L)
    with pytest.raises(ValueError, match="not a move"), db.transaction() as session:
        move_job(session, locked_job(session, job_id), JobEventName.LEASE_EXPIRED,
                 Actor(None, "t"), utcnow())  # fmt: skip


def test_the_services_refuse_through_the_table_with_their_old_messages(db: Database) -> None:
    actor = _worker(db)
    job = lifecycle.enqueue(db, "https://example.com/a", 0, actor).job
    with pytest.raises(JobConflict) as refused:
        lifecycle.retry_job(db, actor, job.id)
    assert str(refused.value) == (
        f"job {job.id} is queued; only failed or cancelled jobs can be retried"
    )
    claimed = lifecycle.claim_next_job(db, actor, lease_seconds=60)
    assert claimed is not None and claimed.state == L
    lifecycle.fail_job(db, actor, job.id, error="gone", retryable=False)
    with pytest.raises(JobConflict) as refused:
        lifecycle.cancel_job(db, actor, job.id)
    assert str(refused.value) == f"job {job.id} is failed and cannot be cancelled"
    assert lifecycle.retry_job(db, actor, job.id).state == Q


# -- nothing writes a job's state around the table ---------------------------------------------


def _is_state_key(node: ast.expr | None) -> bool:
    if isinstance(node, ast.Constant):
        return node.value == "state"
    return isinstance(node, ast.Attribute) and node.attr == "state"


def _stores_state(target: ast.expr) -> bool:
    """``x.state = …`` for any ``x`` but ``self`` (a class's own attribute: no Job row)."""
    if isinstance(target, ast.Tuple | ast.List):
        return any(_stores_state(element) for element in target.elts)
    return (
        isinstance(target, ast.Attribute)
        and target.attr == "state"
        and not (isinstance(target.value, ast.Name) and target.value.id == "self")
    )


def _called_name(node: ast.Call) -> str:
    func = node.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def state_writes(source: str, *, history: bool = False) -> list[str]:
    """The places in ``source`` that write a job's state: an assignment to ``.state``,
    ``setattr(…, "state", …)``, ``.values(state=…)`` or ``.values({"state": …})`` (an UPDATE
    or INSERT), and ``Job(state=…)`` with any state but ``JobState.QUEUED`` (a job starts
    queued) unless ``history`` (an import of jobs that finished elsewhere)."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(_stores_state(t) for t in targets):
                found.append((line, "assigns .state"))
        if not isinstance(node, ast.Call):
            continue
        name = _called_name(node)
        if name == "setattr" and len(node.args) > 1 and _is_state_key(node.args[1]):
            found.append((line, "setattr state"))
        if name == "values":
            keys = [k.arg for k in node.keywords]
            dicts = [a for a in node.args if isinstance(a, ast.Dict)]
            if "state" in keys or any(_is_state_key(k) for d in dicts for k in d.keys):
                found.append((line, ".values(state=...)"))
        if name == "Job" and not history:
            for keyword in node.keywords:
                if keyword.arg == "state" and ast.unparse(keyword.value) != "JobState.QUEUED":
                    found.append((line, f"Job(state={ast.unparse(keyword.value)})"))
    return [f"line {line}: {what}" for line, what in sorted(found)]


def test_the_scanner_finds_each_way_of_writing_a_state() -> None:
    source = (
        "job.state = 'done'\n"
        "held.state: str = JobState.FAILED\n"
        "a, job.state = 1, 'x'\n"
        "setattr(job, 'state', 'queued')\n"
        "session.execute(update(Job).where(Job.id == 1).values(state='leased'))\n"
        "update(Job).values({Job.state: 'leased'})\n"
        "insert(Job).values({'state': 'done'})\n"
        "Job(url='u', state=JobState.DONE)\n"
        # None of these writes a job's state:
        "self.state = state\n"
        "Job(url='u', state=JobState.QUEUED)\n"
        "update(Worker).values(current_job_id=None)\n"
        "if job.state == 'leased': pass\n"
    )
    assert [w.split(": ")[0] for w in state_writes(source)] == [f"line {n}" for n in range(1, 9)]
    assert len(state_writes("Job(state=JobState.DONE)\n", history=True)) == 0


AVAILABILITY_RULE = SRC / "patchwork" / "archive" / "availability" / "rule.py"


def test_no_module_but_transitions_writes_a_jobs_state() -> None:
    writers = {
        f"{path.relative_to(SRC)} {place}"
        for path in sorted(PACKAGE.rglob("*.py"))
        # A video's availability has a state of its own, not a job's, written by the rule only.
        if path not in (MOVER, AVAILABILITY_RULE)
        for place in state_writes(path.read_text(), history=path == HISTORY_IMPORT)
    }
    assert writers == set()
    assert state_writes(MOVER.read_text()) != []  # the scan sees the one writer
