"""Budgets, alert rules, alert channels and fired alerts (docs/alerting.md).

All belong to the caller's workspace; a key scoped to one project sees that project's.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query

from promptyard.domain.actor import RequestContext
from promptyard.domain.schemas import SLUG_PATTERN
from promptyard.server.api.v1.params import ObjectId
from promptyard.server.deps import CoreDep, require
from promptyard.services.alerts import budgets, channels, incidents, rules
from promptyard.services.alerts.schemas import (
    AlertChannelCreate,
    AlertChannelPublic,
    AlertChannelsPublic,
    AlertChannelTestPublic,
    AlertDeliveriesPublic,
    AlertPublic,
    AlertRuleCreate,
    AlertRulePublic,
    AlertRulesPublic,
    AlertRuleUpdate,
    AlertSilence,
    AlertsPublic,
    BudgetCreate,
    BudgetPublic,
    BudgetsPublic,
    BudgetUpdate,
)
from promptyard.services.identity.projects import resolve_project

router = APIRouter(tags=["alerts"])

AlertRead = Annotated[RequestContext, Depends(require("alert:read"))]
AlertRespond = Annotated[RequestContext, Depends(require("alert:respond"))]
AlertManage = Annotated[RequestContext, Depends(require("alert:manage"))]
ProjectFilter = Annotated[
    str | None, Query(pattern=SLUG_PATTERN, description="only this project's")
]


# -- budgets ------------------------------------------------------------------------------


@router.get("/budgets")
def list_budgets(core: CoreDep, ctx: AlertRead) -> BudgetsPublic:
    """Every budget of the workspace with its current period's spend, forecast and state."""
    return budgets.list_budgets(core, actor=ctx.actor)


@router.post("/budgets", status_code=201)
def create_budget(body: BudgetCreate, core: CoreDep, ctx: AlertManage) -> BudgetPublic:
    """A spending limit per day, week or month for the workspace, a project, a feature or
    a user, notifying at its thresholds (default 50, 80, 100 %) and its forecast."""
    return budgets.create_budget(core, ctx=ctx, data=body)


@router.get("/budgets/{budget_id}")
def get_budget(budget_id: ObjectId, core: CoreDep, ctx: AlertRead) -> BudgetPublic:
    return budgets.get_budget(core, actor=ctx.actor, budget_id=budget_id)


@router.patch("/budgets/{budget_id}")
def update_budget(
    budget_id: ObjectId, body: BudgetUpdate, core: CoreDep, ctx: AlertManage
) -> BudgetPublic:
    """Change the fields given (the scope stays)."""
    return budgets.update_budget(core, ctx=ctx, budget_id=budget_id, data=body)


@router.delete("/budgets/{budget_id}", status_code=204)
def delete_budget(budget_id: ObjectId, core: CoreDep, ctx: AlertManage) -> None:
    budgets.delete_budget(core, ctx=ctx, budget_id=budget_id)


# -- alert rules --------------------------------------------------------------------------


@router.get("/alert-rules")
def list_rules(core: CoreDep, ctx: AlertRead, project: ProjectFilter = None) -> AlertRulesPublic:
    """The workspace's alert rules, each with its last value and whether it is firing."""
    project_id = None if project is None else resolve_project(core, ctx.actor, project)
    return rules.list_rules(core, actor=ctx.actor, project_id=project_id)


@router.post("/alert-rules", status_code=201)
def create_rule(body: AlertRuleCreate, core: CoreDep, ctx: AlertManage) -> AlertRulePublic:
    """A condition on a project's cost, latency p95, error rate or feedback, over a
    sliding window, evaluated by the background worker."""
    return rules.create_rule(core, ctx=ctx, data=body)


@router.get("/alert-rules/{rule_id}")
def get_rule(rule_id: ObjectId, core: CoreDep, ctx: AlertRead) -> AlertRulePublic:
    return rules.get_rule(core, actor=ctx.actor, rule_id=rule_id)


@router.patch("/alert-rules/{rule_id}")
def update_rule(
    rule_id: ObjectId, body: AlertRuleUpdate, core: CoreDep, ctx: AlertManage
) -> AlertRulePublic:
    """Change the fields given (the kind and project stay); ``prompt``/``model`` null
    removes that filter."""
    return rules.update_rule(core, ctx=ctx, rule_id=rule_id, data=body)


@router.delete("/alert-rules/{rule_id}", status_code=204)
def delete_rule(rule_id: ObjectId, core: CoreDep, ctx: AlertManage) -> None:
    """Delete the rule and its incidents."""
    rules.delete_rule(core, ctx=ctx, rule_id=rule_id)


# -- channels -----------------------------------------------------------------------------


@router.get("/alert-channels")
def list_channels(core: CoreDep, ctx: AlertRead) -> AlertChannelsPublic:
    """Slack and email channels; Slack URLs masked."""
    return channels.list_channels(core, actor=ctx.actor)


@router.post("/alert-channels", status_code=201)
def create_channel(body: AlertChannelCreate, core: CoreDep, ctx: AlertManage) -> AlertChannelPublic:
    """A Slack-style incoming webhook (its URL stored encrypted, never returned) or email
    addresses (needs PROMPTYARD_SMTP_HOST)."""
    return channels.create_channel(core, ctx=ctx, data=body)


@router.delete("/alert-channels/{channel_id}", status_code=204)
def delete_channel(channel_id: ObjectId, core: CoreDep, ctx: AlertManage) -> None:
    channels.delete_channel(core, ctx=ctx, channel_id=channel_id)


@router.post("/alert-channels/{channel_id}/test")
def test_channel(channel_id: ObjectId, core: CoreDep, ctx: AlertManage) -> AlertChannelTestPublic:
    """Send a test message now; whether the channel accepted it, and why not."""
    return channels.test_channel(core, actor=ctx.actor, channel_id=channel_id)


# -- fired alerts -------------------------------------------------------------------------


@router.get("/alerts")
def list_alerts(
    core: CoreDep,
    ctx: AlertRead,
    state: Annotated[
        Literal["open", "firing", "acknowledged", "resolved"] | None,
        Query(description="open: firing or acknowledged"),
    ] = None,
    project: ProjectFilter = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> AlertsPublic:
    """Fired alerts (incidents), newest first, and how many are open."""
    project_id = None if project is None else resolve_project(core, ctx.actor, project)
    return incidents.list_alerts(
        core, actor=ctx.actor, state=state, project_id=project_id, limit=limit
    )


@router.get("/alerts/{alert_id}")
def get_alert(alert_id: ObjectId, core: CoreDep, ctx: AlertRead) -> AlertPublic:
    return incidents.get_alert(core, actor=ctx.actor, alert_id=alert_id)


@router.post("/alerts/{alert_id}/acknowledge")
def acknowledge_alert(alert_id: ObjectId, core: CoreDep, ctx: AlertRespond) -> AlertPublic:
    """Someone is on it: ``firing`` → ``acknowledged`` (409 when already resolved)."""
    return incidents.acknowledge(core, ctx=ctx, alert_id=alert_id)


@router.post("/alerts/{alert_id}/silence")
def silence_alert(
    alert_id: ObjectId, body: AlertSilence, core: CoreDep, ctx: AlertRespond
) -> AlertPublic:
    """Hold the alert's notifications until ``until``, or for ``minutes`` (at most 90
    days ahead)."""
    return incidents.silence(
        core, ctx=ctx, alert_id=alert_id, until=body.until, minutes=body.minutes
    )


@router.delete("/alerts/{alert_id}/silence")
def unsilence_alert(alert_id: ObjectId, core: CoreDep, ctx: AlertRespond) -> AlertPublic:
    """Notify again from now on."""
    return incidents.unsilence(core, ctx=ctx, alert_id=alert_id)


@router.get("/alerts/{alert_id}/deliveries")
def list_alert_deliveries(
    alert_id: ObjectId, core: CoreDep, ctx: AlertRead
) -> AlertDeliveriesPublic:
    """The alert's Slack and email notifications: attempts, status and last error."""
    return incidents.list_deliveries(core, actor=ctx.actor, alert_id=alert_id)
