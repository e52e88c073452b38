"""Periodic jobs that only one server process runs at a time, coordinated through the
database (table ``job_leases``, one row per job).

Every process with background workers polls each scheduled job (the
:class:`~promptyard.workers.runner.Runner` calls :meth:`ScheduledJob.step` every
``poll_seconds``). A step:

1. **claims** the job with one conditional ``UPDATE``: it succeeds only when the job is
   due (``next_run_at <= now``) and nobody holds an unexpired lease. The database makes
   the update atomic, so of several processes exactly one gets ``rowcount == 1``; the
   others do nothing until the next poll.
2. runs the work, holding the lease for ``lease_seconds`` (longer than the work may
   take: a process killed mid-run leaves a lease that simply expires, and the job is
   run again by whoever claims it next);
3. **records** the outcome (``ok`` or ``failed``, a one-line result), releases the
   lease, and sets ``next_run_at`` one interval after the start (after a failure: a
   tenth of the interval, at least a minute, so a failing backup is retried soon).

``GET /api/v1/system/jobs`` lists the rows (:func:`list_jobs`). Time comes from
``core.clock``, so tests move it instead of sleeping.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError

from promptyard.services.context import Core
from promptyard.store.models import SqlJobLease

log = logging.getLogger("promptyard.scheduler")

#: One run of a scheduled job: returns a one-line result, raises on failure.
Work = Callable[[Core], str]


def process_id() -> str:
    """Names this process in leases: host, pid and a random part (pids are reused)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class JobPublic(BaseModel):
    name: str
    interval_seconds: float
    running: bool = Field(description="A process holds an unexpired lease on it now.")
    owner: str | None = Field(description="The process running it now, if any.")
    next_run_at: datetime
    runs: int
    last_started_at: datetime | None
    last_finished_at: datetime | None
    last_outcome: str | None = Field(description="ok or failed")
    last_result: str | None = Field(description="What the last run did, or why it failed.")
    last_owner: str | None = Field(description="The process that ran it last.")


class JobsPublic(BaseModel):
    items: list[JobPublic]


def _ensure(core: Core, name: str, interval: float, now: datetime) -> None:
    """Create the job's row (first run one interval from now) or update its interval;
    one read when neither is needed."""
    with core.store.read() as session:
        known = session.execute(
            select(SqlJobLease.interval_seconds).where(SqlJobLease.name == name)
        ).scalar()
    if known == interval:
        return
    try:
        with core.store.write() as session:
            row = session.get(SqlJobLease, name)
            if row is None:
                session.add(
                    SqlJobLease(
                        name=name,
                        interval_seconds=interval,
                        next_run_at=now + timedelta(seconds=interval),
                        runs=0,
                    )
                )
            else:
                row.interval_seconds = interval
                row.next_run_at = min(row.next_run_at, now + timedelta(seconds=interval))
    except IntegrityError:  # another process created it first
        pass


def claim(core: Core, name: str, owner: str, *, now: datetime, lease_seconds: float) -> bool:
    """Take the lease of job ``name`` if it is due and free; whether this process got it."""
    with core.store.write() as session:
        result = session.execute(
            update(SqlJobLease)
            .where(
                SqlJobLease.name == name,
                SqlJobLease.next_run_at <= now,
                or_(SqlJobLease.lease_until.is_(None), SqlJobLease.lease_until < now),
            )
            .values(
                owner=owner,
                lease_until=now + timedelta(seconds=lease_seconds),
                last_started_at=now,
            )
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0) == 1)


def finish(
    core: Core,
    name: str,
    owner: str,
    *,
    started: datetime,
    now: datetime,
    ok: bool,
    result: str,
    interval: float,
) -> None:
    """Record a run's outcome and release the lease (only if this process still holds it)."""
    delay = interval if ok else max(60.0, interval / 10)
    with core.store.write() as session:
        session.execute(
            update(SqlJobLease)
            .where(SqlJobLease.name == name, SqlJobLease.owner == owner)
            .values(
                owner=None,
                lease_until=None,
                next_run_at=started + timedelta(seconds=delay),
                runs=SqlJobLease.runs + 1,
                last_finished_at=now,
                last_outcome="ok" if ok else "failed",
                last_result=result[:2000],
                last_owner=owner,
            )
            .execution_options(synchronize_session=False)
        )


@dataclass
class ScheduledJob:
    """A job the scheduler runs every ``interval`` seconds in one process of several."""

    name: str
    interval: float
    work: Work
    owner: str
    lease_seconds: float = 6 * 3600.0

    def step(self, core: Core) -> int:
        """Claim, run and record the job if it is due; 1 when it ran here, else 0.

        A failure of the work is recorded (``failed`` and the reason) and raised, so
        the runner logs it too.
        """
        now = core.clock()
        _ensure(core, self.name, self.interval, now)
        if not claim(core, self.name, self.owner, now=now, lease_seconds=self.lease_seconds):
            return 0
        try:
            result = self.work(core)
        except Exception as exc:
            reason = f"{type(exc).__name__}: {exc}"
            finish(
                core,
                self.name,
                self.owner,
                started=now,
                now=core.clock(),
                ok=False,
                result=reason,
                interval=self.interval,
            )
            raise
        finish(
            core,
            self.name,
            self.owner,
            started=now,
            now=core.clock(),
            ok=True,
            result=result,
            interval=self.interval,
        )
        return 1


def list_jobs(core: Core) -> JobsPublic:
    """Every scheduled job any process has registered, by name."""
    now = core.clock()
    with core.store.read() as session:
        rows = session.execute(select(SqlJobLease).order_by(SqlJobLease.name)).scalars().all()
        items = [_public(row, now) for row in rows]
    return JobsPublic(items=items)


def _public(row: SqlJobLease, now: datetime) -> JobPublic:
    running = row.lease_until is not None and row.lease_until >= now
    data: dict[str, Any] = {
        "name": row.name,
        "interval_seconds": row.interval_seconds,
        "running": running,
        "owner": row.owner if running else None,
        "next_run_at": row.next_run_at,
        "runs": row.runs,
        "last_started_at": row.last_started_at,
        "last_finished_at": row.last_finished_at,
        "last_outcome": row.last_outcome,
        "last_result": row.last_result,
        "last_owner": row.last_owner,
    }
    return JobPublic(**data)
