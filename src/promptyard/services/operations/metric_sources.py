"""The built-in scrape-time metrics sources (see :mod:`.metrics` for the hook).

Each ``*_source`` function returns a :data:`~.metrics.Source`: a callable run on every
scrape that returns metric families. Those that need something of the HTTP or workers
layer (the runner's health, the render pool's load) take it as a plain callable, so
this module imports neither.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

import promptyard
from promptyard.services.context import Core
from promptyard.services.operations import measure
from promptyard.services.operations.metrics import Source


def build_info_source() -> Source:
    def collect() -> Iterator[Metric]:
        info = GaugeMetricFamily(
            "promptyard_build_info", "Always 1; the version in a label.", labels=["version"]
        )
        info.add_metric([promptyard.__version__], 1)
        yield info

    return collect


def database_source(core: Core) -> Source:
    """Connection pools (per engine: ``read`` and ``write`` on SQLite, one ``main`` pool on
    PostgreSQL) and the database's size."""

    def collect() -> Iterator[Metric]:
        store = core.store
        pools = [("main", store.read_engine)]
        if store.write_engine is not store.read_engine:
            pools = [("read", store.read_engine), ("write", store.write_engine)]
        connections = GaugeMetricFamily(
            "promptyard_db_pool_connections",
            "Connections of a pool: checked_out (in use) or idle (open, waiting in the pool).",
            labels=["pool", "state"],
        )
        size = GaugeMetricFamily(
            "promptyard_db_pool_size",
            "Connections a pool keeps open; it may open db_pool_max_overflow more.",
            labels=["pool"],
        )
        overflow = GaugeMetricFamily(
            "promptyard_db_pool_max_overflow",
            "Connections a pool may open beyond its size.",
            labels=["pool"],
        )
        for name, engine in pools:
            pool: Any = engine.pool
            if not hasattr(pool, "checkedout"):
                continue
            connections.add_metric([name, "checked_out"], pool.checkedout())
            connections.add_metric([name, "idle"], pool.checkedin())
            size.add_metric([name], pool.size())
            overflow.add_metric([name], getattr(pool, "_max_overflow", 0))
        yield connections
        yield size
        yield overflow
        yield GaugeMetricFamily(
            "promptyard_database_size_bytes",
            "Bytes the database takes (SQLite: the file and its WAL; PostgreSQL: "
            "pg_database_size).",
            value=measure.database_size_bytes(core),
        )

    return collect


def disk_source(core: Core) -> Source:
    def collect() -> Iterator[Metric]:
        disk = measure.data_disk(core)
        yield GaugeMetricFamily(
            "promptyard_data_disk_free_bytes",
            "Free bytes on the file system of the data folder (PROMPTYARD_DATA_DIR).",
            value=disk.free_bytes,
        )
        yield GaugeMetricFamily(
            "promptyard_data_disk_size_bytes",
            "Size in bytes of the file system of the data folder.",
            value=disk.total_bytes,
        )

    return collect


def webhook_source(core: Core) -> Source:
    """Webhook deliveries by outcome, and the delivery queue's lag."""

    def collect() -> Iterator[Metric]:
        queue = measure.delivery_queue(core)
        deliveries = GaugeMetricFamily(
            "promptyard_webhook_deliveries",
            "Webhook deliveries stored, by status: pending (to send or retry), delivered, "
            "failed (gave up after the last retry).",
            labels=["status"],
        )
        for status, count in sorted(queue.by_status.items()):
            deliveries.add_metric([status], count)
        yield deliveries
        yield GaugeMetricFamily(
            "promptyard_webhook_queue_lag_seconds",
            "How long the oldest due webhook delivery has waited to be sent (0: none due).",
            value=queue.oldest_due_seconds,
        )

    return collect


def cache_source(core: Core) -> Source:
    def collect() -> Iterator[Metric]:
        yield GaugeMetricFamily(
            "promptyard_read_cache_entries",
            "Serialized reads (prompts, policies) held in this process's read cache.",
            value=len(core.cache),
        )

    return collect


def worker_source(enabled: bool, health: Callable[[], dict[str, Any]]) -> Source:
    """The background runner's health (``Runner.health()``, passed in as a callable)."""

    def collect() -> Iterator[Metric]:
        state = health()
        yield GaugeMetricFamily(
            "promptyard_worker_enabled",
            "1 when this process runs the background jobs (PROMPTYARD_WEBHOOK_WORKER).",
            value=1 if enabled else 0,
        )
        yield GaugeMetricFamily(
            "promptyard_worker_running",
            "1 while the background jobs' thread runs in this process.",
            value=1 if state.get("running") else 0,
        )
        runs = CounterMetricFamily(
            "promptyard_worker_job_runs", "Steps of a job that succeeded.", labels=["job_name"]
        )
        failures = CounterMetricFamily(
            "promptyard_worker_job_failures", "Steps of a job that raised.", labels=["job_name"]
        )
        work = CounterMetricFamily(
            "promptyard_worker_job_work",
            "Work a job reported doing (deliveries attempted, checkpoints published...).",
            labels=["job_name"],
        )
        in_a_row = GaugeMetricFamily(
            "promptyard_worker_job_failures_in_a_row",
            "Failures of a job since its last success (0: healthy).",
            labels=["job_name"],
        )
        last_success = GaugeMetricFamily(
            "promptyard_worker_job_last_success_timestamp_seconds",
            "When a job's last step succeeded (Unix time; absent before the first).",
            labels=["job_name"],
        )
        for name, job in sorted(state.get("jobs", {}).items()):
            runs.add_metric([name], job["runs"])
            failures.add_metric([name], job["failures"])
            work.add_metric([name], job["work"])
            in_a_row.add_metric([name], job["failures_in_a_row"])
            if job.get("last_success_at"):
                stamp = datetime.fromisoformat(job["last_success_at"]).timestamp()
                last_success.add_metric([name], stamp)
        yield from (runs, failures, work, in_a_row, last_success)

    return collect


def render_source(stats: Callable[[], dict[str, Any]]) -> Source:
    """The template render pool's load (``RenderPool.stats()``, passed in as a callable)."""

    def collect() -> Iterator[Metric]:
        state = stats()
        yield GaugeMetricFamily(
            "promptyard_render_pool_running", "Renders running now.", value=state["running"]
        )
        yield GaugeMetricFamily(
            "promptyard_render_pool_queued", "Renders waiting for a worker.", value=state["queued"]
        )
        yield GaugeMetricFamily(
            "promptyard_render_pool_capacity",
            "Renders that may run or wait at once; beyond it requests get 503.",
            value=state["capacity"],
        )
        yield CounterMetricFamily(
            "promptyard_render_pool_refused",
            "Render requests refused with 503 overloaded.",
            value=state["refused"],
        )

    return collect


def backup_source(core: Core) -> Source:
    """When the newest backup was made and the schedule it should keep (what the
    ``PromptyardBackupTooOld`` alert compares); listed at most once a minute."""

    def collect() -> Iterator[Metric]:
        from promptyard.services.operations.health import latest_backup

        latest, _problem = latest_backup(core)
        newest = GaugeMetricFamily(
            "promptyard_backup_latest_timestamp_seconds",
            "Unix time of the newest backup at backup_url (absent: none found).",
        )
        if latest is not None:
            newest.add_metric([], latest.timestamp())
        yield newest
        interval = GaugeMetricFamily(
            "promptyard_backup_interval_seconds",
            "The backup schedule (PROMPTYARD_BACKUP_INTERVAL_HOURS; 0: none).",
        )
        interval.add_metric([], core.settings.backup_interval_hours * 3600)
        yield interval

    return collect
