"""The background jobs: registered on the server's runner, one process of several
evaluates (the scheduler's lease), and the open-alert gauge on /metrics."""

from __future__ import annotations

from fastapi.testclient import TestClient

from promptyard.services.alerts import evaluate, incidents, rules
from promptyard.services.alerts.schemas import AlertRuleCreate
from promptyard.services.context import Core
from promptyard.services.operations import scheduler
from promptyard.workers import build_runner
from promptyard.workers.jobs import ALERT_NOTIFICATIONS, ALERTS
from tests._factories import admin_context, project_id
from tests.alerts._helpers import Clock, report


def test_the_jobs_are_registered(core: Core) -> None:
    runner = build_runner(core)
    assert ALERTS in runner.names and ALERT_NOTIFICATIONS in runner.names


def test_two_processes_fire_once(core: Core) -> None:
    clock = Clock()
    core.clock = clock
    rules.create_rule(
        core,
        ctx=admin_context(core),
        data=AlertRuleCreate.model_validate(
            {"name": "r", "kind": "cost", "threshold": 1, "window_minutes": 30}
        ),
    )
    report(core, project_id(core), n=2, cost=1.0)
    interval = core.settings.alert_eval_seconds
    first = scheduler.ScheduledJob(ALERTS, interval, evaluate.run, "host:1:a", 600.0)
    second = scheduler.ScheduledJob(ALERTS, interval, evaluate.run, "host:2:b", 600.0)
    assert first.step(core) == 0 and second.step(core) == 0  # registered: due in 1 interval
    clock.advance(seconds=interval)
    assert first.step(core) + second.step(core) == 1  # one of the two claimed it
    assert second.step(core) + first.step(core) == 0  # not due again yet
    listed = incidents.list_alerts(core, actor=admin_context(core).actor)
    assert len(listed.items) == 1
    jobs = {job.name: job for job in scheduler.list_jobs(core).items}
    assert jobs[ALERTS].last_outcome == "ok" and "1 fired" in (jobs[ALERTS].last_result or "")
    clock.advance(seconds=interval + 1)
    assert first.step(core) + second.step(core) == 1
    assert len(incidents.list_alerts(core, actor=admin_context(core).actor).items) == 1


def test_open_alerts_gauge(core: Core, app_client: TestClient) -> None:
    with core.store.write() as session:
        incidents.open_incident(
            core,
            session,
            workspace_id=admin_context(core).actor.workspace_id,
            project_id=project_id(core),
            dedup_key="rule:metrics",
            kind="cost",
            title="t",
            value=1.0,
            threshold=0.5,
            details={},
        )
    text = app_client.get("/metrics").text
    assert 'promptyard_alerts_open{state="firing"} 1.0' in text
    assert 'promptyard_alerts_open{state="acknowledged"} 0.0' in text
