"""``serve --demo``: a budget near its limit and a fired alert, over the demo's traffic."""

from __future__ import annotations

from datetime import timedelta

from promptyard.domain.actor import RequestContext
from promptyard.services.alerts import budgets, evaluate, measure, periods, rules
from promptyard.services.alerts.schemas import AlertRuleCreate, BudgetCreate
from promptyard.services.context import Core
from promptyard.services.identity.projects import resolve_project


def seed(core: Core, *, ctx: RequestContext, project: str = "default") -> None:
    """A budget at about 92 % of its amount (so forecast to exceed), a latency
    rule whose threshold the last day's p95 is above, and one evaluation that fires it."""
    project_id = resolve_project(core, ctx.actor, project)
    now = core.clock()
    # the calendar period with the most traffic so far (early in a month: the week)
    spends = {
        period: measure.stats(
            core, [project_id], since=periods.period_bounds(period, now)[0], until=now
        ).cost
        for period in ("month", "week", "day")
    }
    period = max(spends, key=lambda name: spends[name])
    spend = spends[period]
    amount = float(f"{spend / 0.92:.3g}") if spend > 0 else 10.0
    budgets.create_budget(
        core,
        ctx=ctx,
        data=BudgetCreate.model_validate(
            {
                "name": f"Demo: {period}ly LLM spend".replace("dayly", "daily"),
                "project": project,
                "amount": amount,
                "period": period,
            }
        ),
    )
    day = measure.stats(core, [project_id], since=now - timedelta(days=1), until=now)
    p95 = day.latency_p95_ms or 0.0
    rules.create_rule(
        core,
        ctx=ctx,
        data=AlertRuleCreate.model_validate(
            {
                "name": "Demo: slow answers",
                "project": project,
                "kind": "latency_p95",
                "threshold": max(1.0, round(p95 * 0.8)),
                "window_minutes": 24 * 60,
                "cooldown_minutes": 60,
            }
        ),
    )
    evaluate.evaluate(core)
