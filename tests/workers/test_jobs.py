"""The server's registered jobs, and the app that owns their runner.

Nothing here waits for the background thread: a job's step is run with ``run_once``.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
from fastapi.testclient import TestClient

from promptyard.domain.actor import RequestContext
from promptyard.server.app import create_app
from promptyard.services.context import Core
from promptyard.services.operations import audit_checkpoints, webhooks
from promptyard.workers import AUDIT_CHECKPOINTS, WEBHOOK_DELIVERIES, build_runner
from promptyard.workers.jobs import (
    ALERT_NOTIFICATIONS,
    ALERTS,
    ANALYTICS_ROLLUPS,
    EVALUATION_RUNS,
    EXPERIMENT_GUARDRAILS,
    GENERATION_RETENTION,
    ONLINE_EVALUATION,
    ROLLUP_RETENTION,
    SEMANTIC_EMBEDDINGS,
)
from tests._factories import admin_context, project_id

#: Every job the server's runner has with the default settings, in registration order.
SERVER_JOBS = [
    WEBHOOK_DELIVERIES,
    AUDIT_CHECKPOINTS,
    EVALUATION_RUNS,
    ONLINE_EVALUATION,
    ALERTS,
    ALERT_NOTIFICATIONS,
    EXPERIMENT_GUARDRAILS,
    SEMANTIC_EMBEDDINGS,
    GENERATION_RETENTION,
    ANALYTICS_ROLLUPS,
    ROLLUP_RETENTION,
]

JOB_FIELDS = {
    "interval_seconds",
    "next_run_in_seconds",
    "runs",
    "failures",
    "failures_in_a_row",
    "work",
    "last_work",
    "last_run_at",
    "last_success_at",
    "last_error",
    "last_error_at",
}


def _ctx(core: Core) -> RequestContext:
    return admin_context(core)


def test_checkpoint_and_delivery_jobs_run_synchronously(core: Core) -> None:
    received: list[dict[str, Any]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        received.append(json.loads(request.content))
        return httpx.Response(204)

    webhooks.create_webhook(  # also the chain's first audit event
        core,
        ctx=_ctx(core),
        project_id=project_id(core),
        data=webhooks.WebhookCreate(url="https://audit.example/hook", events=["audit.checkpoint"]),
    )
    with httpx.Client(transport=httpx.MockTransport(handler)) as http:
        runner = build_runner(core, http=http)
        assert runner.names == SERVER_JOBS
        assert runner.run_once(WEBHOOK_DELIVERIES) == 0  # nothing queued yet
        assert runner.run_once(AUDIT_CHECKPOINTS) == 1  # none yet: published at once
        assert runner.run_once(AUDIT_CHECKPOINTS) == 0  # the head did not move
        assert runner.run_once(WEBHOOK_DELIVERIES) == 1
        ran = runner.run_all_once()
        assert set(ran) == set(SERVER_JOBS)
        assert ran[WEBHOOK_DELIVERIES] == 0 and ran[AUDIT_CHECKPOINTS] == 0
    [hit] = received
    assert hit["event"] == "audit.checkpoint"
    assert hit["data"] == audit_checkpoints.latest_checkpoint(core)
    health = runner.health()["jobs"]
    assert health[WEBHOOK_DELIVERIES]["runs"] == 3 and health[WEBHOOK_DELIVERIES]["work"] == 1
    assert health[AUDIT_CHECKPOINTS]["runs"] == 3 and health[AUDIT_CHECKPOINTS]["work"] == 1


def test_the_app_starts_the_runner_reports_it_and_stops_it(core: Core) -> None:
    app = create_app(core, static_dir=None)
    runner = app.state.runner
    assert not runner.running  # built with the app, started by its lifespan
    with TestClient(app) as client:
        assert runner.running
        response = client.get("/readyz")
        assert response.status_code == 200
        workers = response.json()["workers"]
        assert workers["enabled"] is True and workers["running"] is True
        assert set(workers["jobs"]) == set(SERVER_JOBS)
        for job in workers["jobs"].values():
            assert set(job) == JOB_FIELDS
            assert job["failures"] == 0
        for name in (WEBHOOK_DELIVERIES, AUDIT_CHECKPOINTS):
            assert workers["jobs"][name]["interval_seconds"] == 2.0
    assert not runner.running  # the lifespan stopped it: its thread has ended


def test_with_the_worker_off_nothing_runs_in_the_background(core: Core) -> None:
    core.settings = core.settings.model_copy(update={"webhook_worker": False})
    app = create_app(core, static_dir=None)
    with TestClient(app) as client:
        workers = client.get("/readyz").json()["workers"]
        assert workers["enabled"] is False and workers["running"] is False
        assert not app.state.runner.running
        assert workers["jobs"][WEBHOOK_DELIVERIES]["next_run_in_seconds"] is None
