"""The running experiment of ``promptyard serve --demo``: support-reply's production
(control) against its staging version, two weeks of traffic split by user through the
same assignment the SDK uses, with feedback where the staging version does a little
better, so the dashboard shows intervals narrowing over time and a verdict."""

from __future__ import annotations

import math
import random
from datetime import datetime, timedelta
from typing import Any

from promptyard.domain.actor import RequestContext
from promptyard.domain.experiments import assign
from promptyard.services.context import Core
from promptyard.services.experiments import lifecycle
from promptyard.services.experiments.schemas import ExperimentCreate
from promptyard.services.telemetry import generations
from promptyard.services.telemetry.events import event_store
from promptyard.store.models import SqlExperiment

PROMPT = "support-reply"
NAME = "support-reply-staging-vs-production"


def seed(
    core: Core, *, ctx: RequestContext, project_id: int, days: int = 14, per_day: int = 220
) -> int:
    """Create and start the experiment, report its traffic; returns its id."""
    design = ExperimentCreate.model_validate(
        {
            "name": NAME,
            "prompt": PROMPT,
            "description": "Does the staging wording of support replies get more thumbs up?",
            "variants": [
                {"name": "control", "label": "production", "weight": 1},
                {"name": "staging", "label": "staging", "weight": 1},
            ],
            "unit": "user",
            "primary_metric": "feedback",
            "metrics": ["meta:resolved"],
            "design": {"baseline": 0.6, "mde": 0.1},
        }
    )
    experiment = lifecycle.create(core, ctx=ctx, project_id=project_id, data=design)
    lifecycle.start(core, ctx=ctx, project_id=project_id, experiment_id=experiment.id)
    now = core.clock()
    start = now - timedelta(days=days)
    with core.store.write() as session:
        row = session.get(SqlExperiment, experiment.id)
        assert row is not None
        row.started_at = row.created_at = start
    rng = random.Random(11)
    items: list[dict[str, Any]] = []
    names = ("control", "staging")
    for day in range(days):
        for _ in range(int(per_day * rng.uniform(0.8, 1.2))):
            at = start + timedelta(days=day, hours=rng.uniform(7, 20))
            if at >= now:
                continue
            user = f"user-{rng.randrange(1500):04d}"
            variant = assign(experiment.id, user, [1, 1])
            failed = rng.random() < 0.02
            items.append(
                {
                    "id": f"demo-exp-{len(items):06d}",
                    "prompt_name": PROMPT,
                    "prompt_version": 3 + variant,
                    "prompt_label": "production",
                    "provider": "openai",
                    "model": "gpt-4o-mini",
                    "input_tokens": int(rng.lognormvariate(math.log(520), 0.3)),
                    "output_tokens": int(rng.lognormvariate(math.log(160 - 25 * variant), 0.35)),
                    "latency_ms": round(rng.lognormvariate(math.log(900 - 60 * variant), 0.3), 1),
                    "start_time": at.isoformat(),
                    "status": "error" if failed else "ok",
                    "user_id": user,
                    "feature": "support",
                    "environment": "production",
                    "tags": ["demo", "experiment"],
                    "metadata": {"resolved": int(rng.random() < 0.55 + 0.07 * variant)},
                    "experiment_id": experiment.id,
                    "variant": names[variant],
                }
            )
    for offset in range(0, len(items), 1000):
        generations.ingest(core, project_id, items[offset : offset + 1000], source="api")
    events = event_store(core)
    for item in items:
        if item["status"] != "ok" or rng.random() > 0.5:
            continue
        up = rng.random() < (0.58 + (0.15 if item["variant"] == "staging" else 0.0))
        events.append_feedback(
            {
                "project_id": project_id,
                "generation_id": item["id"],
                "trace_id": None,
                "session_id": None,
                "kind": "thumbs",
                "value": 1.0 if up else 0.0,
                "scale": None,
                "comment": None,
                "user_id": item["user_id"],
                "meta": {},
                "source": "api",
                "created_by": "demo",
                "created_at": min(
                    datetime.fromisoformat(item["start_time"]) + timedelta(minutes=3), now
                ),
            }
        )
    return experiment.id
