"""Minute rollups are pruned after ``analytics_minute_retention_hours`` while hour and
day rollups stay: queries older than that read whole hours and still agree with the raw
rows, minute buckets there are refused, and the check compares what is kept."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from promptyard.domain.errors import ValidationFailed
from promptyard.services.analytics import integrity, queries, rollups
from promptyard.services.context import Core
from promptyard.services.telemetry import generations
from promptyard.store.models import SqlDimRollup, SqlRollup
from tests._factories import project_id
from tests.analytics.test_rollups import NOW, make, totals


def _rows(core: Core, model: Any, grain: str, before: int | None = None) -> int:
    statement = select(func.count()).select_from(model).where(model.grain == grain)
    if before is not None:
        statement = statement.where(model.bucket < before)
    with core.store.read() as session:
        return int(session.scalar(statement) or 0)


def test_minute_rollups_are_pruned_and_hours_and_days_stay(core: Core) -> None:
    core.clock = lambda: NOW
    core.settings = core.settings.model_copy(update={"analytics_minute_retention_hours": 24})
    rng = random.Random(3)
    items = [make(i, rng) for i in range(600)]  # over the last 3 days
    pid = project_id(core)
    generations.ingest(core, pid, items)
    assert rollups.roll_up(core) == 600
    cutoff = rollups.minute_cutoff(NOW, 24)
    assert cutoff == int((NOW - timedelta(hours=24)).timestamp())
    hours_before = _rows(core, SqlRollup, "hour")
    days_before = _rows(core, SqlRollup, "day")
    assert _rows(core, SqlRollup, "minute", cutoff) > 0
    assert _rows(core, SqlDimRollup, "minute", cutoff) > 0

    deleted = rollups.prune_minute_rollups(core)

    assert deleted > 0
    assert _rows(core, SqlRollup, "minute", cutoff) == 0
    assert _rows(core, SqlDimRollup, "minute", cutoff) == 0
    assert _rows(core, SqlRollup, "minute") > 0  # the last day's minutes stay
    assert _rows(core, SqlRollup, "hour") == hours_before
    assert _rows(core, SqlRollup, "day") == days_before
    assert rollups.prune_minute_rollups(core) == 0
    assert integrity.check_rollups(core) == []

    # an old range with minute edges is read in whole hours: it still sums to the rows
    since = NOW - timedelta(days=2, minutes=17)
    until = NOW - timedelta(days=1, hours=2, minutes=40)
    stats = queries.window_stats(core, [pid], since=since, until=until)
    first = since.replace(minute=0)
    last = until.replace(minute=0) + timedelta(hours=1)
    inside = [item for item in items if first.isoformat() <= item["start_time"] < last.isoformat()]
    assert stats.calls == totals(inside)["calls"] > 0
    assert stats.cost == pytest.approx(totals(inside)["cost"])
    # recent minute edges are still read as minutes
    recent = NOW - timedelta(hours=3, minutes=13)
    kept = [item for item in items if recent.isoformat() <= item["start_time"] < NOW.isoformat()]
    assert queries.window_stats(core, [pid], since=recent, until=NOW).calls == len(kept)
    # minute buckets where minutes are gone: a clear error, not zeros
    old = queries.Query(project_ids=(pid,), since=since, until=since + timedelta(hours=1))
    with pytest.raises(ValidationFailed, match="minute buckets are kept for 24 hours"):
        queries.run(core, queries.Query(**{**old.__dict__, "bucket": "minute"}))
