"""The background runner: schedules by an injected clock, backoff, clean stop, run_once.

Schedules are checked with :meth:`Runner.run_due` and a fake monotonic clock; the tests
that start the thread move that clock and :meth:`Runner.wake` it, and wait on events
the steps set (with generous timeouts, never as a measure of speed).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from promptyard.config import Settings
from promptyard.services.context import Core
from promptyard.workers import Job, Runner, Step

WAIT = 10.0  # seconds an event may take to arrive before the test fails: never a bound


class Monotonic:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def core(tmp_path: Path) -> Iterator[Core]:
    """A Core whose store is never used: the runner only hands it to the steps."""
    core = Core.build(Settings(data_dir=tmp_path, database_url=f"sqlite:///{tmp_path}/x.db"))
    core.clock = lambda: datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    yield core
    core.store.dispose()


@pytest.fixture
def clock() -> Monotonic:
    return Monotonic()


def _counting(calls: list[float], clock: Monotonic, work: int = 1) -> Step:
    def step(_core: Core) -> int:
        calls.append(clock.now)
        return work

    return step


def _thread_names() -> list[str]:
    return [thread.name for thread in threading.enumerate()]


# -- schedules ------------------------------------------------------------------------


def test_jobs_run_on_their_interval(core: Core, clock: Monotonic) -> None:
    fast: list[float] = []
    slow: list[float] = []
    runner = Runner(
        core,
        [Job("fast", 5, _counting(fast, clock)), Job("slow", 12, _counting(slow, clock, 3))],
        monotonic=clock,
    )
    seen = {}
    for tick in range(31):
        clock.now = float(tick)
        done = runner.run_due()
        if done:
            seen[tick] = done
    assert fast == [5, 10, 15, 20, 25, 30]
    assert slow == [12, 24]
    assert seen[12] == {"slow": 3} and seen[25] == {"fast": 1}
    health = runner.health()
    assert health["running"] is False
    assert health["jobs"]["fast"]["runs"] == 6 and health["jobs"]["fast"]["work"] == 6
    assert health["jobs"]["slow"]["runs"] == 2 and health["jobs"]["slow"]["work"] == 6
    assert health["jobs"]["slow"]["interval_seconds"] == 12
    assert health["jobs"]["slow"]["last_run_at"] == "2026-12-01T09:00:00+00:00"
    assert health["jobs"]["slow"]["last_error"] is None


def test_the_next_run_counts_from_the_end_of_the_step(core: Core, clock: Monotonic) -> None:
    calls: list[float] = []

    def long_step(_core: Core) -> int:
        calls.append(clock.now)
        clock.now += 3  # the step took 3 s
        return 1

    runner = Runner(core, [Job("long", 10, long_step)], monotonic=clock)
    clock.now = 10
    runner.run_due()
    clock.now = 22.9
    assert runner.run_due() == {}
    clock.now = 23
    assert runner.run_due() == {"long": 1}
    assert calls == [10, 23]


def test_a_draining_job_runs_until_it_reports_no_work(core: Core, clock: Monotonic) -> None:
    backlog = [50, 50, 7, 0, 99]
    runner = Runner(
        core,
        [
            Job("drained", 1, lambda _core: backlog.pop(0), drain=True),
            Job("once", 1, lambda _core: 5),
        ],
        monotonic=clock,
    )
    clock.now = 1
    assert runner.run_due() == {"drained": 107, "once": 5}
    assert backlog == [99]
    assert runner.health()["jobs"]["drained"]["runs"] == 4


# -- failures ---------------------------------------------------------------------------


def test_a_failing_job_backs_off_and_does_not_stop_the_others(
    core: Core, clock: Monotonic, caplog: pytest.LogCaptureFixture
) -> None:
    failing = {"on": True}
    flaky_calls: list[float] = []
    steady_calls: list[float] = []

    def flaky(_core: Core) -> int:
        flaky_calls.append(clock.now)
        if failing["on"]:
            raise RuntimeError("boom")
        return 2

    runner = Runner(
        core,
        [Job("flaky", 1, flaky, max_backoff=4), Job("steady", 1, _counting(steady_calls, clock))],
        monotonic=clock,
    )
    with caplog.at_level(logging.INFO, logger="promptyard.workers"):
        for tick in range(1, 19):
            clock.now = float(tick)
            done = runner.run_due()
            assert "steady" in done and "flaky" not in done
        # 2 s after the 1st failure, then 4 s (the ceiling), and so on
        assert flaky_calls == [1, 3, 7, 11, 15]
        assert steady_calls == [float(tick) for tick in range(1, 19)]
        flaky_health = runner.health()["jobs"]["flaky"]
        assert flaky_health["failures"] == 5 and flaky_health["failures_in_a_row"] == 5
        assert flaky_health["runs"] == 0
        assert flaky_health["last_error"] == "RuntimeError: boom"
        assert flaky_health["last_error_at"] == "2026-12-01T09:00:00+00:00"

        failing["on"] = False
        clock.now = 19
        assert runner.run_due() == {"flaky": 2, "steady": 1}
        clock.now = 20  # back on its interval
        assert runner.run_due() == {"flaky": 2, "steady": 1}

    flaky_health = runner.health()["jobs"]["flaky"]
    assert flaky_health["runs"] == 2 and flaky_health["failures_in_a_row"] == 0
    assert flaky_health["failures"] == 5 and flaky_health["last_error"] == "RuntimeError: boom"
    records = [r for r in caplog.records if "flaky" in r.getMessage()]
    errors = [r for r in records if r.levelno == logging.ERROR]
    assert len(errors) == 1 and errors[0].exc_info is not None  # one traceback per streak
    assert "next try in 2 s" in errors[0].getMessage()
    warnings = [r for r in records if r.levelno == logging.WARNING]
    assert len(warnings) == 4 and "5 in a row" in warnings[-1].getMessage()
    assert any("recovered after 5 failure(s)" in r.getMessage() for r in records)


def test_backoff_never_goes_below_the_interval(core: Core, clock: Monotonic) -> None:
    def broken(_core: Core) -> int:
        raise ValueError("no")

    runner = Runner(core, [Job("broken", 10, broken, max_backoff=1)], monotonic=clock)
    clock.now = 10
    runner.run_due()
    clock.now = 19.9
    runner.run_due()
    clock.now = 20
    runner.run_due()
    assert runner.health()["jobs"]["broken"]["failures"] == 2


# -- run_once ----------------------------------------------------------------------------


def test_run_once_runs_the_step_now_in_the_calling_thread(core: Core, clock: Monotonic) -> None:
    seen: list[tuple[threading.Thread, Core]] = []

    def step(given: Core) -> int:
        seen.append((threading.current_thread(), given))
        return 3

    def broken(_core: Core) -> int:
        raise RuntimeError("kaput")

    runner = Runner(
        core,
        [Job("a", 3600, step), Job("b", 3600, lambda _core: 0), Job("c", 3600, broken)],
        monotonic=clock,
    )
    assert runner.run_once("a") == 3
    assert seen == [(threading.current_thread(), core)]
    with pytest.raises(RuntimeError, match="kaput"):
        runner.run_once("c")
    assert runner.health()["jobs"]["c"]["last_error"] == "RuntimeError: kaput"
    with pytest.raises(KeyError, match="no job named 'nope'"):
        runner.run_once("nope")
    jobs = runner.health()["jobs"]
    assert jobs["a"]["runs"] == 1 and jobs["a"]["last_work"] == 3
    assert jobs["b"]["runs"] == 0 and jobs["b"]["last_run_at"] is None
    # run_once leaves the schedule alone: nothing is due before the first interval
    assert runner.run_due() == {}


def test_run_all_once_runs_every_job_in_order(core: Core, clock: Monotonic) -> None:
    order: list[str] = []

    def job(name: str, work: int) -> Job:
        def step(_core: Core) -> int:
            order.append(name)
            return work

        return Job(name, 60, step)

    runner = Runner(core, [job("first", 1), job("second", 0)], monotonic=clock)
    assert runner.run_all_once() == {"first": 1, "second": 0}
    assert order == ["first", "second"]


def test_jobs_are_checked_when_registered(core: Core, clock: Monotonic) -> None:
    runner = Runner(core, [Job("a", 1, lambda _core: 0)], monotonic=clock)
    with pytest.raises(ValueError, match="already registered"):
        runner.register(Job("a", 2, lambda _core: 0))
    with pytest.raises(ValueError, match="interval"):
        Job("b", 0, lambda _core: 0)
    assert runner.names == ["a"]


# -- the thread --------------------------------------------------------------------------


def test_the_thread_runs_jobs_as_they_fall_due(core: Core, clock: Monotonic) -> None:
    ran = threading.Event()
    where: list[str] = []

    def step(_core: Core) -> int:
        where.append(threading.current_thread().name)
        ran.set()
        return 1

    runner = Runner(core, [Job("a", 60, step)], monotonic=clock, thread_name="test-due")
    runner.start()
    try:
        assert runner.running
        clock.now = 60
        runner.wake()
        assert ran.wait(WAIT)
        assert where == ["test-due"]
        assert runner.health()["running"] is True
    finally:
        assert runner.stop()
    assert "test-due" not in _thread_names()


def test_stop_waits_for_the_step_in_progress_and_is_idempotent(
    core: Core, clock: Monotonic
) -> None:
    entered = threading.Event()
    release = threading.Event()
    finished = threading.Event()
    after: list[float] = []

    def slow(_core: Core) -> int:
        entered.set()
        release.wait(WAIT)
        finished.set()
        return 1

    runner = Runner(
        core,
        [Job("slow", 1, slow), Job("after", 1, _counting(after, clock))],
        monotonic=clock,
        thread_name="test-stop",
    )
    assert runner.stop() is True  # never started: nothing to do
    runner.start()
    runner.start()  # already running: no second thread
    assert _thread_names().count("test-stop") == 1
    clock.now = 1
    runner.wake()
    assert entered.wait(WAIT)

    results: list[bool] = []
    stopper = threading.Thread(target=lambda: results.append(runner.stop(timeout=WAIT * 3)))
    stopper.start()
    stopper.join(0.2)
    assert stopper.is_alive() and not finished.is_set()  # stop waits, the step goes on
    assert runner.stopping()
    release.set()
    stopper.join(WAIT)
    assert results == [True]
    assert finished.is_set()
    assert after == []  # no step starts once stop was asked
    assert not runner.running and not runner.stopping()
    assert "test-stop" not in _thread_names()
    assert runner.stop() is True  # again: nothing to do
    assert runner.health()["jobs"]["slow"]["runs"] == 1


def test_a_stopped_runner_starts_again(core: Core, clock: Monotonic) -> None:
    ran = threading.Event()

    def step(_core: Core) -> int:
        ran.set()
        return 1

    runner = Runner(core, [Job("a", 1, step)], monotonic=clock, thread_name="test-again")
    runner.start()
    assert runner.stop()
    runner.start()
    try:
        clock.now = 1
        runner.wake()
        assert ran.wait(WAIT)
    finally:
        assert runner.stop()
    assert "test-again" not in _thread_names()


def test_registering_while_running_is_refused(core: Core, clock: Monotonic) -> None:
    runner = Runner(core, monotonic=clock, thread_name="test-register")
    runner.start()
    try:
        with pytest.raises(RuntimeError):
            runner.register(Job("late", 1, lambda _core: 0))
    finally:
        assert runner.stop()
