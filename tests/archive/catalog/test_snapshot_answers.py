"""Summaries from snapshots (issue 17): computed once, served stale while one process
refreshes them in the background, answered at once after a restart."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from patchwork.archive.maintenance.stats import StatsUnavailable
from patchwork.archive.snapshots import (
    RECHECK_SECONDS,
    RETRY_SECONDS,
    AnswerPending,
    SnapshotAnswers,
)
from patchwork.cache import EMPTY_TTL_SECONDS, MemoryCache
from patchwork.db import Database


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


class Later:
    """A background that keeps the refreshes it is given until the test runs them."""

    def __init__(self) -> None:
        self.waiting: list[Callable[[], None]] = []

    def __call__(self, work: Callable[[], None]) -> None:
        self.waiting.append(work)

    def run(self) -> None:
        while self.waiting:
            self.waiting.pop(0)()


class Source:
    """A computation that says how often it ran and answers ``value``."""

    def __init__(self, value: object = "first") -> None:
        self.value = value
        self.calls = 0

    def __call__(self) -> object:
        self.calls += 1
        if isinstance(self.value, Exception):
            raise self.value
        return self.value


def _process(db: Database, clock: Clock, later: Later) -> SnapshotAnswers:
    """One server process: its own cache, the shared database."""
    return SnapshotAnswers(db, MemoryCache(clock=clock), clock=clock, background=later)


@pytest.fixture
def clock() -> Clock:
    return Clock()


def test_computed_once_then_from_the_cache(db: Database, clock: Clock) -> None:
    answers, source = _process(db, clock, Later()), Source()
    assert [answers.get("k", 60, source) for _ in range(3)] == ["first"] * 3
    assert source.calls == 1


def test_stale_is_served_while_one_refresh_runs_in_the_background(
    db: Database, clock: Clock
) -> None:
    later = Later()
    answers, source = _process(db, clock, later), Source()
    answers.get("k", 60, source)
    clock.now += 61
    source.value = "second"
    assert answers.get("k", 60, source) == "first"  # not waited for
    assert answers.get("k", 60, source) == "first"  # and not started twice
    assert len(later.waiting) == 1 and source.calls == 1
    later.run()
    assert answers.get("k", 60, source) == "second"
    assert source.calls == 2


def test_one_process_refreshes_for_all(db: Database, clock: Clock) -> None:
    """Two server processes share the snapshot: only the one holding its lease computes."""
    later = Later()
    one, two, source = _process(db, clock, later), _process(db, clock, later), Source()
    one.get("k", 60, source)
    assert two.get("k", 60, source) == "first" and source.calls == 1  # read, not computed
    clock.now += 61
    source.value = "second"
    assert one.get("k", 60, source) == "first"
    assert two.get("k", 60, source) == "first"
    assert len(later.waiting) == 1  # the second process found the lease taken
    later.run()
    clock.now += RECHECK_SECONDS
    assert two.get("k", 60, source) == "second"
    assert source.calls == 2


def test_a_restarted_process_answers_from_the_snapshot(db: Database, clock: Clock) -> None:
    source = Source()
    _process(db, clock, Later()).get("k", 60, source)
    restarted = _process(db, clock, Later())
    assert restarted.get("k", 60, source) == "first"
    assert source.calls == 1


def test_a_failed_refresh_keeps_the_stale_answer(db: Database, clock: Clock) -> None:
    later = Later()
    answers, source = _process(db, clock, later), Source()
    answers.get("k", 60, source)
    clock.now += 61
    source.value = RuntimeError("provider down")
    answers.get("k", 60, source)
    later.run()
    assert answers.get("k", 60, source) == "first"
    assert not later.waiting  # not retried at once...
    clock.now += RETRY_SECONDS + RECHECK_SECONDS
    source.value = "back"
    answers.get("k", 60, source)
    later.run()  # ...but after a while
    assert answers.get("k", 60, source) == "back"


def test_an_empty_answer_is_never_served_stale(db: Database, clock: Clock) -> None:
    answers, source = _process(db, clock, Later()), Source([])
    assert answers.get("k", 3600, source) == []
    source.value = ["first video"]
    clock.now += EMPTY_TTL_SECONDS
    assert answers.get("k", 3600, source) == ["first video"]


def test_another_version_is_no_answer(db: Database, clock: Clock) -> None:
    answers, source = _process(db, clock, Later()), Source("monday")
    assert answers.get("daily", 86400, source, version="2026-12-07") == "monday"
    source.value = "tuesday"
    assert answers.get("daily", 86400, source, version="2026-12-08") == "tuesday"


class Blocked:
    """A first computation that runs until the test lets it finish."""

    def __init__(self, value: object) -> None:
        self.value = value
        self.calls = 0
        self.release = threading.Event()

    def __call__(self) -> object:
        self.calls += 1
        self.release.wait()
        if isinstance(self.value, Exception):
            raise self.value
        return self.value


class Threads:
    """A background that runs each first computation in a thread the test can join."""

    def __init__(self) -> None:
        self.started: list[threading.Thread] = []

    def __call__(self, work: Callable[[], None]) -> None:
        thread = threading.Thread(target=work)
        self.started.append(thread)
        thread.start()

    def join(self) -> None:
        for thread in self.started:
            thread.join()


def test_no_request_waits_out_a_slow_first_computation(db: Database, clock: Clock) -> None:
    """A count over a million rows, a bucket listing: the request is told to come back
    (503, Retry-After) while the one computation goes on and stores its answer."""
    threads = Threads()
    answers = SnapshotAnswers(
        db, MemoryCache(clock=clock), clock=clock, first_background=threads, first_wait=0.05
    )
    slow = Blocked({"videos": 1_000_000})
    with pytest.raises(AnswerPending) as pending:
        answers.get("storage", 300, slow)
    assert pending.value.status == 503 and pending.value.retry_after
    with pytest.raises(AnswerPending):
        answers.get("storage", 300, slow)  # joins the flight: no second computation
    slow.release.set()
    threads.join()
    assert answers.get("storage", 300, slow) == {"videos": 1_000_000}
    # Another process (a restart) answers from the snapshot the flight stored.
    other = SnapshotAnswers(db, MemoryCache(clock=clock), clock=clock, first_wait=0.05)
    assert other.get("storage", 300, Source(RuntimeError("computed again"))) == {
        "videos": 1_000_000
    }
    assert slow.calls == 1 and len(threads.started) == 1


def test_a_first_computation_that_fails_in_time_says_why(db: Database, clock: Clock) -> None:
    answers = SnapshotAnswers(db, MemoryCache(clock=clock), clock=clock, first_wait=30)
    failing = Blocked(StatsUnavailable("provider down"))
    failing.release.set()
    with pytest.raises(StatsUnavailable, match="provider down"):
        answers.get("storage", 300, failing)
    failing.value = {"videos": 2}
    assert answers.get("storage", 300, failing) == {"videos": 2}  # tried again, not cached
    assert failing.calls == 2
