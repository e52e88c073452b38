"""A month of made-up traffic for ``promptyard serve --demo``: generations of the demo
prompts' versions on a few models, by a few hundred users, with feedback.

Deterministic (a fixed random seed) and plausible: latencies are log-normal per model,
newer versions use fewer tokens and get more thumbs up, about 2 % of calls fail, one
local model has no known price (its cost stays unknown, flagged), traffic follows the
working day. Everything goes through the ingest path a real app's reports take.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from promptyard.services.context import Core
from promptyard.services.telemetry import generations
from promptyard.services.telemetry.events import event_store


@dataclass(frozen=True)
class DemoModel:
    provider: str
    model: str
    weight: float
    latency_ms: float  # median
    speed: float  # output tokens per second


MODELS = (
    DemoModel("openai", "gpt-4o-mini", 0.5, 650, 90),
    DemoModel("openai", "gpt-4o", 0.2, 1100, 60),
    DemoModel("anthropic", "claude-3-5-haiku-latest", 0.2, 800, 80),
    DemoModel("openai", "llama3.1:8b", 0.1, 1500, 40),  # a local server: no known price
)
FEATURES = ("support", "onboarding", "search", "reports")
COMMENTS_UP = ("spot on", "clear and short", "exactly what I needed")
COMMENTS_DOWN = ("too long", "wrong order number", "did not answer the question")


def seed_generations(
    core: Core,
    project_id: int,
    prompts: Sequence[tuple[str, int]],
    *,
    now: datetime,
    days: int = 30,
    per_day: int = 150,
    seed: int = 7,
) -> int:
    """Report ``days`` x ~``per_day`` generations of ``prompts`` (``(name, versions)``),
    spread over the days before ``now``; returns how many were stored."""
    rng = random.Random(seed)
    items: list[dict[str, Any]] = []
    start = now - timedelta(days=days)
    for day in range(days):
        for _ in range(int(per_day * rng.uniform(0.7, 1.3))):
            hour = min(23.99, max(0.0, rng.gauss(14, 4)))
            at = start + timedelta(days=day, hours=hour, seconds=rng.uniform(0, 59))
            if at >= now:
                continue
            name, versions = prompts[rng.randrange(len(prompts))]
            # later in the month, later versions take over
            version = min(versions, 1 + int((day / days) * versions + rng.uniform(-1, 1)))
            version = max(1, version)
            items.append(_generation(rng, len(items), name, version, versions, at))
    stored = 0
    for offset in range(0, len(items), 1000):
        result = generations.ingest(core, project_id, items[offset : offset + 1000], source="api")
        stored += result.created
    _seed_feedback(core, project_id, rng, items, now)
    return stored


def _generation(
    rng: random.Random, index: int, name: str, version: int, versions: int, at: datetime
) -> dict[str, Any]:
    model = rng.choices(MODELS, weights=[m.weight for m in MODELS])[0]
    improvement = (version - 1) / max(1, versions - 1)  # 0 for v1 .. 1 for the newest
    input_tokens = int(rng.lognormvariate(math.log(700 - 200 * improvement), 0.3))
    output_tokens = int(rng.lognormvariate(math.log(220 - 70 * improvement), 0.4))
    latency = rng.lognormvariate(math.log(model.latency_ms), 0.35) + output_tokens / model.speed
    failed = rng.random() < 0.02
    user = f"user-{int(rng.paretovariate(1.2)) % 400:03d}"
    return {
        "id": f"demo-{index:06d}",
        "prompt_name": name,
        "prompt_version": version,
        "provider": model.provider,
        "model": model.model,
        "input_tokens": input_tokens,
        "output_tokens": 0 if failed else output_tokens,
        "cached_tokens": int(input_tokens * 0.6) if rng.random() < 0.3 else None,
        "latency_ms": round(latency if not failed else latency / 4, 1),
        "ttft_ms": round(rng.lognormvariate(math.log(model.latency_ms * 0.4), 0.3), 1),
        "start_time": at.isoformat(),
        "status": "error" if failed else "ok",
        "error": "429 Too Many Requests: rate limit reached" if failed else None,
        "user_id": user,
        "session_id": f"{user}-{at:%Y%m%d}",
        "feature": FEATURES[rng.randrange(len(FEATURES))],
        "environment": "production",
        "tags": ["demo"],
        "input": f"[{name} v{version}] Customer question #{index}",
        "output": None if failed else f"Answer #{index} from {model.model}.",
        "metadata": {"improvement": round(improvement, 2)},
    }


def _seed_feedback(
    core: Core, project_id: int, rng: random.Random, items: list[dict[str, Any]], now: datetime
) -> None:
    events = event_store(core)
    for item in items:
        if item["status"] != "ok" or rng.random() > 0.08:
            continue
        improvement = item["metadata"]["improvement"]
        up = rng.random() < 0.55 + 0.35 * improvement
        at = min(datetime.fromisoformat(item["start_time"]) + timedelta(minutes=2), now)
        kind = "thumbs" if rng.random() < 0.8 else "nps"
        value = (
            (1.0 if up else 0.0)
            if kind == "thumbs"
            else float(rng.randint(7, 10) if up else rng.randint(0, 6))
        )
        comment = None
        if rng.random() < 0.3:
            comment = rng.choice(COMMENTS_UP if up else COMMENTS_DOWN)
        events.append_feedback(
            {
                "project_id": project_id,
                "generation_id": item["id"],
                "trace_id": None,
                "session_id": item["session_id"],
                "kind": kind,
                "value": value,
                "scale": None,
                "comment": comment,
                "user_id": item["user_id"],
                "meta": {},
                "source": "api",
                "created_by": "demo",
                "created_at": at,
            }
        )
