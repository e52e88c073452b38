"""Rollups agree with the raw rows: sums, percentiles within the sketch's bound,
duplicates counted once, feedback, cost recomputation, check and rebuild; and counting
after ingest (``roll_up``) counts every stored row once, whoever runs it and when."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest
from sqlalchemy import delete, func, select, update

from promptyard.services.analytics import integrity, queries, rollups
from promptyard.services.context import Core
from promptyard.services.telemetry import generations
from promptyard.services.telemetry.feedback import record_feedback
from promptyard.services.telemetry.schemas import FeedbackInput
from promptyard.store.models import SqlGeneration, SqlRollup, SqlRollupMark
from tests._factories import project_id

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
MODELS = ["gpt-4o", "gpt-4o-mini", "claude-3-5-sonnet-latest"]


def make(index: int, rng: random.Random, **extra: Any) -> dict[str, Any]:
    failed = rng.random() < 0.1
    return {
        "id": f"g-{index:05d}",
        "provider": "openai",
        "model": rng.choice(MODELS),
        "prompt_name": "support",
        "prompt_version": rng.choice([1, 2]),
        "input_tokens": rng.randint(10, 2000),
        "output_tokens": rng.randint(1, 500),
        "input_cost": round(rng.random() / 100, 6),
        "output_cost": round(rng.random() / 100, 6),
        "latency_ms": rng.lognormvariate(6.5, 0.6),
        "ttft_ms": rng.lognormvariate(5, 0.5),
        "status": "error" if failed else "ok",
        "user_id": f"user-{rng.randint(0, 40)}",
        "feature": rng.choice(["chat", "search"]),
        "tags": rng.sample(["beta", "eu", "vip"], rng.randint(0, 2)),
        "start_time": (NOW - timedelta(minutes=rng.randint(1, 3 * 24 * 60))).isoformat(),
        **extra,
    }


@pytest.fixture
def seeded(core: Core) -> tuple[Core, int, list[dict[str, Any]]]:
    core.clock = lambda: NOW
    rng = random.Random(7)
    items = [make(i, rng) for i in range(1500)]
    pid = project_id(core)
    for start in range(0, len(items), 400):
        generations.ingest(core, pid, items[start : start + 400])
    return core, pid, items


def totals(items: list[dict[str, Any]]) -> dict[str, float]:
    return {
        "calls": len(items),
        "errors": sum(1 for i in items if i["status"] == "error"),
        "input_tokens": sum(i["input_tokens"] for i in items),
        "output_tokens": sum(i["output_tokens"] for i in items),
        "cost": sum(i["input_cost"] + i["output_cost"] for i in items),
    }


def window(core: Core, pid: int, **filters: str) -> queries.WindowStats:
    return queries.window_stats(
        core, [pid], since=NOW - timedelta(days=4), until=NOW, filters=filters
    )


def assert_matches(stats: queries.WindowStats, items: list[dict[str, Any]]) -> None:
    want = totals(items)
    assert stats.calls == want["calls"]
    assert stats.errors == want["errors"]
    assert stats.input_tokens == want["input_tokens"]
    assert stats.output_tokens == want["output_tokens"]
    assert stats.cost == pytest.approx(want["cost"], rel=1e-9)


def test_rollups_equal_raw_aggregates_overall_and_filtered(seeded: Any) -> None:
    core, pid, items = seeded
    assert_matches(window(core, pid), items)
    for model in MODELS:
        assert_matches(window(core, pid, model=model), [i for i in items if i["model"] == model])
    assert_matches(
        window(core, pid, user="user-3", version="2"),
        [i for i in items if i["user_id"] == "user-3" and i["prompt_version"] == 2],
    )
    assert_matches(window(core, pid, tag="eu"), [i for i in items if "eu" in i["tags"]])


def test_every_bucket_and_group_sums_to_the_raw_rows(seeded: Any) -> None:
    core, pid, items = seeded
    since = NOW - timedelta(days=3, hours=5, minutes=17)
    until = NOW - timedelta(minutes=3)
    result = queries.run(
        core,
        queries.Query(
            project_ids=(pid,), since=since, until=until, bucket="hour", group_by=("feature",)
        ),
    )
    want: dict[tuple[str, int], int] = defaultdict(int)
    for item in items:
        at = datetime.fromisoformat(item["start_time"])
        if since.replace(second=0) <= at < until.replace(second=0):
            want[(item["feature"], queries.floor_bucket(int(at.timestamp()), "hour"))] += 1
    got = {
        (key[0], at): int(cell.total("calls"))
        for key, cells in result.groups.items()
        for at, cell in cells.items()
    }
    assert got == dict(want)


def test_unique_users_and_percentiles_are_within_the_sketch_bounds(seeded: Any) -> None:
    core, pid, items = seeded
    result = queries.run(
        core,
        queries.Query(project_ids=(pid,), since=NOW - timedelta(days=4), until=NOW),
    )
    cell = result.totals[()]
    assert cell.unique_users() == len({i["user_id"] for i in items})  # exact below ~100
    latencies = np.sort([i["latency_ms"] for i in items])
    bound = rollups.SKETCH_RANK_ERROR
    for q in (0.5, 0.95, 0.99):
        estimate = cell.quantile("latency", q)
        assert estimate is not None
        rank = np.searchsorted(latencies, estimate, side="right") / len(latencies)
        assert abs(rank - q) <= bound, (q, rank)


def test_duplicates_are_not_counted_twice(seeded: Any) -> None:
    core, pid, items = seeded
    rng = random.Random(9)
    resent = items[:300]
    fresh = [make(5000 + i, rng) for i in range(50)]
    twice = make(9000, rng)
    result = generations.ingest(core, pid, [*resent, *fresh, twice, dict(twice)])
    assert result.created == 51
    # a race past the pre-check: the event store itself skips the row, and its rollups
    rows = [
        {
            **{c.key: None for c in SqlGeneration.__mapper__.column_attrs},
            "project_id": pid,
            "id": items[0]["id"],
            "start_time": NOW - timedelta(hours=1),
            "status": "ok",
            "tags": [],
            "meta": {},
            "flags": [],
            "input_is_chat": False,
            "source": "api",
            "created_at": NOW,
        }
    ]
    rows[0].pop("pk")
    from promptyard.services.telemetry.events import event_store

    event_store(core).append_generations(rows)
    assert_matches(window(core, pid), [*items, *fresh, twice])


def test_feedback_updates_the_rollups(seeded: Any) -> None:
    core, pid, items = seeded
    from tests._factories import admin_context

    actor = admin_context(core).actor.name if hasattr(admin_context(core).actor, "name") else "t"
    scored = items[:20]
    for index, item in enumerate(scored):
        record_feedback(
            core,
            pid,
            FeedbackInput(generation_id=item["id"], kind="score", value=index % 5 + 1, scale="1-5"),
            source="api",
            actor_name=actor,
        )
        record_feedback(
            core,
            pid,
            FeedbackInput(generation_id=item["id"], kind="thumbs", value=index % 2),
            source="api",
            actor_name=actor,
        )
    stats = window(core, pid)
    want = [(index % 5) / 4 for index in range(20)]
    assert stats.feedback_count == 20
    assert stats.feedback_mean == pytest.approx(sum(want) / 20)
    cell = queries.run(
        core, queries.Query(project_ids=(pid,), since=NOW - timedelta(days=4), until=NOW)
    ).totals[()]
    assert (cell.total("thumbs_up"), cell.total("thumbs_down")) == (10, 10)


def test_cost_recomputation_moves_the_rollups(seeded: Any) -> None:
    core, pid, _ = seeded
    unpriced = [
        {k: v for k, v in make(7000 + i, random.Random(i)).items() if "cost" not in k}
        for i in range(30)
    ]
    generations.ingest(core, pid, unpriced)
    generations.recompute_costs(core, pid, since=NOW - timedelta(days=5), until=NOW)
    with core.store.read() as session:
        raw = session.scalar(
            select(func.sum(SqlGeneration.input_cost + SqlGeneration.output_cost)).where(
                SqlGeneration.project_id == pid
            )
        )
    assert window(core, pid).cost == pytest.approx(raw, rel=1e-9)


def test_check_finds_a_drift_and_rebuild_repairs_it(seeded: Any) -> None:
    core, pid, items = seeded
    assert integrity.check_rollups(core) == []
    with core.store.write() as session:
        session.execute(update(SqlRollup).where(SqlRollup.grain == "day").values(calls=0))
    findings = integrity.check_rollups(core)
    assert findings and "calls" in findings[0].problem
    integrity.rebuild_rollups(core)
    assert integrity.check_rollups(core) == []
    assert_matches(window(core, pid), items)


def test_the_demo_month_fills_the_rollups(core: Core) -> None:
    from promptyard.services.telemetry import demo

    core.clock = lambda: NOW
    pid = project_id(core)
    stored = demo.seed_generations(core, pid, [("support", 3)], now=NOW, days=4, per_day=60)
    stats = queries.window_stats(core, [pid], since=NOW - timedelta(days=5), until=NOW)
    assert stats.calls == stored > 0
    assert integrity.check(core) == []
    cell = queries.run(
        core, queries.Query(project_ids=(pid,), since=NOW - timedelta(days=5), until=NOW)
    ).totals[()]
    assert cell.total("thumbs_up") + cell.total("thumbs_down") > 0


# -- deferred counting: ingest notes, roll_up counts ------------------------------------


def _marks(core: Core, pid: int) -> tuple[int, int]:
    with core.store.read() as session:
        found = session.execute(
            select(SqlRollupMark.rolled_pk, SqlRollupMark.stored_pk).where(
                SqlRollupMark.project_id == pid
            )
        ).one()
    return int(found[0]), int(found[1])


def _rollup_calls(core: Core, pid: int) -> int:
    with core.store.read() as session:
        return int(
            session.scalar(
                select(func.coalesce(func.sum(SqlRollup.calls), 0)).where(
                    SqlRollup.project_id == pid, SqlRollup.grain == "day"
                )
            )
        )


def test_ingest_notes_what_to_count_and_a_query_counts_it_first(seeded: Any) -> None:
    core, pid, items = seeded
    rolled, stored = _marks(core, pid)
    assert rolled < stored  # ingest acknowledged 1,500 rows and counted none of them
    assert _rollup_calls(core, pid) == 0
    assert_matches(window(core, pid), items)  # the query counted them before reading
    assert _marks(core, pid) == (stored, stored)
    assert _rollup_calls(core, pid) == len(items)
    assert rollups.roll_up(core) == 0  # nothing left: one read of the marks


def test_roll_up_in_chunks_counts_every_row_once(
    seeded: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    core, pid, items = seeded
    monkeypatch.setattr(rollups, "ROLL_CHUNK", 200)
    first = rollups.roll_up(core, most=500)
    assert first == 600  # whole chunks, stopping once past ``most``
    rolled, stored = _marks(core, pid)
    assert rolled < stored
    assert _rollup_calls(core, pid) == 600
    assert rollups.roll_up(core, [pid]) == len(items) - 600
    assert _marks(core, pid) == (stored, stored)
    assert integrity.check_rollups(core) == []
    assert_matches(window(core, pid), items)


def test_rows_stored_while_counting_are_all_counted_once(core: Core) -> None:
    """Ingest and two rollup writers at once (threads, each with its own transactions)."""
    import threading

    core.clock = lambda: NOW
    rng = random.Random(11)
    items = [make(i, rng) for i in range(2400)]
    pid = project_id(core)
    done = threading.Event()
    errors: list[BaseException] = []

    def count() -> None:
        try:
            while not done.is_set():
                rollups.roll_up(core)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    writers = [threading.Thread(target=count) for _ in range(2)]
    for writer in writers:
        writer.start()
    try:
        for start in range(0, len(items), 100):
            generations.ingest(core, pid, items[start : start + 100])
    finally:
        done.set()
        for writer in writers:
            writer.join()
    assert errors == []
    rollups.roll_up(core)
    assert integrity.check(core) == []
    assert_matches(window(core, pid), items)


def test_a_key_handed_out_again_is_still_counted(seeded: Any) -> None:
    """SQLite gives the highest key again once its row is deleted (PostgreSQL never):
    the mark steps back to the key before the insert, and nothing counted is counted twice."""
    core, pid, items = seeded
    rollups.roll_up(core)
    with core.store.write() as session:
        top = session.scalar(select(func.max(SqlGeneration.pk)))
        session.execute(delete(SqlGeneration).where(SqlGeneration.pk == top))
    fresh = [make(9000 + i, random.Random(i)) for i in range(5)]
    generations.ingest(core, pid, fresh)
    with core.store.read() as session:
        keys = session.scalars(
            select(SqlGeneration.pk).where(SqlGeneration.id.in_([f["id"] for f in fresh]))
        ).all()
    if core.store.is_sqlite:
        assert min(keys) == top  # the deleted row's key, handed out again
    assert rollups.roll_up(core) == 5
    # the deleted row stays counted (as retention's deletions do), the new ones once each
    assert_matches(window(core, pid), [*items, *fresh])


def test_feedback_before_its_generation_is_counted_is_kept(core: Core) -> None:
    core.clock = lambda: NOW
    pid = project_id(core)
    item = make(1, random.Random(1))
    generations.ingest(core, pid, [item])
    record_feedback(
        core,
        pid,
        FeedbackInput(generation_id=item["id"], kind="score", value=5, scale="1-5"),
        source="api",
        actor_name="t",
    )
    assert _rollup_calls(core, pid) == 0  # the feedback came first
    stats = window(core, pid)
    assert (stats.calls, stats.feedback_count, stats.feedback_mean) == (1, 1, 1.0)
    assert integrity.check(core) == []
