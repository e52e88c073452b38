"""GET /api/v1/system/health: the score, its components and the advice for each."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from promptyard.server.app import create_app
from promptyard.services.context import Core
from promptyard.services.operations import health, measure
from promptyard.services.operations.health import SizeHistory
from promptyard.services.operations.metrics import RequestStats
from promptyard.workers.runner import Job, Runner
from tests._server import free_port
from tests.conftest import API_KEY
from tests.governance._helpers import make_key

HEALTH = "/api/v1/system/health"
COMPONENTS = ["latency", "errors", "database", "disk", "queue", "workers", "backup"]


def _components(answer: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {component["name"]: component for component in answer["components"]}


def test_every_signed_in_user_reads_it(app_client: TestClient, core: Core) -> None:
    viewer = make_key(core, "watcher", role="viewer")
    answer = app_client.get(HEALTH, headers=viewer)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert [c["name"] for c in body["components"]] == COMPONENTS
    components = _components(body)
    assert components["workers"]["status"] == "green"  # the app's runner runs
    assert components["database"]["value"] > 0
    assert components["queue"]["status"] == "green"
    for component in body["components"]:
        if component["status"] == "green":
            assert component["advice"] is None, component
        else:
            assert component["advice"], component
    assert 0 <= body["score"] <= 100
    assert app_client.get(HEALTH, headers={"Authorization": "Bearer py_nobody"}).status_code == 401


def test_slow_and_failing_requests_turn_it_red(app_client: TestClient, core: Core) -> None:
    stats: RequestStats = app_client.app.state.metrics.requests  # type: ignore[attr-defined]
    target = core.settings.health_latency_target_ms / 1000
    for _ in range(60):  # what the middleware records for slow 500s
        stats.observe("GET", "/api/v1/prompts/{name}", 500, 4 * target)
    body = app_client.get(HEALTH).json()
    components = _components(body)
    latency, errors = components["latency"], components["errors"]
    assert latency["status"] == "red" and latency["value"] > 2 * latency["target"]
    assert "PromptyardHighLatency" in latency["advice"]
    assert errors["status"] == "red" and errors["value"] > 0.9
    assert "X-Request-ID" in errors["advice"]
    assert body["status"] == "red" and body["score"] < 100


def test_a_late_webhook_queue(core: Core) -> None:
    core.settings = core.settings.model_copy(update={"webhook_worker": False})
    app = create_app(core, static_dir=None)
    with TestClient(app, headers={"Authorization": f"Bearer {API_KEY}"}) as client:
        hook = client.post(
            "/api/v1/webhooks",
            json={"url": f"http://127.0.0.1:{free_port()}/x", "events": ["change_request.opened"]},
        )
        assert hook.status_code == 201, hook.text
        assert (
            client.post("/api/v1/prompts", json={"name": "p", "content": "Hi"}).status_code == 201
        )
        opened = client.post(
            "/api/v1/change-requests", json={"prompt": "p", "version": 1, "label": "production"}
        )
        assert opened.status_code == 201, opened.text
        now = core.clock()
        core.clock = lambda: now + timedelta(minutes=15)
        components = _components(client.get(HEALTH).json())
    queue = components["queue"]
    assert queue["status"] == "red" and queue["value"] >= 900
    assert "1 webhook deliveries pending" in queue["summary"]
    assert "PROMPTYARD_WEBHOOK_WORKER" in queue["advice"]
    workers = components["workers"]  # this process does not run them
    assert workers["status"] == "unknown" and "this process" in workers["summary"]


def _health(core: Core, runner: Runner, *, enabled: bool = True) -> dict[str, Any]:
    answer = health.system_health(
        core,
        requests=RequestStats().window(),
        workers_enabled=enabled,
        workers=runner.health(),
        history=SizeHistory(),
    )
    return {component.name: component for component in answer.components}


def test_failing_and_stopped_workers(core: Core) -> None:
    def boom(_core: Core) -> int:
        raise RuntimeError("no route to host")

    runner = Runner(core, [Job("boom", 1.0, boom)])
    stopped = _health(core, runner)["workers"]
    assert stopped.status == "red" and "not running" in stopped.summary
    runner.start()
    try:
        assert _health(core, runner)["workers"].status == "green"
        with pytest.raises(RuntimeError):
            runner.run_once("boom")
        yellow = _health(core, runner)["workers"]
        assert yellow.status == "yellow" and "no route to host" in yellow.summary
        for _ in range(2):
            with pytest.raises(RuntimeError):
                runner.run_once("boom")
        red = _health(core, runner)["workers"]
        assert red.status == "red" and red.value == 3
        assert _health(core, runner, enabled=False)["workers"].status == "unknown"
    finally:
        runner.stop()


def test_disk_grades() -> None:
    gib = 2**30
    assert health._disk(measure.Disk("/d", 50 * gib, 100 * gib)).status == "green"
    low = health._disk(measure.Disk("/d", 8 * gib, 100 * gib))
    assert low.status == "yellow" and "PromptyardDiskLow" in (low.advice or "")
    assert health._disk(measure.Disk("/d", 4 * gib, 100 * gib)).status == "red"


def test_database_growth_against_free_disk() -> None:
    clock = [0.0]
    history = SizeHistory(monotonic=lambda: clock[0])
    mib, gib = 2**20, 2**30
    history.record(100 * mib)
    clock[0] += 300
    assert history.growth_per_day(110 * mib) is None  # too soon to say
    clock[0] += 3300  # one hour after the first sample: +100 MiB
    growth = history.growth_per_day(200 * mib)
    assert growth == pytest.approx(2400 * mib)
    disk = measure.Disk("/d", 20 * gib, 100 * gib)  # ~8.5 days at 2.4 GiB a day
    database = health._database(200 * mib, growth, disk)
    assert database.status == "yellow" and "full in about 9 days" in database.summary
    assert (
        health._database(200 * mib, growth, measure.Disk("/d", 4 * gib, 100 * gib)).status == "red"
    )
    assert health._database(200 * mib, -1.0, disk).status == "green"


def test_the_age_of_the_newest_backup(core: Core) -> None:
    from promptyard.services.operations.backup import create_backup

    def backup_component() -> Any:
        health._BACKUP_TIMES.clear()  # listed at most once a minute: look again
        return health._backup(core)

    none = backup_component()
    assert (none.status, none.summary) == ("yellow", "no backup found at backup_url")
    core.settings.backup_interval_hours = 24
    assert backup_component().status == "red"  # a schedule, and nothing made
    create_backup(core.settings)
    fresh = backup_component()
    assert fresh.status == "green" and fresh.advice is None and fresh.value is not None
    assert fresh.value < 1 and fresh.target == 24
    later = core.clock
    core.clock = lambda: later() + timedelta(hours=50)  # type: ignore[method-assign]
    late = backup_component()
    assert late.status == "yellow" and "late" in (late.advice or "")
    core.clock = lambda: later() + timedelta(hours=100)  # type: ignore[method-assign]
    assert backup_component().status == "red"
