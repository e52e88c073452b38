"""The system's health score (``GET /api/v1/system/health``): components, each green,
yellow, red or unknown, with what to do about each that is not green.

Components: request latency against ``health_latency_target_ms``, the share of 5xx
answers against ``health_error_rate_target`` (both over the last
:data:`~.metrics.WINDOW_MINUTES` minutes of this process), database size and growth,
free disk of the data folder, the webhook queue's lag, background workers, and backup
age. The score is the mean of the known components (green 100, yellow 50, red 0); the
overall status is the worst of them.

What the HTTP and workers layers know (recent requests, the runner's health) comes in
as plain values; :class:`SizeHistory` keeps the database size samples growth is
measured from (in memory, per process: growth is known once a sample
:data:`GROWTH_MIN_SECONDS` old exists).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from promptyard.services.context import Core, TTLCache
from promptyard.services.operations import backup, measure
from promptyard.services.operations.metrics import RequestWindow

Status = Literal["green", "yellow", "red", "unknown"]
GREEN: Status = "green"
YELLOW: Status = "yellow"
RED: Status = "red"
UNKNOWN: Status = "unknown"
_SCORES = {GREEN: 100, YELLOW: 50, RED: 0}
_ORDER = {GREEN: 0, YELLOW: 1, RED: 2}

#: Fewer requests than this in the window: latency is not judged.
MIN_REQUESTS = 20
#: Free share of the data disk below which it is yellow / red.
DISK_YELLOW, DISK_RED = 0.10, 0.05
#: Days until the disk is full, at the measured growth, below which it is yellow / red.
GROWTH_YELLOW_DAYS, GROWTH_RED_DAYS = 14.0, 3.0
#: Seconds the oldest due webhook delivery may wait before yellow / red.
LAG_YELLOW, LAG_RED = 60.0, 600.0
#: Failures in a row of a background job that make workers yellow / red.
JOB_YELLOW, JOB_RED = 1, 3
#: Growth is measured over samples at least this far apart, and kept this long.
GROWTH_MIN_SECONDS, GROWTH_KEEP_SECONDS = 600.0, 86_400.0


class HealthComponent(BaseModel):
    name: str = Field(description="latency, errors, database, disk, queue, workers, backup")
    status: Status
    summary: str = Field(description="what was measured, in words")
    value: float | None = Field(default=None, description="the measured value, in `unit`")
    target: float | None = Field(default=None, description="the green limit, in `unit`")
    unit: str | None = None
    advice: str | None = Field(default=None, description="what to do; absent when green")


class SystemHealthPublic(BaseModel):
    score: int | None = Field(description="0-100, the mean of the known components")
    status: Status = Field(description="the worst known component")
    checked_at: datetime
    window_minutes: int = Field(description="latency and errors cover these last minutes")
    components: list[HealthComponent]


class SizeHistory:
    """Database size samples (monotonic seconds, bytes), at most one a minute, a day long."""

    def __init__(self, *, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._monotonic = monotonic
        self._samples: deque[tuple[float, int]] = deque()
        self._lock = threading.Lock()

    def record(self, size: int) -> None:
        now = self._monotonic()
        with self._lock:
            if self._samples and now - self._samples[-1][0] < 60:
                return
            self._samples.append((now, size))
            while self._samples and now - self._samples[0][0] > GROWTH_KEEP_SECONDS:
                self._samples.popleft()

    def growth_per_day(self, size: int) -> float | None:
        """Bytes a day from the oldest sample to ``size`` now; None before one is old enough."""
        now = self._monotonic()
        with self._lock:
            oldest = self._samples[0] if self._samples else None
        if oldest is None or now - oldest[0] < GROWTH_MIN_SECONDS:
            return None
        return (size - oldest[1]) * 86_400.0 / (now - oldest[0])


def system_health(
    core: Core,
    *,
    requests: RequestWindow,
    workers_enabled: bool,
    workers: dict[str, Any],
    history: SizeHistory,
) -> SystemHealthPublic:
    """The health score now; see the module docstring."""
    disk = measure.data_disk(core)
    size = measure.database_size_bytes(core)
    history.record(size)
    components = [
        _latency(core, requests),
        _errors(core, requests),
        _database(size, history.growth_per_day(size), disk),
        _disk(disk),
        _queue(measure.delivery_queue(core)),
        _workers(workers_enabled, workers),
        _backup(core),
    ]
    known = [component for component in components if component.status != UNKNOWN]
    score = round(sum(_SCORES[c.status] for c in known) / len(known)) if known else None
    status = max((c.status for c in known), key=_ORDER.__getitem__, default=UNKNOWN)
    return SystemHealthPublic(
        score=score,
        status=status,
        checked_at=core.clock(),
        window_minutes=requests.minutes,
        components=components,
    )


def _grade(value: float, yellow: float, red: float) -> Status:
    """Green up to ``yellow``, red above ``red`` (higher is worse)."""
    return RED if value > red else YELLOW if value > yellow else GREEN


def _latency(core: Core, window: RequestWindow) -> HealthComponent:
    target = core.settings.health_latency_target_ms
    p95 = window.quantile(0.95)
    if p95 is None or window.requests < MIN_REQUESTS:
        return HealthComponent(
            name="latency",
            status=UNKNOWN,
            summary=f"{window.requests} requests in the last {window.minutes} minutes: "
            f"too few to judge (at least {MIN_REQUESTS})",
            target=target,
            unit="ms",
            advice="Nothing to do while the server is idle; the score covers latency again "
            "once requests come in.",
        )
    value = round(p95 * 1000, 1)
    status = _grade(value, target, 2 * target)
    return HealthComponent(
        name="latency",
        status=status,
        summary=f"95% of {window.requests} requests in the last {window.minutes} minutes "
        f"answered within {value:g} ms (target {target:g} ms)",
        value=value,
        target=target,
        unit="ms",
        advice=None
        if status == GREEN
        else "Find the slow routes in the 'Promptyard / System overview' dashboard "
        "(promptyard_http_request_duration_seconds by route) and the database statement "
        "latency (promptyard_db_query_duration_seconds); see the runbook "
        "PromptyardHighLatency in docs/operations.md.",
    )


def _errors(core: Core, window: RequestWindow) -> HealthComponent:
    target = core.settings.health_error_rate_target
    rate = window.error_rate
    if rate is None:
        return HealthComponent(
            name="errors",
            status=UNKNOWN,
            summary=f"no requests in the last {window.minutes} minutes",
            target=target,
            unit="ratio",
            advice="Nothing to do while the server is idle.",
        )
    status = _grade(rate, target, 5 * target)
    return HealthComponent(
        name="errors",
        status=status,
        summary=f"{window.errors} of {window.requests} requests in the last "
        f"{window.minutes} minutes answered 5xx ({rate:.2%}; target below {target:.2%})",
        value=round(rate, 6),
        target=target,
        unit="ratio",
        advice=None
        if status == GREEN
        else "Look up the failing requests in the server log by their X-Request-ID (a 5xx "
        "other than 502 provider_error and 503 is a bug: report it); 503s mean overload or "
        "an unreachable database (GET /readyz says which). Runbook: PromptyardHighErrorRate.",
    )


def _database(size: int, growth: float | None, disk: measure.Disk) -> HealthComponent:
    mib = size / 2**20
    if growth is None:
        return HealthComponent(
            name="database",
            status=GREEN,
            summary=f"{mib:.1f} MiB; growth is measured once this process has watched it "
            f"for {GROWTH_MIN_SECONDS / 60:g} minutes",
            value=size,
            unit="bytes",
        )
    if growth <= 0:
        days = None
        status = GREEN
    else:
        days = disk.free_bytes / growth
        status = RED if days < GROWTH_RED_DAYS else YELLOW if days < GROWTH_YELLOW_DAYS else GREEN
    summary = f"{mib:.1f} MiB, growing {growth / 2**20:.1f} MiB a day"
    if days is not None:
        summary += f": the data disk is full in about {days:.0f} days at this rate"
    return HealthComponent(
        name="database",
        status=status,
        summary=summary,
        value=size,
        unit="bytes",
        advice=None
        if status == GREEN
        else "Give the database more disk, or shorten the retention of raw data; see the "
        "runbook PromptyardDiskFillingUp in docs/operations.md.",
    )


def _disk(disk: measure.Disk) -> HealthComponent:
    ratio = disk.free_ratio
    status: Status = RED if ratio < DISK_RED else YELLOW if ratio < DISK_YELLOW else GREEN
    return HealthComponent(
        name="disk",
        status=status,
        summary=f"{disk.free_bytes / 2**30:.1f} GiB free of {disk.total_bytes / 2**30:.1f} GiB "
        f"({ratio:.0%}) on the data folder's disk ({disk.path})",
        value=round(ratio, 4),
        target=DISK_YELLOW,
        unit="free ratio",
        advice=None
        if status == GREEN
        else "Free space on the data folder's disk or grow it before it fills: SQLite "
        "and PostgreSQL refuse writes on a full disk. Runbook: PromptyardDiskLow.",
    )


def _queue(queue: measure.DeliveryQueue) -> HealthComponent:
    lag = round(queue.oldest_due_seconds, 1)
    status = _grade(lag, LAG_YELLOW, LAG_RED)
    pending = queue.by_status.get("pending", 0)
    return HealthComponent(
        name="queue",
        status=status,
        summary=f"{pending} webhook deliveries pending; the oldest due one waited {lag:g} s",
        value=lag,
        target=LAG_YELLOW,
        unit="seconds",
        advice=None
        if status == GREEN
        else "Check that one server process runs the background jobs "
        "(PROMPTYARD_WEBHOOK_WORKER) and that the webhook_deliveries job is not failing "
        "(GET /readyz, workers). Runbook: PromptyardQueueLag.",
    )


def _workers(enabled: bool, health: dict[str, Any]) -> HealthComponent:
    if not enabled:
        return HealthComponent(
            name="workers",
            status=UNKNOWN,
            summary="background jobs do not run in this process (PROMPTYARD_WEBHOOK_WORKER is off)",
            advice="Make sure exactly one server process runs them, and look at its "
            "/api/v1/system/health or /readyz.",
        )
    jobs: dict[str, dict[str, Any]] = health.get("jobs", {})
    if not health.get("running"):
        return HealthComponent(
            name="workers",
            status=RED,
            summary="the background jobs' thread is not running",
            advice="Restart the server process; its log says why the thread stopped. "
            "Runbook: PromptyardWorkerFailing.",
        )
    failing = {name: job for name, job in jobs.items() if job["failures_in_a_row"] >= JOB_YELLOW}
    worst = max((job["failures_in_a_row"] for job in failing.values()), default=0)
    status: Status = RED if worst >= JOB_RED else YELLOW if worst else GREEN
    if not failing:
        summary = f"{len(jobs)} background jobs running, none failing"
    else:
        summary = "failing: " + "; ".join(
            f"{name} ({job['failures_in_a_row']} in a row: {job['last_error']})"
            for name, job in sorted(failing.items())
        )
    return HealthComponent(
        name="workers",
        status=status,
        summary=summary,
        value=worst,
        target=0,
        unit="failures in a row",
        advice=None
        if status == GREEN
        else "Read the job's last error here or in GET /readyz and the server log "
        "('background job … failed'); failing jobs retry with a growing delay. "
        "Runbook: PromptyardWorkerFailing.",
    )


#: Listing backups (a folder, or an S3 store over the network) is kept this long.
BACKUP_LISTING_SECONDS = 60.0
_BACKUP_TIMES = TTLCache(ttl=BACKUP_LISTING_SECONDS, max_entries=16)


def latest_backup(core: Core) -> tuple[datetime | None, str | None]:
    """``(time of the newest backup, None)`` or ``(None, why it could not be listed)``."""
    key = (core.settings.backup_url, str(core.settings.data_dir))
    cached = _BACKUP_TIMES.get(key)
    if cached is not None:
        found: tuple[datetime | None, str | None] = cached
        return found
    try:
        found = backup.latest_backup_time(core.settings), None
    except Exception as exc:  # a store that cannot be listed is a finding, not a crash
        found = None, f"{type(exc).__name__}: {exc}"
    _BACKUP_TIMES.put(key, found)
    return found


def _backup(core: Core) -> HealthComponent:
    interval = core.settings.backup_interval_hours
    latest, problem = latest_backup(core)
    runbook = "Runbook: PromptyardBackupTooOld; see Backup in docs/operations.md."
    if problem is not None:
        return HealthComponent(
            name="backup",
            status=UNKNOWN,
            summary=f"the backups at backup_url cannot be listed ({problem[:200]})",
            advice="Check PROMPTYARD_BACKUP_URL and its credentials; " + runbook,
        )
    if latest is None:
        return HealthComponent(
            name="backup",
            status=YELLOW if interval == 0 else RED,
            summary="no backup found at backup_url",
            advice="Take one now (`promptyard backup create`) and schedule them with "
            "PROMPTYARD_BACKUP_INTERVAL_HOURS; " + runbook,
        )
    age_hours = (core.clock() - latest).total_seconds() / 3600
    target = interval if interval > 0 else 24.0 * 7
    status = GREEN if age_hours <= target * 1.5 else YELLOW if age_hours <= target * 3 else RED
    return HealthComponent(
        name="backup",
        status=status,
        summary=f"the newest backup is {age_hours:.1f} hours old"
        + ("" if interval > 0 else " (no schedule set)"),
        value=round(age_hours, 2),
        target=target,
        unit="hours",
        advice=None
        if status == GREEN
        else "Backups are late: check the scheduler (GET /api/v1/system/jobs) and the "
        "server log, or take one now (`promptyard backup create`); " + runbook,
    )
