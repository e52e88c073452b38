"""Prometheus: online experiments by state (a source for
``services/operations/metrics.py``'s ``add_source``).

- ``promptyard_experiments{project, status}``: experiments, ``draft``, ``running`` or
  ``stopped``.
- ``promptyard_experiment_variants_stopped{project}``: variants of running experiments
  that a guardrail or a person stopped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client.core import GaugeMetricFamily, Metric
from sqlalchemy import select

from promptyard.services.context import Core
from promptyard.store.models import SqlExperiment, SqlProject

STATUSES = ("draft", "running", "stopped")


def experiment_source(core: Core) -> Callable[[], Iterator[Metric]]:
    def collect() -> Iterator[Metric]:
        with core.store.read() as session:
            rows = session.execute(
                select(SqlProject.slug, SqlExperiment.status, SqlExperiment.variants).join(
                    SqlProject, SqlProject.id == SqlExperiment.project_id
                )
            ).all()
        counts: dict[tuple[str, str], int] = {}
        stopped: dict[str, int] = {}
        for slug, status, variants in rows:
            counts[(slug, status)] = counts.get((slug, status), 0) + 1
            if status == "running":
                halted = sum(1 for v in variants or [] if v.get("stopped"))
                stopped[slug] = stopped.get(slug, 0) + halted
        family = GaugeMetricFamily(
            "promptyard_experiments",
            "Online experiments, by project and status.",
            labels=["project", "status"],
        )
        for slug in sorted({slug for slug, _ in counts}):
            for status in STATUSES:
                family.add_metric([slug, status], counts.get((slug, status), 0))
        yield family
        halted_family = GaugeMetricFamily(
            "promptyard_experiment_variants_stopped",
            "Variants of running experiments that were stopped (guardrail or by hand).",
            labels=["project"],
        )
        for slug in sorted(stopped):
            halted_family.add_metric([slug], stopped[slug])
        yield halted_family

    return collect
