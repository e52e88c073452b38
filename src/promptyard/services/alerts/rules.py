"""Alert rules: a condition on a project's traffic (optionally one prompt or model),
measured over a sliding window that ends at the evaluation.

Kinds (:data:`MEASURES`; a kind is a function that measures a rule, so ``eval_score``
is added by registering one more):

- ``cost``: USD spent in the window;
- ``latency_p95``: the 95th percentile of call latency in the window, in ms;
- ``error_rate``: errors / calls in the window (0 to 1);
- ``feedback_drop``: how far the mean feedback score fell from its baseline, the
  previous window of the same length (``previous_window``) or a fixed value
  (``fixed``): ``baseline - current``;
- ``eval_score``: the same fall for the mean of one score (``score``: an online
  evaluator's name) recorded on the project's generations in the window (those of
  evaluation runs excluded), read from the scores' own time index (``measure.score_mean``).

A rule with fewer than ``min_samples`` calls (feedback or scores, for the falls) in the
window, or in its baseline window, has no value: it does not fire, and an open incident
of it resolves.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from promptyard.domain.actor import Actor, RequestContext
from promptyard.domain.errors import ValidationFailed
from promptyard.services.alerts import access, measure
from promptyard.services.alerts.incidents import OPEN
from promptyard.services.alerts.schemas import (
    DROP_KINDS,
    AlertRuleCreate,
    AlertRulePublic,
    AlertRulesPublic,
    AlertRuleUpdate,
    check_rule,
)
from promptyard.services.context import Core
from promptyard.services.identity.projects import resolve_project
from promptyard.services.operations import audit
from promptyard.store.models import SqlAlert, SqlAlertRule

UNITS = {
    "cost": "USD",
    "latency_p95": "ms",
    "error_rate": "",
    "feedback_drop": "points",
    "eval_score": "points",
}


@dataclass(frozen=True)
class Measurement:
    """A rule's value now (``None``: not enough data) and what it was computed from."""

    value: float | None
    details: dict[str, Any]


def _filters(rule: SqlAlertRule) -> dict[str, str]:
    """The traffic filters (prompt, model) of a rule, for analytics' window figures."""
    return {key: str(rule.filters[key]) for key in ("prompt", "model") if rule.filters.get(key)}


def _window(rule: SqlAlertRule, now: datetime) -> tuple[datetime, datetime]:
    return now - timedelta(minutes=rule.window_minutes), now


def _measure_calls(field: str) -> Callable[[Core, SqlAlertRule, datetime], Measurement]:
    def measure_rule(core: Core, rule: SqlAlertRule, now: datetime) -> Measurement:
        since, until = _window(rule, now)
        stats = measure.stats(
            core, [rule.project_id], since=since, until=until, filters=_filters(rule)
        )
        details: dict[str, Any] = {"calls": stats.calls, "errors": stats.errors}
        if stats.calls < rule.min_samples:
            return Measurement(None, {**details, "reason": "too few calls"})
        value: float | None
        if field == "cost":
            value = float(stats.cost)
        elif field == "latency_p95":
            value = stats.latency_p95_ms
        else:
            value = stats.errors / stats.calls if stats.calls else None
        return Measurement(value, details)

    return measure_rule


def _measure_feedback_drop(core: Core, rule: SqlAlertRule, now: datetime) -> Measurement:
    since, until = _window(rule, now)
    current = measure.stats(
        core, [rule.project_id], since=since, until=until, filters=_filters(rule)
    )
    details: dict[str, Any] = {
        "feedback_mean": current.feedback_mean,
        "feedback_count": current.feedback_count,
    }
    if current.feedback_count < rule.min_samples or current.feedback_mean is None:
        return Measurement(None, {**details, "reason": "too little feedback"})
    if rule.baseline == "fixed":
        baseline = rule.baseline_value
    else:
        before = measure.stats(
            core,
            [rule.project_id],
            since=since - (until - since),
            until=since,
            filters=_filters(rule),
        )
        if before.feedback_count < rule.min_samples:
            return Measurement(None, {**details, "reason": "too little feedback in the baseline"})
        baseline = before.feedback_mean
    if baseline is None:
        return Measurement(None, {**details, "reason": "no baseline"})
    details["baseline"] = baseline
    return Measurement(baseline - current.feedback_mean, details)


def _measure_eval_score(core: Core, rule: SqlAlertRule, now: datetime) -> Measurement:
    since, until = _window(rule, now)
    score = str(rule.filters.get("score"))

    def mean(start: datetime, end: datetime) -> tuple[int, float | None]:
        return measure.score_mean(
            core,
            project_id=rule.project_id,
            name=score,
            since=start,
            until=end,
            prompt=rule.filters.get("prompt"),
            model=rule.filters.get("model"),
        )

    count, current = mean(since, until)
    details: dict[str, Any] = {"score": score, "score_mean": current, "score_count": count}
    if count < rule.min_samples or current is None:
        return Measurement(None, {**details, "reason": "too few scores"})
    if rule.baseline == "fixed":
        baseline = rule.baseline_value
    else:
        before_count, baseline = mean(since - (until - since), since)
        details["baseline_count"] = before_count
        if before_count < rule.min_samples:
            return Measurement(None, {**details, "reason": "too few scores in the baseline"})
    if baseline is None:
        return Measurement(None, {**details, "reason": "no baseline"})
    details["baseline"] = baseline
    return Measurement(baseline - current, details)


#: How each kind is measured: a kind is a function that measures a rule.
MEASURES: dict[str, Callable[[Core, SqlAlertRule, datetime], Measurement]] = {
    "cost": _measure_calls("cost"),
    "latency_p95": _measure_calls("latency_p95"),
    "error_rate": _measure_calls("error_rate"),
    "feedback_drop": _measure_feedback_drop,
    "eval_score": _measure_eval_score,
}

COMPARE: dict[str, Callable[[float, float], bool]] = {
    "gt": lambda value, threshold: value > threshold,
    "gte": lambda value, threshold: value >= threshold,
    "lt": lambda value, threshold: value < threshold,
    "lte": lambda value, threshold: value <= threshold,
}


def breached(rule: SqlAlertRule, value: float | None) -> bool:
    return value is not None and COMPARE[rule.comparison](value, rule.threshold)


def describe(rule: SqlAlertRule, value: float) -> str:
    unit = UNITS.get(rule.kind, "")
    sign = {"gt": ">", "gte": "≥", "lt": "<", "lte": "≤"}[rule.comparison]
    what = {
        "cost": "cost",
        "latency_p95": "latency p95",
        "error_rate": "error rate",
        "feedback_drop": "feedback fall",
        "eval_score": f"fall of score {rule.filters.get('score')!r}",
    }.get(rule.kind, rule.kind)
    return (
        f"{rule.name}: {what} {value:.4g}{unit and ' ' + unit} {sign} {rule.threshold:g}"
        f"{unit and ' ' + unit} over {rule.window_minutes} min"
    )


# -- CRUD --------------------------------------------------------------------------------


def _public(row: SqlAlertRule, slugs: dict[int, str], firing: set[int]) -> AlertRulePublic:
    return AlertRulePublic(
        id=row.id,
        name=row.name,
        project=slugs.get(row.project_id, ""),
        kind=row.kind,
        prompt=row.filters.get("prompt"),
        model=row.filters.get("model"),
        score=row.filters.get("score"),
        window_minutes=row.window_minutes,
        comparison=row.comparison,  # type: ignore[arg-type]
        threshold=row.threshold,
        baseline=row.baseline,  # type: ignore[arg-type]
        baseline_value=row.baseline_value,
        min_samples=row.min_samples,
        cooldown_minutes=row.cooldown_minutes,
        channel_ids=list(row.channel_ids),
        active=row.active,
        created_at=row.created_at,
        created_by=row.created_by,
        last_evaluated_at=row.last_evaluated_at,
        last_value=row.last_value,
        firing=row.id in firing,
    )


def _firing(session: Session, rule_ids: list[int]) -> set[int]:
    if not rule_ids:
        return set()
    return {
        int(rid)
        for rid in session.execute(
            select(SqlAlert.rule_id).where(SqlAlert.rule_id.in_(rule_ids), SqlAlert.state.in_(OPEN))
        ).scalars()
        if rid is not None
    }


def _load(session: Session, actor: Actor, rule_id: int) -> SqlAlertRule:
    row = session.get(SqlAlertRule, rule_id)
    if row is None or not access.visible(actor, row.workspace_id, row.project_id):
        raise access.not_found("alert rule", rule_id)
    return row


def _read(session: Session, row: SqlAlertRule) -> AlertRulePublic:
    return _public(row, access.slugs(session, [row.project_id]), _firing(session, [row.id]))


def create_rule(core: Core, *, ctx: RequestContext, data: AlertRuleCreate) -> AlertRulePublic:
    actor = ctx.actor
    project_id = resolve_project(core, actor, data.project)
    drop = data.kind in DROP_KINDS
    comparison = data.comparison or ("gte" if drop else "gt")
    baseline = data.baseline or ("previous_window" if drop else None)
    now = core.clock()
    with core.store.write() as session:
        access.check_channels(session, actor, data.channel_ids)
        row = SqlAlertRule(
            workspace_id=actor.workspace_id,
            project_id=project_id,
            name=data.name,
            kind=data.kind,
            filters={
                k: v
                for k, v in (("prompt", data.prompt), ("model", data.model), ("score", data.score))
                if v
            },
            window_minutes=data.window_minutes,
            comparison=comparison,
            threshold=data.threshold,
            baseline=baseline,
            baseline_value=data.baseline_value,
            min_samples=data.min_samples,
            cooldown_minutes=data.cooldown_minutes,
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
            action="alert_rule.create",
            object_type="alert_rule",
            object_id=str(row.id),
            summary={"name": data.name, "kind": data.kind, "threshold": data.threshold},
        )
        return _read(session, row)


def list_rules(core: Core, *, actor: Actor, project_id: int | None = None) -> AlertRulesPublic:
    query = select(SqlAlertRule).where(SqlAlertRule.workspace_id == actor.workspace_id)
    if actor.project_id is not None:
        query = query.where(SqlAlertRule.project_id == actor.project_id)
    if project_id is not None:
        query = query.where(SqlAlertRule.project_id == project_id)
    with core.store.read() as session:
        rows = list(session.execute(query.order_by(SqlAlertRule.id)).scalars())
        slugs = access.slugs(session, [row.project_id for row in rows])
        firing = _firing(session, [row.id for row in rows])
        return AlertRulesPublic(items=[_public(row, slugs, firing) for row in rows])


def get_rule(core: Core, *, actor: Actor, rule_id: int) -> AlertRulePublic:
    with core.store.read() as session:
        return _read(session, _load(session, actor, rule_id))


def update_rule(
    core: Core, *, ctx: RequestContext, rule_id: int, data: AlertRuleUpdate
) -> AlertRulePublic:
    changes = data.model_dump(exclude_unset=True)
    with core.store.write() as session:
        row = _load(session, ctx.actor, rule_id)
        filters = dict(row.filters)
        for key in ("prompt", "model", "score"):
            if key in changes:
                value = changes.pop(key)
                if value is None:
                    filters.pop(key, None)
                else:
                    filters[key] = value
        row.filters = filters
        for key in (
            "name",
            "window_minutes",
            "comparison",
            "threshold",
            "min_samples",
            "cooldown_minutes",
            "channel_ids",
            "active",
        ):
            if changes.get(key) is not None:
                setattr(row, key, changes[key])
        if "baseline" in changes or "baseline_value" in changes:
            row.baseline = changes.get("baseline", row.baseline)
            row.baseline_value = changes.get("baseline_value", row.baseline_value)
            if row.kind in DROP_KINDS and row.baseline is None:
                row.baseline = "previous_window"
        try:
            check_rule(
                row.kind, row.threshold, row.baseline, row.baseline_value, filters.get("score")
            )
        except ValueError as exc:
            raise ValidationFailed(str(exc)) from None
        if changes.get("channel_ids") is not None:
            access.check_channels(session, ctx.actor, changes["channel_ids"])
        row.updated_at = core.clock()
        audit.append(
            core,
            session,
            ctx=ctx,
            action="alert_rule.update",
            object_type="alert_rule",
            object_id=str(row.id),
            summary=data.model_dump(exclude_unset=True, mode="json"),
        )
        session.flush()
        return _read(session, row)


def delete_rule(core: Core, *, ctx: RequestContext, rule_id: int) -> None:
    with core.store.write() as session:
        row = _load(session, ctx.actor, rule_id)
        session.delete(row)
        audit.append(
            core,
            session,
            ctx=ctx,
            action="alert_rule.delete",
            object_type="alert_rule",
            object_id=str(rule_id),
            summary={"name": row.name},
        )
