"""Budgets: periods, spend, thresholds (once each per period), the forecast, state."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from promptyard.services.alerts import budgets, evaluate, incidents, periods
from promptyard.services.alerts.schemas import BudgetCreate, BudgetUpdate
from promptyard.services.context import Core
from promptyard.services.operations import webhooks
from promptyard.store.models import SqlWebhookDelivery
from tests._factories import admin_context, project_id
from tests.alerts._helpers import Clock, report


@pytest.fixture
def clock(core: Core) -> Clock:
    clock = Clock()
    core.clock = clock
    return clock


def _payloads(core: Core) -> list[dict[str, object]]:
    with core.store.read() as session:
        rows = session.execute(select(SqlWebhookDelivery).order_by(SqlWebhookDelivery.id)).scalars()
        return [dict(row.payload) for row in rows]


def _budget(core: Core, **fields: object) -> int:
    data = BudgetCreate.model_validate({"name": "b", "project": "default", **fields})
    return budgets.create_budget(core, ctx=admin_context(core), data=data).id


def test_period_bounds_and_forecast() -> None:
    now = datetime(2026, 3, 11, 12, 0, tzinfo=UTC)  # a Wednesday
    assert periods.period_bounds("day", now) == (
        datetime(2026, 3, 11, tzinfo=UTC),
        datetime(2026, 3, 12, tzinfo=UTC),
    )
    assert periods.period_bounds("week", now) == (
        datetime(2026, 3, 9, tzinfo=UTC),
        datetime(2026, 3, 16, tzinfo=UTC),
    )
    assert periods.period_bounds("month", datetime(2026, 12, 31, 23, tzinfo=UTC)) == (
        datetime(2026, 12, 1, tzinfo=UTC),
        datetime(2027, 1, 1, tzinfo=UTC),
    )
    start, end = periods.period_bounds("day", now)
    assert periods.forecast(10.0, start, end, now) == pytest.approx(20.0)  # half a day
    assert periods.forecast(10.0, start, end, start + timedelta(minutes=30)) is None


def test_thresholds_notify_once_each_and_the_state_follows(core: Core, clock: Clock) -> None:
    pid = project_id(core)
    webhooks.create_webhook(
        core,
        ctx=admin_context(core),
        project_id=pid,
        data=webhooks.WebhookCreate.model_validate(
            {"url": "http://127.0.0.1:9/hook", "events": ["budget.threshold", "alert.resolved"]}
        ),
    )
    # a day budget of 100 USD, no forecast: thresholds alone
    budget_id = _budget(core, amount=100, period="day", forecast=False)
    actor = admin_context(core).actor

    report(core, pid, n=1, cost=40)
    assert evaluate.evaluate(core).fired == 0
    assert budgets.get_budget(core, actor=actor, budget_id=budget_id).state == "ok"

    report(core, pid, n=1, cost=15)  # 55 %: crosses 50
    assert evaluate.evaluate(core).fired == 1
    shown = budgets.get_budget(core, actor=actor, budget_id=budget_id)
    assert (shown.spend, shown.percent, shown.state) == (55.0, 55.0, "warning")
    evaluate.evaluate(core)  # nothing new
    report(core, pid, n=1, cost=50)  # 105 %: crosses 80 and 100 at once: one notification
    evaluate.evaluate(core)
    sent = _payloads(core)
    assert [(p["event"], p["threshold_percent"]) for p in sent] == [
        ("budget.threshold", 50),
        ("budget.threshold", 100),
    ]
    assert budgets.get_budget(core, actor=actor, budget_id=budget_id).state == "exceeded"
    listed = incidents.list_alerts(core, actor=actor)
    assert len(listed.items) == 1 and listed.items[0].kind == "budget"  # one incident
    assert listed.items[0].details["notified"] == [50, 80, 100]

    # the amount is raised above the spend: the incident resolves
    budgets.update_budget(
        core,
        ctx=admin_context(core),
        budget_id=budget_id,
        data=BudgetUpdate.model_validate({"amount": 1000}),
    )
    assert evaluate.evaluate(core).resolved == 1
    assert _payloads(core)[-1]["event"] == "alert.resolved"


def test_forecast_to_exceed(core: Core, clock: Clock) -> None:
    pid = project_id(core)
    webhooks.create_webhook(
        core,
        ctx=admin_context(core),
        project_id=pid,
        data=webhooks.WebhookCreate.model_validate(
            {"url": "http://127.0.0.1:9/hook", "events": ["budget.threshold"]}
        ),
    )
    # noon: half the day passed; 30 USD spent projects 60 USD > 50, at 60 %
    budget_id = _budget(core, amount=50, period="day", thresholds=[80, 100])
    report(core, pid, n=1, cost=30)
    result = evaluate.evaluate(core)
    assert result.fired == 1
    shown = budgets.get_budget(core, actor=admin_context(core).actor, budget_id=budget_id)
    assert shown.state == "at_risk" and shown.forecast_spend == pytest.approx(60.0, rel=0.01)
    assert [p["reason"] for p in _payloads(core)] == ["forecast"]
    evaluate.evaluate(core)
    assert len(_payloads(core)) == 1  # the forecast notifies once per period


def test_feature_budget_and_a_new_period(core: Core, clock: Clock) -> None:
    pid = project_id(core)
    budget_id = _budget(
        core, scope="feature", scope_value="search", amount=10, period="day", forecast=False
    )
    report(core, pid, n=1, cost=50, feature="chat")  # another feature: not counted
    report(core, pid, n=1, cost=6, feature="search")
    evaluate.evaluate(core)
    actor = admin_context(core).actor
    assert budgets.get_budget(core, actor=actor, budget_id=budget_id).spend == 6.0
    assert incidents.list_alerts(core, actor=actor).firing == 1
    clock.advance(days=1)  # a new day: the spend starts again, the incident ends
    evaluate.evaluate(core)
    assert incidents.list_alerts(core, actor=actor).firing == 0
    assert budgets.get_budget(core, actor=actor, budget_id=budget_id).spend == 0.0


def test_workspace_budget_counts_every_project(core: Core, clock: Clock) -> None:
    budget_id = _budget(core, scope="workspace", project=None, amount=10, period="month")
    report(core, project_id(core), n=2, cost=1.25)
    shown = budgets.get_budget(core, actor=admin_context(core).actor, budget_id=budget_id)
    assert shown.project is None and shown.spend == 2.5 and shown.currency == "USD"


def test_budget_validation() -> None:
    for bad in (
        {"amount": -5},
        {"amount": 0},
        {"amount": 1e15},
        {"amount": 5, "thresholds": [0]},
        {"amount": 5, "thresholds": [5000]},
        {"amount": 5, "scope": "feature"},
        {"amount": 5, "scope": "workspace"},
        {"amount": 5, "period": "year"},
    ):
        with pytest.raises(ValueError):
            BudgetCreate.model_validate({"name": "b", "project": "default", **bad})
