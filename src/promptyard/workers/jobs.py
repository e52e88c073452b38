"""The server's background jobs, registered on one :class:`Runner`.

The steps live with their capability in ``services``; this module only schedules them:

- ``webhook_deliveries`` (every 2 s, drained in batches of 50):
  :func:`promptyard.services.operations.webhooks.deliver_due`; while the runner stops, it
  hands back the deliveries it has not sent yet instead of sending them.
- ``audit_checkpoints`` (every 2 s):
  :class:`promptyard.services.operations.audit_checkpoints.Checkpointer`, which publishes
  a signed checkpoint when ``audit_checkpoint_events`` or ``audit_checkpoint_minutes``
  say one is due (one read of the chain's head otherwise).
- ``evaluation_runs`` (every 0.5 s):
  :class:`promptyard.services.evaluation.runs_exec.Launcher` starts each queued run in a
  thread of its own (at most ``evaluation_parallel_runs`` at once).
- ``semantic_embeddings`` (every 2 s; nothing while ``semantic_search`` is off):
  :func:`promptyard.services.quality.embeddings.embed_pending` stores the embeddings of
  32 versions a round (the local model of ``promptyard[semantic]`` or the workspace's
  provider connection).
- ``alerts`` (every ``alert_eval_seconds``, through the database scheduler's lease, so
  one process evaluates at a time): :func:`promptyard.services.alerts.evaluate.run`;
  ``alert_notifications`` (every 2 s): :func:`promptyard.services.alerts.channels.deliver_due`
  (Slack and email; webhooks go through ``webhook_deliveries``).
- ``online_evaluation`` (every 10 s): :func:`promptyard.services.evaluation.online.score_new`
  scores the sampled share of new generations of each prompt an evaluator is attached to.
- ``analytics_rollups`` (every second):
  :func:`promptyard.services.analytics.rollups.roll_up` counts the generations stored
  since into the rollups (at most :data:`ROLLUP_STEP_ROWS` a round, so that a backlog
  never holds the other jobs up; queries count what is left before they read).
- ``rollup_retention`` (every 300 s):
  :func:`promptyard.services.analytics.rollups.prune_minute_rollups` deletes minute
  rollups older than ``analytics_minute_retention_hours`` (hour and day rollups stay).
- ``experiment_guardrails`` (every 60 s):
  :func:`promptyard.services.experiments.guardrails.check_running` stops a variant the
  always-valid test finds worse on cost, latency or errors.
- ``generation_retention`` (hourly, through the database scheduler's lease):
  :func:`promptyard.services.telemetry.retention.run` deletes raw generations older than
  their project's retention (rollups keep the aggregates).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx

from promptyard.services.alerts import channels as alert_channels
from promptyard.services.alerts import evaluate as alert_evaluate
from promptyard.services.analytics import rollups as analytics_rollups
from promptyard.services.context import Core
from promptyard.services.evaluation import online as online_evaluation
from promptyard.services.evaluation import runs_exec
from promptyard.services.experiments import guardrails as experiment_guardrails
from promptyard.services.operations import audit_checkpoints, backup, integrity, scheduler, webhooks
from promptyard.services.quality import embeddings
from promptyard.services.telemetry import retention
from promptyard.workers.runner import Job, Runner

WEBHOOK_DELIVERIES = "webhook_deliveries"
AUDIT_CHECKPOINTS = "audit_checkpoints"
BACKUPS = "backups"
DB_CHECK = "db_check"
INTERVAL_SECONDS = 2.0
#: Embeddings of new and changed prompts (``promptyard[semantic]``), a batch per round.
SEMANTIC_EMBEDDINGS = "semantic_embeddings"
#: Queued evaluation runs, started in threads (services/evaluation/runs_exec.py).
EVALUATION_RUNS = "evaluation_runs"
#: How often the launcher looks for queued runs (one indexed query).
EVALUATION_POLL_SECONDS = 0.5
SCHEDULER_POLL_SECONDS = 30.0
#: Budgets and alert rules (scheduled: one process at a time), and their notifications.
ALERTS = "alerts"
ALERT_NOTIFICATIONS = "alert_notifications"
#: Evaluators attached to prompts score sampled new generations (services/evaluation/online.py).
ONLINE_EVALUATION = "online_evaluation"
ONLINE_EVALUATION_SECONDS = 10.0
#: Running experiments' guardrails (services/experiments/guardrails.py).
EXPERIMENT_GUARDRAILS = "experiment_guardrails"
#: Generations stored since the last round, counted into the rollups
#: (services/analytics/rollups.py).
ANALYTICS_ROLLUPS = "analytics_rollups"
ROLLUP_SECONDS = 1.0
ROLLUP_STEP_ROWS = 100_000
#: Minute rollups older than ``analytics_minute_retention_hours`` are deleted
#: (services/analytics/rollups.py); hour and day rollups stay.
ROLLUP_RETENTION = "rollup_retention"
ROLLUP_RETENTION_SECONDS = 300.0
#: Raw generations past their project's retention (services/telemetry/retention.py),
#: hourly through the database scheduler's lease.
GENERATION_RETENTION = "generation_retention"
RETENTION_INTERVAL_SECONDS = 3600.0


class IntegrityProblems(Exception):
    """``db check`` found problems (the scheduled run is recorded as failed)."""


def run_backup(core: Core) -> str:
    """One scheduled backup of the server's database (kept: ``backup_keep``)."""
    info = backup.create_backup(core.settings, database_url=core.store.url)
    return f"{info.name} ({info.size:,} bytes) at {info.location}"


def run_db_check(core: Core) -> str:
    """The integrity check (nothing repaired); raises when it finds problems."""
    findings = integrity.check_database(core)
    if findings:
        first = findings[0]
        raise IntegrityProblems(
            f"{len(findings)} problem(s); first: {first.where}: {first.problem} "
            "(run `promptyard db check`)"
        )
    return "no problems found"


def scheduled_jobs(core: Core, owner: str | None = None) -> list[Job]:
    """The database-scheduled jobs the settings turn on, as runner jobs."""
    owner = owner or scheduler.process_id()
    settings = core.settings
    wanted = [
        (BACKUPS, settings.backup_interval_hours, run_backup),
        (DB_CHECK, settings.db_check_interval_hours, run_db_check),
    ]
    jobs = []
    for name, hours, work in wanted:
        if hours > 0:
            scheduled = scheduler.ScheduledJob(name, hours * 3600, work, owner)
            jobs.append(Job(name, SCHEDULER_POLL_SECONDS, scheduled.step))
    return jobs


def build_runner(
    core: Core,
    *,
    http: httpx.Client | None = None,
    monotonic: Callable[[], float] = time.monotonic,
) -> Runner:
    """A runner with every background job of the server, not started.

    ``http`` is the client webhooks are sent with (default: one per batch); tests pass
    one with a mock transport.
    """
    runner = Runner(core, monotonic=monotonic)

    def deliver(core: Core) -> int:
        return webhooks.deliver_due(core, http=http, should_stop=runner.stopping)

    checkpointer = audit_checkpoints.Checkpointer(core)

    def checkpoint(_core: Core) -> int:
        return 0 if checkpointer.step() is None else 1

    runner.register(Job(WEBHOOK_DELIVERIES, INTERVAL_SECONDS, deliver, drain=True))
    runner.register(Job(AUDIT_CHECKPOINTS, INTERVAL_SECONDS, checkpoint))
    # evaluation runs: each queued run executes in a thread of its own (runs_exec.Launcher)
    runner.register(Job(EVALUATION_RUNS, EVALUATION_POLL_SECONDS, runs_exec.Launcher(core).step))
    runner.register(Job(ONLINE_EVALUATION, ONLINE_EVALUATION_SECONDS, online_evaluation.score_new))
    for job in scheduled_jobs(core):
        runner.register(job)
    alerts = scheduler.ScheduledJob(
        ALERTS, core.settings.alert_eval_seconds, alert_evaluate.run, scheduler.process_id(), 600.0
    )
    poll = min(core.settings.alert_eval_seconds, SCHEDULER_POLL_SECONDS)
    runner.register(Job(ALERTS, poll, alerts.step))

    def notify(core: Core) -> int:
        return alert_channels.deliver_due(core, http=http, should_stop=runner.stopping)

    runner.register(Job(ALERT_NOTIFICATIONS, INTERVAL_SECONDS, notify, drain=True))
    runner.register(
        Job(
            EXPERIMENT_GUARDRAILS,
            experiment_guardrails.GUARDRAIL_INTERVAL_SECONDS,
            experiment_guardrails.check_running,
        )
    )
    # a no-op while PROMPTYARD_SEMANTIC_SEARCH is off; the local model (23 MB) loads on
    # the first version it embeds
    runner.register(Job(SEMANTIC_EMBEDDINGS, INTERVAL_SECONDS, embeddings.embed_pending))
    retention_job = scheduler.ScheduledJob(
        GENERATION_RETENTION, RETENTION_INTERVAL_SECONDS, retention.run, scheduler.process_id()
    )
    runner.register(Job(GENERATION_RETENTION, SCHEDULER_POLL_SECONDS, retention_job.step))
    runner.register(
        Job(
            ANALYTICS_ROLLUPS,
            ROLLUP_SECONDS,
            lambda core: analytics_rollups.roll_up(core, most=ROLLUP_STEP_ROWS),
        )
    )
    runner.register(
        Job(ROLLUP_RETENTION, ROLLUP_RETENTION_SECONDS, analytics_rollups.prune_minute_rollups)
    )
    return runner
