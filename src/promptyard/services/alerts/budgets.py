"""Budgets: a spending limit per day, week or month for a workspace, project, feature or
user, its spend so far (analytics' rollups) and its state.

State: ``exceeded`` when the spend reached the amount; else ``at_risk`` when the
forecast (:mod:`.periods`) is above it (and the budget forecasts); else ``warning`` when
the spend crossed one of its thresholds; else ``ok``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from promptyard.domain.actor import Actor, RequestContext
from promptyard.services.alerts import access, measure, periods
from promptyard.services.alerts.schemas import (
    BudgetCreate,
    BudgetPublic,
    BudgetsPublic,
    BudgetState,
    BudgetUpdate,
)
from promptyard.services.context import Core
from promptyard.services.identity.projects import resolve_project
from promptyard.services.operations import audit
from promptyard.store.models import SqlBudget

CURRENCY = "USD"  # the price data's currency (genai-prices and overrides: USD)


def scope_of(session: Session, row: SqlBudget) -> tuple[list[int], dict[str, str]]:
    """The projects and filters a budget's spend is measured over."""
    if row.project_id is not None:
        project_ids = [row.project_id]
    else:
        project_ids = access.workspace_projects(session, row.workspace_id)
    filters = {row.scope: row.scope_value} if row.scope in ("feature", "user") else {}
    return project_ids, {k: v for k, v in filters.items() if v is not None}


def state_of(row: SqlBudget, spend: float, forecast_spend: float | None) -> BudgetState:
    if spend >= row.amount:
        return "exceeded"
    if row.forecast and forecast_spend is not None and forecast_spend > row.amount:
        return "at_risk"
    percent = 100 * spend / row.amount
    if any(percent >= t for t in row.thresholds if t < 100):
        return "warning"
    return "ok"


def measure_budget(core: Core, session: Session, row: SqlBudget, now: datetime) -> dict[str, Any]:
    """The current period, its spend, forecast and state."""
    start, end = periods.period_bounds(row.period, now)
    project_ids, filters = scope_of(session, row)
    spend = measure.stats(core, project_ids, since=start, until=now, filters=filters).cost
    spend = float(spend or 0.0)
    projected = periods.forecast(spend, start, end, now)
    return {
        "period_start": start,
        "period_end": end,
        "spend": round(spend, 6),
        "percent": round(100 * spend / row.amount, 2),
        "forecast_spend": None if projected is None else round(projected, 6),
        "state": state_of(row, spend, projected),
    }


def _public(
    core: Core, session: Session, row: SqlBudget, slugs: dict[int, str], now: datetime
) -> BudgetPublic:
    return BudgetPublic(
        id=row.id,
        name=row.name,
        scope=row.scope,  # type: ignore[arg-type]
        project=slugs.get(row.project_id) if row.project_id is not None else None,
        scope_value=row.scope_value,
        amount=row.amount,
        currency=row.currency,
        period=row.period,  # type: ignore[arg-type]
        thresholds=list(row.thresholds),
        forecast=row.forecast,
        channel_ids=list(row.channel_ids),
        active=row.active,
        created_at=row.created_at,
        created_by=row.created_by,
        **measure_budget(core, session, row, now),
    )


def _load(session: Session, actor: Actor, budget_id: int) -> SqlBudget:
    row = session.get(SqlBudget, budget_id)
    if row is None or not access.visible(actor, row.workspace_id, row.project_id):
        raise access.not_found("budget", budget_id)
    return row


def create_budget(core: Core, *, ctx: RequestContext, data: BudgetCreate) -> BudgetPublic:
    actor = ctx.actor
    project_id = None if data.project is None else resolve_project(core, actor, data.project)
    if project_id is None and actor.project_id is not None:
        project_id = actor.project_id  # a project key's budgets stay in its project
    now = core.clock()
    with core.store.write() as session:
        access.check_channels(session, actor, data.channel_ids)
        row = SqlBudget(
            workspace_id=actor.workspace_id,
            project_id=project_id,
            name=data.name,
            scope=data.scope,
            scope_value=data.scope_value,
            amount=data.amount,
            currency=CURRENCY,
            period=data.period,
            thresholds=data.thresholds,
            forecast=data.forecast,
            channel_ids=data.channel_ids,
            active=True,
            created_at=now,
            created_by=actor.ref,
            updated_at=now,
        )
        session.add(row)
        session.flush()
        audit.append(
            core,
            session,
            ctx=ctx,
            action="budget.create",
            object_type="budget",
            object_id=str(row.id),
            summary={"name": data.name, "amount": data.amount, "period": data.period},
        )
        budget_id = row.id
    return get_budget(core, actor=actor, budget_id=budget_id)


def list_budgets(core: Core, *, actor: Actor) -> BudgetsPublic:
    now = core.clock()
    with core.store.read() as session:
        query = select(SqlBudget).where(SqlBudget.workspace_id == actor.workspace_id)
        if actor.project_id is not None:
            query = query.where(SqlBudget.project_id == actor.project_id)
        rows = list(session.execute(query.order_by(SqlBudget.id)).scalars())
        slugs = access.slugs(session, [row.project_id for row in rows])
        return BudgetsPublic(items=[_public(core, session, row, slugs, now) for row in rows])


def get_budget(core: Core, *, actor: Actor, budget_id: int) -> BudgetPublic:
    with core.store.read() as session:
        row = _load(session, actor, budget_id)
        return _public(core, session, row, access.slugs(session, [row.project_id]), core.clock())


def update_budget(
    core: Core, *, ctx: RequestContext, budget_id: int, data: BudgetUpdate
) -> BudgetPublic:
    changes = data.model_dump(exclude_unset=True)
    for key in ("name", "amount", "period", "forecast", "active", "thresholds", "channel_ids"):
        if key in changes and changes[key] is None:
            changes.pop(key)  # null means "leave as is" for these fields
    now = core.clock()
    with core.store.write() as session:
        row = _load(session, ctx.actor, budget_id)
        if "channel_ids" in changes:
            access.check_channels(session, ctx.actor, changes["channel_ids"])
        for key, value in changes.items():
            setattr(row, key, value)
        row.updated_at = now
        audit.append(
            core,
            session,
            ctx=ctx,
            action="budget.update",
            object_type="budget",
            object_id=str(row.id),
            summary=dict(changes),
        )
    return get_budget(core, actor=ctx.actor, budget_id=budget_id)


def delete_budget(core: Core, *, ctx: RequestContext, budget_id: int) -> None:
    with core.store.write() as session:
        row = _load(session, ctx.actor, budget_id)
        session.delete(row)
        audit.append(
            core,
            session,
            ctx=ctx,
            action="budget.delete",
            object_type="budget",
            object_id=str(budget_id),
            summary={"name": row.name},
        )
