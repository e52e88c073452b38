"""Prometheus: open incidents, pending notifications and budget spend (sources for
``services/operations/metrics.py``'s ``add_source``).

Budget spend is measured like the budgets page (``budgets.measure_budget`` over
analytics' rollups), at most :data:`MAX_BUDGETS` active budgets, labelled by
workspace, budget name, project (empty for a workspace budget) and period: a bounded
set, since budgets are made by people."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client.core import GaugeMetricFamily, Metric
from sqlalchemy import func, select

from promptyard.services.alerts import budgets
from promptyard.services.context import Core
from promptyard.store.models import (
    SqlAlert,
    SqlAlertDelivery,
    SqlBudget,
    SqlProject,
    SqlWorkspace,
)

#: Active budgets reported on ``/metrics`` (the oldest first).
MAX_BUDGETS = 200


def alert_source(core: Core) -> Callable[[], Iterator[Metric]]:
    def collect() -> Iterator[Metric]:
        with core.store.read() as session:
            states = dict(
                session.execute(
                    select(SqlAlert.state, func.count())
                    .where(SqlAlert.state.in_(("firing", "acknowledged")))
                    .group_by(SqlAlert.state)
                ).all()
            )
            deliveries = dict(
                session.execute(
                    select(SqlAlertDelivery.status, func.count()).group_by(SqlAlertDelivery.status)
                ).all()
            )
        alerts = GaugeMetricFamily(
            "promptyard_alerts_open",
            "Alert incidents open now, by state (firing, acknowledged).",
            labels=["state"],
        )
        for state in ("firing", "acknowledged"):
            alerts.add_metric([state], int(states.get(state, 0)))
        yield alerts
        family = GaugeMetricFamily(
            "promptyard_alert_notifications",
            "Slack and email alert notifications stored, by status (pending, delivered, failed).",
            labels=["status"],
        )
        for status in ("pending", "delivered", "failed"):
            family.add_metric([status], int(deliveries.get(status, 0)))
        yield family

    return collect


def budget_source(core: Core) -> Callable[[], Iterator[Metric]]:
    """``promptyard_budget_spend_ratio`` (spend / amount in the current period) and
    ``promptyard_budget_period_elapsed_ratio`` (the share of the period passed): their
    quotient is the burn rate the ``PromptyardBudgetBurnRate`` alert watches."""

    def collect() -> Iterator[Metric]:
        labels = ["workspace", "budget", "project", "period"]
        spend = GaugeMetricFamily(
            "promptyard_budget_spend_ratio",
            "Spend of an active budget's current period divided by its amount (1 = spent).",
            labels=labels,
        )
        elapsed = GaugeMetricFamily(
            "promptyard_budget_period_elapsed_ratio",
            "Share of an active budget's current period that has passed (0 to 1).",
            labels=labels,
        )
        amount = GaugeMetricFamily(
            "promptyard_budget_amount_usd",
            "The amount of an active budget per period, in USD.",
            labels=labels,
        )
        now = core.clock()
        with core.store.read() as session:
            rows = session.execute(
                select(SqlBudget, SqlWorkspace.slug, SqlProject.slug)
                .join(SqlWorkspace, SqlWorkspace.id == SqlBudget.workspace_id)
                .outerjoin(SqlProject, SqlProject.id == SqlBudget.project_id)
                .where(SqlBudget.active.is_(True))
                .order_by(SqlBudget.id)
                .limit(MAX_BUDGETS)
            ).all()
            for row, workspace, project in rows:
                measured = budgets.measure_budget(core, session, row, now)
                start, end = measured["period_start"], measured["period_end"]
                key = [workspace, row.name, project or "", row.period]
                spend.add_metric(key, measured["spend"] / row.amount if row.amount else 0.0)
                total = (end - start).total_seconds()
                elapsed.add_metric(key, min(1.0, (now - start).total_seconds() / total))
                amount.add_metric(key, row.amount)
        yield spend
        yield elapsed
        yield amount

    return collect
