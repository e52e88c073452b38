"""Prometheus: open incidents and pending notifications (a source for
``services/operations/metrics.py``'s ``add_source``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client.core import GaugeMetricFamily, Metric
from sqlalchemy import func, select

from promptyard.services.context import Core
from promptyard.store.models import SqlAlert, SqlAlertDelivery


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
