"""The runner: registered :class:`Job`\\ s, run on their interval by one thread.

Each job's ``step(core)`` does one round of work and returns how much it did (deliveries
attempted, checkpoints published, ...). The runner's thread runs the jobs that are due
one after the other, then sleeps until the next one is due or :meth:`Runner.wake` or
:meth:`Runner.stop` is called. A step that raises is logged and its job backs off
(``interval * 2 ** failures in a row``, at most ``max_backoff``); the other jobs go on.
:meth:`Runner.stop` lets the step in progress finish, never interrupts it.

Tests do not start the thread: :meth:`Runner.run_once` runs one job's step in the
caller's thread, and :meth:`Runner.run_due` runs what is due by the runner's clock
(``monotonic=``, injectable), so schedules are checked without sleeping.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from promptyard.services.context import Core

log = logging.getLogger("promptyard.workers")

#: One round of a job's work; returns how much it did (0: nothing to do).
Step = Callable[[Core], int]


@dataclass(frozen=True)
class Job:
    """A piece of background work, run every ``interval`` seconds.

    ``drain``: when a round did some work, run the step again at once (until it reports
    none or the runner stops), e.g. to work through a backlog in batches.
    """

    name: str
    interval: float
    step: Step
    drain: bool = False
    max_backoff: float = 300.0

    def __post_init__(self) -> None:
        if not self.name:
            raise ValueError("a job needs a name")
        if self.interval <= 0:
            raise ValueError(f"job {self.name}: interval must be positive")


@dataclass
class JobHealth:
    """What a job did so far: steps run and failed, and when."""

    runs: int = 0
    failures: int = 0
    failures_in_a_row: int = 0
    work: int = 0
    last_work: int | None = None
    last_run_at: datetime | None = None
    last_success_at: datetime | None = None
    last_error: str | None = None
    last_error_at: datetime | None = None

    def as_dict(self) -> dict[str, Any]:
        def iso(value: datetime | None) -> str | None:
            return value.isoformat() if value is not None else None

        return {
            "runs": self.runs,
            "failures": self.failures,
            "failures_in_a_row": self.failures_in_a_row,
            "work": self.work,
            "last_work": self.last_work,
            "last_run_at": iso(self.last_run_at),
            "last_success_at": iso(self.last_success_at),
            "last_error": self.last_error,
            "last_error_at": iso(self.last_error_at),
        }


@dataclass
class _Entry:
    job: Job
    next_run: float
    health: JobHealth = field(default_factory=JobHealth)
    #: Held while the step runs: a job never runs twice at the same time (thread and test).
    running: threading.Lock = field(default_factory=threading.Lock)


class Runner:
    """Runs registered jobs on their interval in one thread; see the module docstring."""

    def __init__(
        self,
        core: Core,
        jobs: Iterable[Job] = (),
        *,
        monotonic: Callable[[], float] = time.monotonic,
        thread_name: str = "promptyard-workers",
    ) -> None:
        self.core = core
        self._monotonic = monotonic
        self._thread_name = thread_name
        self._entries: dict[str, _Entry] = {}
        self._lock = threading.Lock()  # guards health and schedules
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        for job in jobs:
            self.register(job)

    # -- set-up ---------------------------------------------------------------------

    def register(self, job: Job) -> None:
        """Add a job; its first run is one ``interval`` from now."""
        if self.running:
            raise RuntimeError("register jobs before the runner starts")
        if job.name in self._entries:
            raise ValueError(f"a job named {job.name!r} is already registered")
        self._entries[job.name] = _Entry(job=job, next_run=self._monotonic() + job.interval)

    @property
    def names(self) -> list[str]:
        return list(self._entries)

    # -- the thread -----------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def stopping(self) -> bool:
        """True once :meth:`stop` was called and until the thread has ended: a long step
        may check it between pieces of work and return early (never half-way through one)."""
        return self._stopping.is_set()

    def start(self) -> None:
        """Start the thread (nothing happens when it already runs)."""
        if self.running:
            return
        self._stopping.clear()
        self._wake.clear()
        self._thread = threading.Thread(target=self._loop, name=self._thread_name, daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> bool:
        """Stop the thread after the step in progress (if any) is done; safe to call twice.

        False when the step was still running after ``timeout`` seconds: the thread then
        ends on its own once the step returns.
        """
        thread = self._thread
        if thread is None:
            return True
        self._stopping.set()
        self._wake.set()
        thread.join(timeout)
        if thread.is_alive():
            log.warning("background jobs still finishing a step after %g s", timeout)
            return False
        self._thread = None
        self._stopping.clear()
        return True

    def wake(self) -> None:
        """Have the thread look at once at which jobs are due (e.g. after the clock moved)."""
        self._wake.set()

    def _loop(self) -> None:
        log.info("background jobs started: %s", ", ".join(self._entries) or "none")
        while not self._stopping.is_set():
            try:
                self.run_due()
            except Exception:  # a bug in the runner itself: keep going
                log.exception("background job runner failed")
            self._wake.wait(self._seconds_to_next())
            self._wake.clear()
        log.info("background jobs stopped")

    def _seconds_to_next(self) -> float | None:
        with self._lock:
            if not self._entries:
                return None
            soonest = min(entry.next_run for entry in self._entries.values())
        return max(0.0, soonest - self._monotonic())

    # -- running steps --------------------------------------------------------------

    def run_due(self) -> dict[str, int]:
        """Run each job that is due by the runner's clock, once (or until drained).

        A failing step is logged and its job backs off; the others still run. Returns the
        work done per job that ran (failed jobs are left out).
        """
        done: dict[str, int] = {}
        for entry in list(self._entries.values()):
            if self._stopping.is_set():
                break
            if self._monotonic() < entry.next_run:
                continue
            total = 0
            try:
                work = self._step(entry)
                total += work
                while work > 0 and entry.job.drain and not self._stopping.is_set():
                    work = self._step(entry)
                    total += work
            except Exception as exc:
                delay = self._backoff(entry.job, entry.health.failures_in_a_row)
                self._log_failure(entry, exc, delay)
                next_run = self._monotonic() + delay
            else:
                done[entry.job.name] = total
                next_run = self._monotonic() + entry.job.interval
            with self._lock:
                entry.next_run = next_run
        return done

    def run_once(self, name: str) -> int:
        """Run one step of job ``name`` now, in this thread; its result, or its exception.

        For tests and one-off use: the job's schedule is left as it is.
        """
        entry = self._entries.get(name)
        if entry is None:
            raise KeyError(f"no job named {name!r}; jobs: {', '.join(self._entries)}")
        return self._step(entry)

    def run_all_once(self) -> dict[str, int]:
        """:meth:`run_once` for every job, in the order they were registered."""
        return {name: self.run_once(name) for name in list(self._entries)}

    def _step(self, entry: _Entry) -> int:
        with entry.running:
            started = self.core.clock()
            with self._lock:
                entry.health.last_run_at = started
            try:
                work = int(entry.job.step(self.core))
            except Exception as exc:
                with self._lock:
                    health = entry.health
                    health.failures += 1
                    health.failures_in_a_row += 1
                    health.last_error = f"{exc.__class__.__name__}: {exc}"[:500]
                    health.last_error_at = self.core.clock()
                raise
            with self._lock:
                health = entry.health
                recovered = health.failures_in_a_row
                health.runs += 1
                health.failures_in_a_row = 0
                health.work += work
                health.last_work = work
                health.last_success_at = self.core.clock()
        if recovered:
            log.info("background job %s recovered after %d failure(s)", entry.job.name, recovered)
        return work

    @staticmethod
    def _backoff(job: Job, failures_in_a_row: int) -> float:
        ceiling = max(job.max_backoff, job.interval)
        return float(min(job.interval * 2 ** min(failures_in_a_row, 32), ceiling))

    @staticmethod
    def _log_failure(entry: _Entry, exc: Exception, delay: float) -> None:
        health = entry.health
        if health.failures_in_a_row == 1:
            log.error(
                "background job %s failed; next try in %g s",
                entry.job.name,
                delay,
                exc_info=exc,
            )
        else:  # the traceback was logged at the first failure of this run of failures
            log.warning(
                "background job %s failed again (%d in a row: %s); next try in %g s",
                entry.job.name,
                health.failures_in_a_row,
                health.last_error,
                delay,
            )

    # -- health ---------------------------------------------------------------------

    def health(self) -> dict[str, Any]:
        """Whether the thread runs, and each job's :class:`JobHealth` and schedule."""
        now = self._monotonic()
        running = self.running
        with self._lock:
            jobs = {
                name: {
                    "interval_seconds": entry.job.interval,
                    "next_run_in_seconds": round(max(0.0, entry.next_run - now), 3)
                    if running
                    else None,
                    **entry.health.as_dict(),
                }
                for name, entry in self._entries.items()
            }
        return {"running": running, "jobs": jobs}
