"""The in-process rate limit store: a moving window like limits' memory store, without threads."""

from __future__ import annotations

import threading
from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask
from limits import parse
from limits.storage import MemoryStorage
from limits.storage import memory as limits_memory
from limits.strategies import MovingWindowRateLimiter

from patchwork.ops.local_windows import SWEEP_SECONDS, LocalMovingWindows


class Clock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def limiter(clock: Clock) -> MovingWindowRateLimiter:
    return MovingWindowRateLimiter(LocalMovingWindows(clock))


def test_refuses_past_the_limit_until_the_oldest_hit_leaves_the_window(
    limiter: MovingWindowRateLimiter, clock: Clock
) -> None:
    item = parse("3/minute")
    first = clock.now
    assert [limiter.hit(item, "a") for _ in range(3)] == [True, True, True]
    assert not limiter.hit(item, "a")
    assert limiter.hit(item, "b")  # another client has its own budget
    stats = limiter.get_window_stats(item, "a")
    assert (stats.remaining, stats.reset_time) == (0, first + 60)
    clock.now = first + 59
    assert not limiter.test(item, "a")
    clock.now = first + 61
    assert limiter.test(item, "a") and limiter.hit(item, "a")


def test_the_window_moves_rather_than_resetting(
    limiter: MovingWindowRateLimiter, clock: Clock
) -> None:
    item = parse("3/minute")
    start = clock.now
    assert limiter.hit(item, "a")
    clock.now = start + 30
    assert limiter.hit(item, "a") and limiter.hit(item, "a")
    clock.now = start + 61  # only the first hit has left the window
    assert limiter.hit(item, "a")
    assert not limiter.hit(item, "a")
    assert limiter.get_window_stats(item, "a").reset_time == start + 90


def test_agrees_with_limits_memory_store(clock: Clock, monkeypatch: pytest.MonkeyPatch) -> None:
    """Same answers as limits' own store on one sequence of hits over 200 seconds."""
    ours = MovingWindowRateLimiter(LocalMovingWindows(clock))
    theirs_store = MemoryStorage()
    theirs = MovingWindowRateLimiter(theirs_store)
    # limits' store reads the time through its module's ``time``: give it this clock only.
    monkeypatch.setattr(limits_memory, "time", SimpleNamespace(time=clock))
    item = parse("5/30 seconds")
    answers: list[tuple[bool, bool]] = []
    for step in range(400):
        clock.now += (step * 7919) % 13 / 10  # uneven gaps, 0 to 1.2 s
        answers.append((ours.hit(item, "c"), theirs.hit(item, "c")))
    theirs_store.timer.cancel()
    assert all(a == b for a, b in answers)
    assert {a for a, _ in answers} == {True, False}  # both allowed and refused happened


def test_hits_start_no_thread(
    limiter: MovingWindowRateLimiter, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*_args: Any) -> None:
        raise AssertionError("a hit started a thread")

    monkeypatch.setattr(threading.Thread, "start", refuse)
    item = parse("1000/minute")
    assert all(limiter.hit(item, f"client{n % 50}") for n in range(500))


def test_clients_gone_quiet_are_forgotten(clock: Clock) -> None:
    store = LocalMovingWindows(clock)
    limiter = MovingWindowRateLimiter(store)
    item = parse("10/minute")
    for n in range(100):
        limiter.hit(item, f"client{n}")
    assert len(store) == 100
    clock.now += max(SWEEP_SECONDS, 60) + 1
    assert limiter.hit(item, "client0")  # the request that finds the sweep due runs it
    assert len(store) == 1


def test_more_than_the_limit_at_once_is_refused(limiter: MovingWindowRateLimiter) -> None:
    assert not limiter.hit(parse("2/minute"), "a", cost=3)


def test_the_default_memory_store_is_this_one(app: Flask) -> None:
    limits = app.extensions["patchwork.rate_limits"]
    assert isinstance(limits.limiter.storage, LocalMovingWindows)
