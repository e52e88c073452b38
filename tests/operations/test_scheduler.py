"""The database scheduler: of several processes (each its own engine on the same
database) only one runs a job at a time; outcomes, next runs, expired leases; scheduled
backups and integrity checks through the runner; ``GET /system/jobs``."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from promptyard.config import Settings
from promptyard.services.context import Core
from promptyard.services.operations import backup, scheduler
from promptyard.wiring import build_core
from promptyard.workers import build_runner
from promptyard.workers.jobs import BACKUPS, DB_CHECK


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock(core: Core) -> Clock:
    clock = Clock()
    core.clock = clock
    return clock


@pytest.fixture
def other(settings: Settings, clock: Clock) -> Iterator[Core]:
    """A second server process's core: its own engine and pool on the same database."""
    second = build_core(settings, entry_points=False)
    second.clock = clock
    yield second
    second.store.dispose()


def test_only_one_process_runs_a_job_at_a_time(core: Core, other: Core, clock: Clock) -> None:
    started, release = threading.Event(), threading.Event()
    runs: list[str] = []

    def slow(owner: str) -> scheduler.Work:
        def work(_core: Core) -> str:
            runs.append(owner)
            started.set()
            assert release.wait(30)
            return f"done by {owner}"

        return work

    a = scheduler.ScheduledJob("nightly", 3600, slow("a"), owner="process-a")
    b = scheduler.ScheduledJob("nightly", 3600, slow("b"), owner="process-b")
    assert a.step(core) == 0 and b.step(other) == 0  # registered, first run in an hour
    clock.now += timedelta(hours=1)

    results: dict[str, int] = {}
    thread = threading.Thread(target=lambda: results.setdefault("a", a.step(core)))
    thread.start()
    assert started.wait(30)
    assert b.step(other) == 0  # a holds the lease
    [row] = scheduler.list_jobs(other).items
    assert row.running and row.owner == "process-a"
    release.set()
    thread.join(30)
    assert results["a"] == 1 and runs == ["a"]

    assert b.step(other) == 0  # not due again for an hour
    [row] = scheduler.list_jobs(core).items
    assert (row.last_outcome, row.last_result, row.runs) == ("ok", "done by a", 1)
    assert row.next_run_at == clock.now + timedelta(hours=1) and not row.running
    clock.now += timedelta(hours=1)
    started.clear()
    assert b.step(other) == 1 and runs == ["a", "b"]
    assert scheduler.list_jobs(core).items[0].last_owner == "process-b"


def test_concurrent_claims_give_the_job_to_exactly_one(
    core: Core, other: Core, clock: Clock
) -> None:
    scheduler.ScheduledJob("race", 60, lambda _c: "x", owner="setup").step(core)
    clock.now += timedelta(minutes=5)
    barrier = threading.Barrier(2)
    won: list[bool] = []

    def claim(which: Core, owner: str) -> None:
        barrier.wait()
        won.append(scheduler.claim(which, "race", owner, now=clock.now, lease_seconds=60))

    threads = [
        threading.Thread(target=claim, args=(core, "a")),
        threading.Thread(target=claim, args=(other, "b")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(won) == [False, True]


def test_a_killed_runner_s_lease_expires_and_failures_are_recorded(
    core: Core, other: Core, clock: Clock
) -> None:
    def broken(_core: Core) -> str:
        raise RuntimeError("disk full")

    job = scheduler.ScheduledJob("check", 7200, broken, owner="b", lease_seconds=600)
    job.step(other)
    clock.now += timedelta(hours=2)
    # Process a claims it and dies without finishing.
    assert scheduler.claim(core, "check", "a", now=clock.now, lease_seconds=600)
    assert job.step(other) == 0
    clock.now += timedelta(minutes=11)  # the lease ran out
    with pytest.raises(RuntimeError, match="disk full"):
        job.step(other)
    [row] = scheduler.list_jobs(core).items
    assert row.last_outcome == "failed" and row.last_result == "RuntimeError: disk full"
    assert row.next_run_at == clock.now + timedelta(seconds=720)  # retried at a tenth


def test_scheduled_backups_and_checks_through_the_runner(
    settings: Settings, tmp_path: Path, app_client: TestClient
) -> None:
    configured = settings.model_copy(
        update={
            "backup_interval_hours": 24.0,
            "db_check_interval_hours": 6.0,
            "backup_url": str(tmp_path / "scheduled"),
        }
    )
    core = build_core(configured, entry_points=False)
    clock = Clock()
    core.clock = clock
    try:
        runner = build_runner(core)
        assert {BACKUPS, DB_CHECK} <= set(runner.names)
        assert runner.run_once(BACKUPS) == 0 and runner.run_once(DB_CHECK) == 0
        clock.now += timedelta(days=1)
        assert runner.run_once(BACKUPS) == 1 and runner.run_once(DB_CHECK) == 1
        [made] = backup.list_backups(configured)
        backup.verify(configured, made.name)
        body = app_client.get("/api/v1/system/jobs").json()
        jobs = {item["name"]: item for item in body["items"]}
        assert jobs[BACKUPS]["last_outcome"] == "ok" and made.name in jobs[BACKUPS]["last_result"]
        assert jobs[DB_CHECK]["last_result"] == "no problems found"
        assert jobs[DB_CHECK]["interval_seconds"] == 6 * 3600
    finally:
        core.store.dispose()
