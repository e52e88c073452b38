"""Alert rules: a crossing fires once, stays one incident, resolves when the condition
clears; the cool-down reopens instead of firing again; acknowledge and silence."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from promptyard.domain.errors import Conflict, ValidationFailed
from promptyard.services.alerts import evaluate, incidents, rules
from promptyard.services.alerts.schemas import AlertRuleCreate
from promptyard.services.context import Core
from promptyard.services.operations import webhooks
from promptyard.store.models import SqlWebhookDelivery
from tests._factories import admin_context, project_id
from tests.alerts._helpers import Clock, report, score


@pytest.fixture
def clock(core: Core) -> Clock:
    clock = Clock()
    core.clock = clock
    return clock


def _hook(core: Core) -> int:
    created = webhooks.create_webhook(
        core,
        ctx=admin_context(core),
        project_id=project_id(core),
        data=webhooks.WebhookCreate.model_validate(
            {"url": "http://127.0.0.1:9/hook", "events": ["alert.fired", "alert.resolved"]}
        ),
    )
    return int(created["id"])


def _events(core: Core) -> list[str]:
    with core.store.read() as session:
        return list(
            session.execute(
                select(SqlWebhookDelivery.event).order_by(SqlWebhookDelivery.id)
            ).scalars()
        )


def _rule(core: Core, **fields: object) -> int:
    data = AlertRuleCreate.model_validate({"name": "r", "project": "default", **fields})
    return rules.create_rule(core, ctx=admin_context(core), data=data).id


def test_cost_rule_fires_once_resolves_and_respects_the_cooldown(core: Core, clock: Clock) -> None:
    _hook(core)
    pid = project_id(core)
    rule_id = _rule(core, kind="cost", threshold=1.0, window_minutes=10, cooldown_minutes=30)

    report(core, pid, n=3, cost=0.5)  # 1.50 USD in the window: above 1.00
    first = evaluate.evaluate(core)
    assert (first.fired, first.resolved, first.errors) == (1, 0, [])
    clock.advance(minutes=1)
    assert evaluate.evaluate(core).fired == 0  # still the same incident
    listed = incidents.list_alerts(core, actor=admin_context(core).actor)
    assert listed.firing == 1 and len(listed.items) == 1
    alert = listed.items[0]
    assert alert.state == "firing" and alert.rule_id == rule_id and alert.value == 1.5
    assert "cost" in alert.title and alert.threshold == 1.0
    assert _events(core) == ["alert.fired"]

    clock.advance(minutes=15)  # the calls left the window: the condition cleared
    assert evaluate.evaluate(core).resolved == 1
    resolved = incidents.get_alert(core, actor=admin_context(core).actor, alert_id=alert.id)
    assert resolved.state == "resolved" and resolved.resolved_at == clock.now
    assert _events(core) == ["alert.fired", "alert.resolved"]

    report(core, pid, n=3, cost=0.5)  # back within the 30-minute cool-down: same incident
    assert evaluate.evaluate(core).fired == 0
    again = incidents.get_alert(core, actor=admin_context(core).actor, alert_id=alert.id)
    assert again.state == "firing" and again.reopened == 1
    assert _events(core) == ["alert.fired", "alert.resolved"]  # nobody paged twice

    clock.advance(minutes=15)
    evaluate.evaluate(core)  # resolves again
    clock.advance(minutes=40)  # past the cool-down: a new incident
    report(core, pid, n=3, cost=0.5)
    assert evaluate.evaluate(core).fired == 1
    listed = incidents.list_alerts(core, actor=admin_context(core).actor)
    assert [item.state for item in listed.items] == ["firing", "resolved"]
    assert _events(core) == ["alert.fired", "alert.resolved", "alert.resolved", "alert.fired"]


def test_acknowledge_and_silence(core: Core, clock: Clock) -> None:
    _hook(core)
    pid = project_id(core)
    _rule(core, kind="error_rate", threshold=0.2, window_minutes=5, min_samples=4)
    report(core, pid, n=3, status="error")
    report(core, pid, n=3)
    evaluate.evaluate(core)
    ctx = admin_context(core)
    alert = incidents.list_alerts(core, actor=ctx.actor, state="open").items[0]
    assert alert.value == pytest.approx(0.5)

    acked = incidents.acknowledge(core, ctx=ctx, alert_id=alert.id)
    assert acked.state == "acknowledged" and acked.acknowledged_by == ctx.actor.ref
    assert incidents.acknowledge(core, ctx=ctx, alert_id=alert.id).state == "acknowledged"
    silenced = incidents.silence(
        core, ctx=ctx, alert_id=alert.id, until=clock.now + timedelta(hours=1)
    )
    assert silenced.silenced is True
    with pytest.raises(ValidationFailed):
        incidents.silence(core, ctx=ctx, alert_id=alert.id, until=clock.now - timedelta(hours=1))
    with pytest.raises(ValidationFailed):
        incidents.silence(core, ctx=ctx, alert_id=alert.id, until=clock.now + timedelta(days=400))

    clock.advance(minutes=10)  # cleared while silenced: resolved, nobody notified
    assert evaluate.evaluate(core).resolved == 1
    assert _events(core) == ["alert.fired"]
    with pytest.raises(Conflict):
        incidents.acknowledge(core, ctx=ctx, alert_id=alert.id)


def test_too_few_calls_do_not_fire(core: Core, clock: Clock) -> None:
    pid = project_id(core)
    _rule(core, kind="error_rate", threshold=0.1, window_minutes=5, min_samples=10)
    report(core, pid, n=2, status="error")
    assert evaluate.evaluate(core).fired == 0


def test_latency_p95_scoped_to_a_model(core: Core, clock: Clock) -> None:
    pid = project_id(core)
    rule_id = _rule(core, kind="latency_p95", threshold=1000, window_minutes=5, model="slow-model")
    report(core, pid, n=20, latency_ms=3000, model="fast-model")  # another model: ignored
    report(core, pid, n=20, latency_ms=200, model="slow-model")
    assert evaluate.evaluate(core).fired == 0
    report(core, pid, n=20, latency_ms=5000, model="slow-model")
    assert evaluate.evaluate(core).fired == 1
    rule = rules.get_rule(core, actor=admin_context(core).actor, rule_id=rule_id)
    assert rule.firing and rule.last_value is not None and rule.last_value > 1000


def test_feedback_drop_against_the_previous_window(core: Core, clock: Clock) -> None:
    pid = project_id(core)
    _rule(core, kind="feedback_drop", threshold=0.2, window_minutes=10, min_samples=3)
    for gid in report(core, pid, n=4, ago_seconds=15 * 60):  # previous window: 0.9
        score(core, pid, gid, 0.9)
    for gid in report(core, pid, n=4, ago_seconds=60):  # this window: 0.5
        score(core, pid, gid, 0.5)
    result = evaluate.evaluate(core)
    assert result.fired == 1, result
    alert = incidents.list_alerts(core, actor=admin_context(core).actor).items[0]
    assert alert.value == pytest.approx(0.4)
    assert alert.details["baseline"] == pytest.approx(0.9)


def test_feedback_drop_against_a_fixed_baseline(core: Core, clock: Clock) -> None:
    pid = project_id(core)
    _rule(
        core,
        kind="feedback_drop",
        threshold=0.1,
        window_minutes=10,
        baseline="fixed",
        baseline_value=0.8,
    )
    for gid in report(core, pid, n=2):
        score(core, pid, gid, 0.75)
    assert evaluate.evaluate(core).fired == 0  # fell 0.05 < 0.1
    for gid in report(core, pid, n=2):
        score(core, pid, gid, 0.25)
    assert evaluate.evaluate(core).fired == 1  # mean 0.5: fell 0.3


def test_rule_validation() -> None:
    for bad in (
        {"kind": "error_rate", "threshold": 2},
        {"kind": "cost", "threshold": -1},
        {"kind": "cost", "threshold": 1e30},
        {"kind": "cost", "threshold": 1, "baseline": "fixed", "baseline_value": 1},
        {"kind": "feedback_drop", "threshold": 0.1, "baseline": "fixed"},
        {"kind": "eval_score", "threshold": 0.1},
        {"kind": "cost", "threshold": 1, "window_minutes": 0},
    ):
        with pytest.raises(ValueError):
            AlertRuleCreate.model_validate({"name": "r", **bad})
