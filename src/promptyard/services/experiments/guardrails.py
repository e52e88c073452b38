"""Guardrails: stop a variant that is clearly worse on cost, latency or errors.

:func:`check_running` (the workers' ``experiment_guardrails`` job, every minute) analyses
every running experiment; a variant the always-valid test finds worse on a guardrail
metric is stopped: its units are served the control's label and leave the experiment
(their generations no longer record it). When no variant but the control is left, the
experiment stops. The sequential test keeps its error rate however often this runs.
"""

from __future__ import annotations

from sqlalchemy import select

from promptyard.domain.actor import SYSTEM, RequestContext
from promptyard.services.context import Core
from promptyard.services.experiments import analysis, assignment, lifecycle
from promptyard.services.experiments.aggregates import collect
from promptyard.store.models import SqlExperiment

GUARDRAIL_INTERVAL_SECONDS = 60.0


def check_running(core: Core) -> int:
    """Stop the variants (and experiments) that breach a guardrail; how many stopped."""
    with core.store.read() as session:
        running = [
            (row.project_id, row.id)
            for row in session.execute(
                select(SqlExperiment).where(SqlExperiment.status == "running")
            ).scalars()
        ]
    stopped = sum(check_one(core, project_id=p, experiment_id=e) for p, e in running)
    if stopped:
        assignment.invalidate(core)
    return stopped


def check_one(core: Core, *, project_id: int, experiment_id: int) -> int:
    with core.store.read() as session:
        row = lifecycle.load(session, project_id, experiment_id)
        if row.status != "running" or not row.guardrails:
            return 0
        cells = collect(
            session, project_id=project_id, experiment_id=experiment_id, unit=row.unit,
            metrics=list(row.guardrails),
            variants=[v["name"] for v in row.variants],
        )  # fmt: skip
        metrics = [
            analysis._metric(row, cells, m, "guardrail", [v["name"] for v in row.variants])
            for m in row.guardrails
        ]
    breaches = analysis.guardrail_breaches(row, metrics)
    worse = {text.split(" is worse", 1)[0] for text in breaches}
    if not worse:
        return 0
    ctx = RequestContext(actor=SYSTEM)
    with core.store.write() as session:
        row = lifecycle.load(session, project_id, experiment_id, for_update=True)
        if row.status != "running":
            return 0
        variants = [dict(v) for v in row.variants]
        count = 0
        for v in variants[1:]:
            if v["name"] in worse and not v.get("stopped"):
                v["stopped"] = True
                count += 1
        row.variants = variants
        reason = "guardrail: " + "; ".join(breaches)
        lifecycle._audit(core, session, ctx, row, "experiment.guardrail", {"breaches": breaches})
        if all(v.get("stopped") for v in variants[1:]):
            lifecycle._stop(core, session, ctx, row, reason)
        else:
            row.updated_at = core.clock()
    return count
