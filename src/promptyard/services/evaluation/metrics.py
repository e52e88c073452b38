"""Prometheus: evaluation runs and pass rates (a source for
``services/operations/metrics.py``'s ``add_source``).

- ``promptyard_evaluation_runs{project, status}``: runs stored, by status.
- ``promptyard_evaluation_scores{project, source, outcome}``: scores with a verdict
  recorded in the last :data:`WINDOW_HOURS` hours, ``outcome`` ``passed`` or ``failed``
  (``source``: ``evaluator``, ``judge``, ``human``, ``online``); the pass rate is
  ``passed / (passed + failed)``. Labels are bounded: never an evaluator, prompt or run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta

from prometheus_client.core import GaugeMetricFamily, Metric
from sqlalchemy import func, select

from promptyard.services.context import Core
from promptyard.store.models import SqlEvaluationRun, SqlProject, SqlScore

#: The window of ``promptyard_evaluation_scores``.
WINDOW_HOURS = 24
RUN_STATUSES = ("queued", "running", "completed", "failed", "cancelled")


def evaluation_source(core: Core) -> Callable[[], Iterator[Metric]]:
    def collect() -> Iterator[Metric]:
        since = core.clock() - timedelta(hours=WINDOW_HOURS)
        with core.store.read() as session:
            runs = session.execute(
                select(SqlProject.slug, SqlEvaluationRun.status, func.count())
                .join(SqlProject, SqlProject.id == SqlEvaluationRun.project_id)
                .group_by(SqlProject.slug, SqlEvaluationRun.status)
            ).all()
            scores = session.execute(
                select(SqlProject.slug, SqlScore.source, SqlScore.passed, func.count())
                .join(SqlProject, SqlProject.id == SqlScore.project_id)
                .where(SqlScore.created_at >= since, SqlScore.passed.is_not(None))
                .group_by(SqlProject.slug, SqlScore.source, SqlScore.passed)
            ).all()
        family = GaugeMetricFamily(
            "promptyard_evaluation_runs",
            "Evaluation runs stored, by project and status.",
            labels=["project", "status"],
        )
        counts = {(slug, status): n for slug, status, n in runs}
        for slug in sorted({slug for slug, _ in counts}):
            for status in RUN_STATUSES:
                family.add_metric([slug, status], counts.get((slug, status), 0))
        yield family
        verdicts = GaugeMetricFamily(
            "promptyard_evaluation_scores",
            f"Scores with a pass/fail verdict in the last {WINDOW_HOURS} hours, by project, "
            "source and outcome.",
            labels=["project", "source", "outcome"],
        )
        totals: dict[tuple[str, str, str], int] = {}
        for slug, source, passed, n in scores:
            key = (slug, source, "passed" if passed else "failed")
            totals[key] = totals.get(key, 0) + n
        for slug, source in sorted({(k[0], k[1]) for k in totals}):
            for outcome in ("passed", "failed"):
                verdicts.add_metric([slug, source, outcome], totals.get((slug, source, outcome), 0))
        yield verdicts

    return collect
