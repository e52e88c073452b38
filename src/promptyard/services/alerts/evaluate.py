"""The background step: evaluate every active alert rule and budget once.

:func:`run` is the scheduled job's work (``workers/jobs.py``: job ``alerts``, through
the database scheduler's lease, so of several server processes exactly one evaluates
at a time and nothing fires twice); tests call :func:`evaluate` directly.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select

from promptyard.services.alerts import access, budgets, incidents, rules
from promptyard.services.context import Core
from promptyard.store.models import SqlAlert, SqlAlertRule, SqlBudget

log = logging.getLogger("promptyard.alerts")


@dataclass
class Evaluation:
    evaluated: int = 0
    fired: int = 0
    resolved: int = 0
    notified: int = 0
    errors: list[str] = field(default_factory=list)

    def summary(self) -> str:
        text = (
            f"{self.evaluated} evaluated, {self.fired} fired, {self.resolved} resolved, "
            f"{self.notified} notification(s)"
        )
        return text + (f"; {len(self.errors)} error(s): {self.errors[0]}" if self.errors else "")


def evaluate(core: Core, *, now: datetime | None = None) -> Evaluation:
    """Evaluate every active rule and budget of every workspace."""
    now = now or core.clock()
    result = Evaluation()
    with core.store.read() as session:
        rule_ids = list(
            session.execute(select(SqlAlertRule.id).where(SqlAlertRule.active.is_(True))).scalars()
        )
        budget_ids = list(
            session.execute(select(SqlBudget.id).where(SqlBudget.active.is_(True))).scalars()
        )
    for rule_id in rule_ids:
        try:
            evaluate_rule(core, rule_id, now, result)
        except Exception as exc:  # one broken rule must not stop the others
            log.exception("alert rule %s could not be evaluated", rule_id)
            result.errors.append(f"rule {rule_id}: {type(exc).__name__}: {exc}")
    for budget_id in budget_ids:
        try:
            evaluate_budget(core, budget_id, now, result)
        except Exception as exc:
            log.exception("budget %s could not be evaluated", budget_id)
            result.errors.append(f"budget {budget_id}: {type(exc).__name__}: {exc}")
    return result


def run(core: Core) -> str:
    """The scheduled job's work: a one-line result; raises when every evaluation failed."""
    result = evaluate(core)
    if result.errors and result.evaluated == 0:
        raise RuntimeError(result.summary())
    return result.summary()


def evaluate_rule(core: Core, rule_id: int, now: datetime, result: Evaluation) -> None:
    with core.store.read() as session:
        rule = session.get(SqlAlertRule, rule_id)
        if rule is None:
            return
        session.expunge(rule)
    measurement = rules.MEASURES[rule.kind](core, rule, now)
    firing = rules.breached(rule, measurement.value)
    key = f"rule:{rule.id}"
    result.evaluated += 1
    with core.store.write() as session:
        row = session.get(SqlAlertRule, rule_id)
        if row is None:
            return
        row.last_evaluated_at, row.last_value = now, measurement.value
        latest = incidents.find(session, key)
        is_open = latest is not None and latest.state in incidents.OPEN
        channel_ids, project_ids = list(row.channel_ids), [row.project_id]
        if firing:
            assert measurement.value is not None
            details = {**measurement.details, "window_minutes": row.window_minutes}
            if latest is not None and is_open:
                latest.last_seen_at, latest.value, latest.details = now, measurement.value, details
            elif (
                latest is not None
                and latest.resolved_at is not None
                and latest.resolved_at + timedelta(minutes=row.cooldown_minutes) > now
            ):
                incidents.reopen(latest, now)  # within the cool-down: same incident, no news
                latest.value, latest.details = measurement.value, details
            else:
                alert = incidents.open_incident(
                    core,
                    session,
                    workspace_id=row.workspace_id,
                    project_id=row.project_id,
                    dedup_key=key,
                    kind=row.kind,
                    title=rules.describe(row, measurement.value),
                    value=measurement.value,
                    threshold=row.threshold,
                    details=details,
                    rule_id=row.id,
                )
                result.fired += 1
                result.notified += incidents.notify(
                    core,
                    session,
                    alert,
                    "alert.fired",
                    channel_ids=channel_ids,
                    project_ids=project_ids,
                )
        elif latest is not None and is_open:
            incidents.resolve(latest, now)
            if measurement.value is not None:
                latest.value = measurement.value
            result.resolved += 1
            result.notified += incidents.notify(
                core,
                session,
                latest,
                "alert.resolved",
                channel_ids=channel_ids,
                project_ids=project_ids,
            )


def evaluate_budget(core: Core, budget_id: int, now: datetime, result: Evaluation) -> None:
    """One incident per budget and period; a notification (``budget.threshold``) for each
    threshold crossed (the highest, when several are crossed at once) and for the
    forecast; resolved when the period ends or the spend falls below every threshold
    (the amount was raised)."""
    with core.store.read() as session:
        budget = session.get(SqlBudget, budget_id)
        if budget is None:
            return
        figures = budgets.measure_budget(core, session, budget, now)
        session.expunge(budget)
    result.evaluated += 1
    start = figures["period_start"]
    key = f"budget:{budget.id}:{start.date().isoformat()}"
    percent, spend = figures["percent"], figures["spend"]
    crossed = [t for t in budget.thresholds if percent >= t]
    forecast = figures["forecast_spend"]
    at_risk = budget.forecast and forecast is not None and forecast > budget.amount
    with core.store.write() as session:
        row = session.get(SqlBudget, budget_id)
        if row is None:
            return
        if row.project_id is not None:
            project_ids = [row.project_id]
        else:
            project_ids = access.workspace_projects(session, row.workspace_id)
        # incidents of earlier periods end with their period (no news: a new one begins)
        for old in session.execute(
            select(SqlAlert).where(
                SqlAlert.budget_id == budget_id,
                SqlAlert.state.in_(incidents.OPEN),
                SqlAlert.dedup_key != key,
            )
        ).scalars():
            incidents.resolve(old, now)
            old.details = {**old.details, "resolved_because": "the period ended"}
            result.resolved += 1
        latest = incidents.find(session, key)
        if not crossed and not at_risk:
            if latest is not None and latest.state in incidents.OPEN:
                incidents.resolve(latest, now)
                result.resolved += 1
                result.notified += incidents.notify(
                    core,
                    session,
                    latest,
                    "alert.resolved",
                    channel_ids=list(row.channel_ids),
                    project_ids=project_ids,
                )
            return
        details = {
            "spend": spend,
            "amount": row.amount,
            "currency": row.currency,
            "percent": percent,
            "forecast_spend": forecast,
            "period": row.period,
            "period_start": start.isoformat(),
            "period_end": figures["period_end"].isoformat(),
        }
        title = (
            f"Budget '{row.name}': {percent:.0f}% of {row.amount:g} {row.currency} "
            f"this {row.period}"
            + (f" (forecast {forecast:.2f})" if at_risk and forecast is not None else "")
        )
        if latest is None:
            latest = incidents.open_incident(
                core,
                session,
                workspace_id=row.workspace_id,
                project_id=row.project_id,
                dedup_key=key,
                kind="budget",
                title=title,
                value=spend,
                threshold=row.amount,
                details={**details, "notified": [], "forecast_notified": False},
                budget_id=row.id,
            )
            result.fired += 1
        elif latest.state == "resolved":
            incidents.reopen(latest, now)
        notified = [int(t) for t in latest.details.get("notified", [])]
        forecast_notified = bool(latest.details.get("forecast_notified", False))
        new = [t for t in crossed if t not in notified]
        news: dict[str, object] | None = None
        if new:
            news = {"threshold_percent": max(new), "reason": "threshold"}
        elif at_risk and not forecast_notified and not crossed_all(crossed):
            news = {"threshold_percent": None, "reason": "forecast"}
        latest.title, latest.value, latest.last_seen_at = title[:500], spend, now
        latest.details = {
            **details,
            "notified": sorted(set(notified) | set(crossed)),
            "forecast_notified": forecast_notified or bool(at_risk),
        }
        if news is not None:
            result.notified += incidents.notify(
                core,
                session,
                latest,
                "budget.threshold",
                channel_ids=list(row.channel_ids),
                project_ids=project_ids,
                **news,
            )


def crossed_all(crossed: list[int]) -> bool:
    """Whether the spend already passed 100 %: a forecast says nothing new then."""
    return any(t >= 100 for t in crossed)
