"""Retention of raw generations by a project setting: old rows go (whole UTC days), the
rollups keep their aggregates, nothing else is touched, ``db check`` stays clean; run by
the scheduler's ``generation_retention`` job. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from promptyard.domain.errors import Conflict
from promptyard.services.analytics import integrity as analytics_integrity
from promptyard.services.analytics import rollups
from promptyard.services.context import Core
from promptyard.services.telemetry import retention
from promptyard.store.models import (
    SqlDimRollup,
    SqlFeedback,
    SqlGeneration,
    SqlRollup,
    SqlScore,
    SqlSpan,
)
from promptyard.workers import build_runner
from promptyard.workers.jobs import GENERATION_RETENTION
from tests.api._helpers import API, error, ok

RETENTION = f"{API}/projects/default/retention"
NOW = datetime(2026, 6, 15, 13, 30, tzinfo=UTC)


def _report(client: TestClient, project: str, ages: dict[str, timedelta]) -> None:
    body = {
        "generations": [
            {
                "id": gid,
                "model": "gpt-4o",
                "input_tokens": 100,
                "output_tokens": 10,
                "user_id": "ada",
                "start_time": (NOW - age).isoformat(),
            }
            for gid, age in ages.items()
        ]
    }
    ok(client.post(f"{API}/generations/batch", params={"project": project}, json=body))


def _rollups(core: Core) -> list[tuple[Any, ...]]:
    with core.store.read() as session:
        rows = []
        for model in (SqlRollup, SqlDimRollup):
            rows += [
                tuple(row)
                for row in session.execute(
                    select(model.project_id, model.grain, model.bucket, model.calls, model.cost)
                ).all()
            ]
    return sorted(rows, key=repr)


def _count(core: Core, model: Any) -> int:
    with core.store.read() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _ids(core: Core) -> set[str]:
    with core.store.read() as session:
        return set(session.execute(select(SqlGeneration.id)).scalars())


def test_the_setting_is_validated_and_audited(app_client: TestClient) -> None:
    assert ok(app_client.get(RETENTION)) == {"generation_days": None, "pruned_before": None}
    for bad in (0, -1, 36_501, "ten", 1.5):
        error(app_client.put(RETENTION, json={"generation_days": bad}), 422)
    error(app_client.put(RETENTION, json={}), 422)
    error(app_client.put(RETENTION, json={"generation_days": 3, "extra": 1}), 422)
    assert ok(app_client.put(RETENTION, json={"generation_days": 30}))["generation_days"] == 30
    assert ok(app_client.get(RETENTION))["generation_days"] == 30
    assert ok(app_client.put(RETENTION, json={"generation_days": None}))["generation_days"] is None
    events = ok(app_client.get(f"{API}/audit", params={"action": "generation_retention.update"}))
    assert [e["summary"] for e in events["items"]] == [
        {"generation_days": None},
        {"generation_days": 30},
    ]
    error(app_client.get(f"{API}/projects/nope/retention"), 404)


def test_old_rows_go_rollups_stay_nothing_else_is_touched(
    app_client: TestClient, core: Core
) -> None:
    core.clock = lambda: NOW
    ok(app_client.post(f"{API}/projects", json={"slug": "keep", "name": "Keep"}), 201)
    _report(
        app_client,
        "default",
        {
            "old-10d": timedelta(days=10),
            "old-8d": timedelta(days=8, hours=2),
            # 7 days back at 11:30: inside the 7 whole days kept before today's midnight
            "edge-7d": timedelta(days=7, hours=2),
            "new-1d": timedelta(days=1),
            "new-now": timedelta(minutes=5),
        },
    )
    _report(app_client, "keep", {"other-old": timedelta(days=40), "other-new": timedelta(0)})
    for gid in ("old-10d", "new-1d"):
        ok(
            app_client.post(
                f"{API}/analytics/feedback",
                json={"generation_id": gid, "kind": "thumbs", "value": 1},
            ),
            201,
        )
    usage_before = ok(
        app_client.get(
            f"{API}/analytics/usage",
            params={"since": (NOW - timedelta(days=30)).isoformat(), "until": NOW.isoformat()},
        )
    )
    rollups.roll_up(core)  # both projects' generations counted (the query counted one)
    rollups_before = _rollups(core)
    feedback, scores, spans = (
        _count(core, SqlFeedback),
        _count(core, SqlScore),
        _count(core, SqlSpan),
    )
    assert analytics_integrity.check(core) == []

    ok(app_client.put(RETENTION, json={"generation_days": 7}))
    assert retention.prune(core) == 2
    assert _ids(core) == {"edge-7d", "new-1d", "new-now", "other-old", "other-new"}
    assert _rollups(core) == rollups_before
    assert (_count(core, SqlFeedback), _count(core, SqlScore), _count(core, SqlSpan)) == (
        feedback,
        scores,
        spans,
    )
    usage_after = ok(
        app_client.get(
            f"{API}/analytics/usage",
            params={"since": (NOW - timedelta(days=30)).isoformat(), "until": NOW.isoformat()},
        )
    )
    assert usage_after == usage_before  # the dashboards still count the pruned days
    error(app_client.get(f"{API}/generations/old-10d"), 404)
    ok(app_client.get(f"{API}/generations/new-1d"))
    cutoff = datetime(2026, 6, 8, tzinfo=UTC)
    assert ok(app_client.get(RETENTION))["pruned_before"].startswith("2026-06-08T00:00:00")
    assert retention.cutoff(NOW, 7) == cutoff
    # the integrity check compares raw rows only from the cutoff on, and its repair does
    # not rebuild (and so drop) the pruned project's aggregates
    assert analytics_integrity.check(core) == []
    assert analytics_integrity.repair(core) == []
    assert _rollups(core) == rollups_before
    assert retention.prune(core) == 0  # nothing left to delete
    # nor does a rebuild, unless forced
    for project_id in (None, 1):
        with pytest.raises(Conflict, match="retention deleted raw generations before 2026-06-08"):
            analytics_integrity.rebuild_rollups(core, project_id)
    assert _rollups(core) == rollups_before


def test_the_scheduler_runs_the_job(app_client: TestClient, core: Core) -> None:
    now = [NOW]
    core.clock = lambda: now[0]
    _report(app_client, "default", {"old": timedelta(days=3), "new": timedelta(0)})
    ok(app_client.put(RETENTION, json={"generation_days": 1}))
    runner = build_runner(core)
    assert runner.run_once(GENERATION_RETENTION) == 0  # first run: one interval from now
    now[0] = NOW + timedelta(hours=1, minutes=1)
    assert runner.run_once(GENERATION_RETENTION) == 1
    assert _ids(core) == {"new"}
    jobs = {job["name"]: job for job in ok(app_client.get(f"{API}/system/jobs"))["items"]}
    job = jobs[GENERATION_RETENTION]
    assert job["last_outcome"] == "ok" and job["interval_seconds"] == 3600
    assert job["last_result"].startswith("1 raw generation(s)")
