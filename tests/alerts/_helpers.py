"""Moving time and reported traffic for the alert tests (through the real ingest path,
so the rollups that alerts read are the ones ingest writes)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from promptyard.services.context import Core
from promptyard.services.telemetry import feedback, generations
from promptyard.services.telemetry.schemas import FeedbackInput

#: A Wednesday, mid-month, mid-day: every period has started and has a while to go.
START = datetime(2026, 3, 11, 12, 0, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


_counter = iter(range(10**9))


def report(
    core: Core,
    project_id: int,
    *,
    n: int = 1,
    cost: float = 0.0,
    latency_ms: float = 100.0,
    status: str = "ok",
    ago_seconds: float = 30.0,
    **extra: Any,
) -> list[str]:
    """``n`` generations started ``ago_seconds`` before the clock's now, each costing
    ``cost`` USD; their ids."""
    start = core.clock() - timedelta(seconds=ago_seconds)
    ids = [f"g{next(_counter)}" for _ in range(n)]
    items = [
        {
            "id": gid,
            "model": extra.get("model", "gpt-4o-mini"),
            "prompt_name": extra.get("prompt_name"),
            "input_cost": cost / 2,
            "output_cost": cost / 2,
            "input_tokens": 10,
            "output_tokens": 5,
            "latency_ms": latency_ms,
            "status": status,
            "start_time": start.isoformat(),
            **{k: v for k, v in extra.items() if k not in ("model", "prompt_name")},
        }
        for gid in ids
    ]
    result = generations.ingest(core, project_id, items)
    assert all(item.status == "created" for item in result.items), result
    return ids


def score(core: Core, project_id: int, generation_id: str, value: float) -> None:
    feedback.record_feedback(
        core,
        project_id,
        FeedbackInput(generation_id=generation_id, kind="score", value=value, scale="0-1"),
        source="test",
        actor_name="test",
    )
