"""Fired alerts (incidents): one per condition episode, deduplicated and notified.

States: ``firing`` → ``acknowledged`` (someone is on it) → ``resolved`` (the condition
cleared; automatic). An incident is found again by its ``dedup_key`` (``rule:7``,
``budget:3:2026-12-01``), so a condition that stays true stays one incident. When a
rule's condition comes back within the rule's cool-down after resolving, the same
incident is reopened (``reopened`` counts it) and nobody is notified again; after the
cool-down a new incident fires. Silencing holds an incident's notifications until a time.

Notifications: the project's signed webhooks subscribed to the event
(``alert.fired``, ``alert.resolved``, ``budget.threshold``) and the rule's or budget's
Slack and email channels (:mod:`.channels`' outbox), written in the same transaction.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from promptyard.domain.actor import Actor, RequestContext
from promptyard.domain.errors import Conflict, ValidationFailed
from promptyard.services.alerts import access, channels
from promptyard.services.alerts.schemas import (
    AlertDeliveriesPublic,
    AlertDeliveryPublic,
    AlertPublic,
    AlertsPublic,
)
from promptyard.services.context import Core
from promptyard.services.operations import audit, webhooks
from promptyard.store.models import SqlAlert, SqlAlertDelivery

OPEN = ("firing", "acknowledged")
MAX_SILENCE = timedelta(days=90)


def find(session: Session, dedup_key: str) -> SqlAlert | None:
    """The latest incident with this key."""
    return session.execute(
        select(SqlAlert)
        .where(SqlAlert.dedup_key == dedup_key)
        .order_by(SqlAlert.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def payload(alert: SqlAlert, event: str, slug: str | None, **extra: Any) -> dict[str, Any]:
    return {
        "event": event,
        "alert_id": alert.id,
        "kind": alert.kind,
        "state": alert.state,
        "title": alert.title,
        "project": slug,
        "rule_id": alert.rule_id,
        "budget_id": alert.budget_id,
        "value": alert.value,
        "threshold": alert.threshold,
        "fired_at": alert.fired_at.isoformat(),
        "resolved_at": alert.resolved_at.isoformat() if alert.resolved_at else None,
        "details": dict(alert.details),
        **extra,
    }


def silenced(alert: SqlAlert, now: datetime) -> bool:
    return alert.silenced_until is not None and alert.silenced_until > now


def notify(
    core: Core,
    session: Session,
    alert: SqlAlert,
    event: str,
    *,
    channel_ids: list[int],
    project_ids: list[int],
    **extra: Any,
) -> int:
    """Queue ``event`` for the webhooks of ``project_ids`` and the channels; 0 when the
    alert is silenced."""
    if silenced(alert, core.clock()):
        return 0
    slug = access.slugs(session, [alert.project_id]).get(alert.project_id or 0)
    data = payload(alert, event, slug, **extra)
    count = 0
    for project_id in project_ids:
        count += webhooks.enqueue(core, session, project_id=project_id, event=event, payload=data)
    count += channels.enqueue(
        core, session, alert_id=alert.id, channel_ids=channel_ids, payload=data
    )
    return count


def open_incident(
    core: Core,
    session: Session,
    *,
    workspace_id: int,
    project_id: int | None,
    dedup_key: str,
    kind: str,
    title: str,
    value: float | None,
    threshold: float | None,
    details: dict[str, Any],
    rule_id: int | None = None,
    budget_id: int | None = None,
) -> SqlAlert:
    now = core.clock()
    alert = SqlAlert(
        workspace_id=workspace_id,
        project_id=project_id,
        rule_id=rule_id,
        budget_id=budget_id,
        dedup_key=dedup_key,
        kind=kind,
        state="firing",
        title=title[:500],
        details=details,
        value=value,
        threshold=threshold,
        fired_at=now,
        last_seen_at=now,
        reopened=0,
    )
    session.add(alert)
    session.flush()
    return alert


def reopen(alert: SqlAlert, now: datetime) -> None:
    alert.state = "acknowledged" if alert.acknowledged_at is not None else "firing"
    alert.resolved_at = None
    alert.reopened += 1
    alert.last_seen_at = now


def resolve(alert: SqlAlert, now: datetime) -> None:
    alert.state = "resolved"
    alert.resolved_at = now


# -- reading and responding ------------------------------------------------------------


def _public(row: SqlAlert, slugs: dict[int, str], now: datetime) -> AlertPublic:
    return AlertPublic(
        id=row.id,
        project=slugs.get(row.project_id) if row.project_id is not None else None,
        rule_id=row.rule_id,
        budget_id=row.budget_id,
        kind=row.kind,
        state=row.state,  # type: ignore[arg-type]
        title=row.title,
        details=dict(row.details),
        value=row.value,
        threshold=row.threshold,
        fired_at=row.fired_at,
        last_seen_at=row.last_seen_at,
        acknowledged_at=row.acknowledged_at,
        acknowledged_by=row.acknowledged_by,
        silenced_until=row.silenced_until,
        silenced=silenced(row, now),
        resolved_at=row.resolved_at,
        reopened=row.reopened,
    )


def _scoped(query: Any, actor: Actor) -> Any:
    query = query.where(SqlAlert.workspace_id == actor.workspace_id)
    if actor.project_id is not None:
        query = query.where(SqlAlert.project_id == actor.project_id)
    return query


def list_alerts(
    core: Core,
    *,
    actor: Actor,
    state: str | None = None,
    project_id: int | None = None,
    limit: int = 100,
) -> AlertsPublic:
    """Newest first. ``state``: ``open`` (firing or acknowledged) or one state."""
    query = _scoped(select(SqlAlert), actor)
    if state == "open":
        query = query.where(SqlAlert.state.in_(OPEN))
    elif state is not None:
        query = query.where(SqlAlert.state == state)
    if project_id is not None:
        query = query.where(SqlAlert.project_id == project_id)
    count_query = _scoped(select(func.count()).select_from(SqlAlert), actor).where(
        SqlAlert.state.in_(OPEN)
    )
    if project_id is not None:
        count_query = count_query.where(SqlAlert.project_id == project_id)
    now = core.clock()
    with core.store.read() as session:
        rows = list(session.execute(query.order_by(SqlAlert.id.desc()).limit(limit)).scalars())
        firing = int(session.execute(count_query).scalar_one())
        slugs = access.slugs(session, [row.project_id for row in rows])
        return AlertsPublic(items=[_public(row, slugs, now) for row in rows], firing=firing)


def _load(session: Session, actor: Actor, alert_id: int) -> SqlAlert:
    row = session.get(SqlAlert, alert_id)
    if row is None or not access.visible(actor, row.workspace_id, row.project_id):
        raise access.not_found("alert", alert_id)
    return row


def get_alert(core: Core, *, actor: Actor, alert_id: int) -> AlertPublic:
    with core.store.read() as session:
        row = _load(session, actor, alert_id)
        return _public(row, access.slugs(session, [row.project_id]), core.clock())


def acknowledge(core: Core, *, ctx: RequestContext, alert_id: int) -> AlertPublic:
    """``firing`` → ``acknowledged`` (again: no change); a resolved alert: 409."""
    now = core.clock()
    with core.store.write() as session:
        row = _load(session, ctx.actor, alert_id)
        if row.state == "resolved":
            raise Conflict(f"alert {alert_id} is resolved", code="alert_resolved")
        if row.state == "firing":
            row.state = "acknowledged"
            row.acknowledged_at = now
            row.acknowledged_by = ctx.actor.ref
            _audit(core, session, ctx, row, "alert.acknowledge", {})
        return _public(row, access.slugs(session, [row.project_id]), now)


def silence(
    core: Core,
    *,
    ctx: RequestContext,
    alert_id: int,
    until: datetime | None = None,
    minutes: int | None = None,
) -> AlertPublic:
    """Hold the alert's notifications until ``until`` (in the future, at most 90 days),
    or for ``minutes`` from now."""
    now = core.clock()
    if minutes is not None:
        until = now + timedelta(minutes=minutes)
    if until is None:
        raise ValidationFailed("give either until or minutes")
    with core.store.write() as session:
        row = _load(session, ctx.actor, alert_id)
        if until.tzinfo is None:
            raise ValidationFailed("until needs a time zone (e.g. 2030-01-01T00:00:00Z)")
        if until <= now or until > now + MAX_SILENCE:
            raise ValidationFailed("until must be in the future and at most 90 days away")
        row.silenced_until = until
        _audit(core, session, ctx, row, "alert.silence", {"until": until.isoformat()})
        return _public(row, access.slugs(session, [row.project_id]), now)


def unsilence(core: Core, *, ctx: RequestContext, alert_id: int) -> AlertPublic:
    now = core.clock()
    with core.store.write() as session:
        row = _load(session, ctx.actor, alert_id)
        row.silenced_until = None
        _audit(core, session, ctx, row, "alert.unsilence", {})
        return _public(row, access.slugs(session, [row.project_id]), now)


def list_deliveries(core: Core, *, actor: Actor, alert_id: int) -> AlertDeliveriesPublic:
    """The alert's Slack and email notifications, each with its attempts and last error
    (webhook deliveries are listed under the webhook)."""
    with core.store.read() as session:
        _load(session, actor, alert_id)
        rows = session.execute(
            select(SqlAlertDelivery)
            .where(SqlAlertDelivery.alert_id == alert_id)
            .order_by(SqlAlertDelivery.id)
        ).scalars()
        return AlertDeliveriesPublic(
            items=[
                AlertDeliveryPublic(
                    id=row.id,
                    alert_id=row.alert_id,
                    channel_id=row.channel_id,
                    event=row.event,
                    status=row.status,
                    attempts=row.attempts,
                    next_attempt_at=row.next_attempt_at,
                    last_error=row.last_error,
                    created_at=row.created_at,
                    delivered_at=row.delivered_at,
                )
                for row in rows
            ]
        )


def _audit(
    core: Core,
    session: Session,
    ctx: RequestContext,
    row: SqlAlert,
    action: str,
    summary: dict[str, Any],
) -> None:
    audit.append(
        core,
        session,
        ctx=ctx,
        action=action,
        object_type="alert",
        object_id=str(row.id),
        summary={"title": row.title, **summary},
    )
