"""Analysis of an online experiment over N logged generations (default 1,000,000).

Seeds a fresh database with a prompt, a running two-variant experiment and ``--rows``
generations served by it over ``--days`` days, through the bulk ingest path
(``SqlEventStore.append_generations``: the raw insert and the rollups in one
transaction), each with the variant its user was assigned (``domain/experiments.py``),
cost, latency, a 2 % error rate and a custom metric ``metadata.converted`` (the variant
converts 1 point better); 5 % of them get a feedback score. Then times
``services.experiments.analysis.results`` (what ``GET /experiments/{id}/results``
answers: every metric's sums read from the experiment's rollups, kept at ingest, the
tests, the always-valid intervals, the daily series, the SRM check): one warm-up, then
the median and the slowest of ``--repeat`` runs. The issue's target: at most 1 s over
1,000,000 generations.

    python bench/experiment_analysis.py
    python bench/experiment_analysis.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select, text

from analytics_query import NOW, database
from promptyard.config import Settings
from promptyard.domain.actor import SYSTEM, RequestContext
from promptyard.domain.experiments import assign
from promptyard.services.analytics import rollups
from promptyard.services.experiments import analysis, lifecycle
from promptyard.services.experiments.schemas import ExperimentCreate
from promptyard.services.identity import auth
from promptyard.services.prompts import registry, versions
from promptyard.services.telemetry.events import event_store
from promptyard.store import migrate
from promptyard.store.engine import Store
from promptyard.store.models import SqlExperiment, SqlFeedback, SqlGeneration, SqlProject
from promptyard.wiring import build_core

VARIANTS = ("control", "concise")


def setup(core: Any, pid: int) -> int:
    from promptyard.domain.schemas import PromptCreate, PromptUpdate

    ctx = RequestContext(actor=SYSTEM)
    registry.create_prompt(
        core, ctx=ctx, project_id=pid, data=PromptCreate(name="support-reply", content="v1 {{ q }}")
    )
    registry.update_prompt(
        core, ctx=ctx, project_id=pid, name="support-reply", data=PromptUpdate(content="v2 {{ q }}")
    )
    versions.set_label(
        core, ctx=ctx, project_id=pid, name="support-reply", label="production", version=1
    )
    versions.set_label(
        core, ctx=ctx, project_id=pid, name="support-reply", label="candidate", version=2
    )
    design = ExperimentCreate.model_validate(
        {
            "name": "concise-replies",
            "prompt": "support-reply",
            "variants": [
                {"name": "control", "label": "production"},
                {"name": "concise", "label": "candidate"},
            ],
            "primary_metric": "feedback",
            "design": {"baseline": 0.6, "mde": 0.02},
        }
    )
    experiment = lifecycle.create(core, ctx=ctx, project_id=pid, data=design)
    lifecycle.start(core, ctx=ctx, project_id=pid, experiment_id=experiment.id)
    return experiment.id


def rows(pid: int, experiment_id: int, count: int, days: int) -> Any:
    rng = random.Random(5)
    start = NOW - timedelta(days=days)
    users = max(1000, count // 20)
    assigned = [assign(experiment_id, f"user-{u}", [1, 1]) for u in range(users)]
    for index in range(count):
        user = rng.randrange(users)
        variant = assigned[user]
        tokens_in, tokens_out = 400 + rng.randrange(300), 60 + rng.randrange(80 if variant else 120)
        yield {
            "project_id": pid,
            "id": f"g{index}",
            "prompt_name": "support-reply",
            "prompt_version": 1 + variant,
            "prompt_label": "production",
            "provider": "openai",
            "model": "gpt-4o-mini",
            "input_tokens": tokens_in,
            "output_tokens": tokens_out,
            "input_cost": tokens_in * 1.5e-7,
            "output_cost": tokens_out * 6e-7,
            "currency": "USD",
            "price_source": "reported",
            "latency_ms": rng.lognormvariate(math.log(700 - 60 * variant), 0.35),
            "start_time": start + timedelta(seconds=days * 86400 * index / count),
            "status": "error" if rng.random() < 0.02 else "ok",
            "user_id": f"user-{user}",
            "tags": [],
            "meta": {"converted": 1 if rng.random() < 0.10 + 0.01 * variant else 0},
            "flags": [],
            "source": "sdk",
            "created_at": NOW,
            "experiment_id": experiment_id,
            "variant": VARIANTS[variant],
            "input_is_chat": False,
        }


def seed(core: Any, pid: int, experiment_id: int, count: int, days: int, batch: int) -> float:
    events = event_store(core)
    columns = [a.key for a in SqlGeneration.__mapper__.column_attrs if a.key != "pk"]
    started = time.perf_counter()
    pending: list[dict[str, Any]] = []
    feedback: list[dict[str, Any]] = []
    rng = random.Random(9)
    for row in rows(pid, experiment_id, count, days):
        pending.append({key: row.get(key) for key in columns})
        if rng.random() < 0.05:
            feedback.append(
                {
                    "project_id": pid, "generation_id": row["id"], "kind": "score",
                    "value": float(rng.random() < 0.6 + 0.02 * (row["variant"] == "concise")),
                    "meta": {}, "source": "api", "created_by": "bench", "created_at": NOW,
                }
            )  # fmt: skip
        if len(pending) == batch:
            events.append_generations(pending)
            pending = []
    if pending:
        events.append_generations(pending)
    with core.store.write() as session:  # the feedback hook's rollups, as append_feedback
        for i in range(0, len(feedback), 10_000):
            session.execute(insert(SqlFeedback), feedback[i : i + 10_000])
        connection = session.connection()
        for row in feedback:
            rollups.add_feedback(connection, row)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--batch", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--database-url", help="a PostgreSQL server URL (default: SQLite)")
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory(prefix="promptyard-bench-") as tmp,
        database(args.database_url, Path(tmp)) as url,
    ):
        store = Store(url)
        migrate.upgrade(store)
        core = build_core(
            Settings(data_dir=Path(tmp), database_url=url), store=store, entry_points=False
        )
        auth.bootstrap(core)
        with store.read() as session:
            pid = session.scalar(select(SqlProject.id).order_by(SqlProject.id))
        experiment_id = setup(
            core,
            pid,
        )
        print(f"seeding {args.rows:,} generations into {store.dialect} ...", flush=True)
        seconds = seed(core, pid, experiment_id, args.rows, args.days, args.batch)
        if store.dialect == "postgresql":
            with store.write() as session:
                session.execute(text("ANALYZE"))
        with store.read() as session:
            stored = session.scalar(select(func.count()).select_from(SqlGeneration))

        def run() -> Any:
            return analysis.results(core, project_id=pid, experiment_id=experiment_id)

        def timed() -> tuple[Any, float, float]:
            found = run()
            timings = []
            for _ in range(args.repeat):
                started = time.perf_counter()
                found = run()
                timings.append(time.perf_counter() - started)
            return found, statistics.median(timings), max(timings)

        found, median, slowest = timed()
        with store.write() as session:  # add the custom metric (a JSON value per row)
            session.get(SqlExperiment, experiment_id).metrics = ["meta:converted"]
        custom, custom_median, custom_slowest = timed()
        primary = found.metrics[0].comparisons[0]
        converted = custom.metrics[1].comparisons[0]
        print()
        print(
            f"| {store.dialect}: {stored:,} generations, {args.days} days | median s | slowest s |"
        )
        print("| --- | ---: | ---: |")
        print(
            f"| results: feedback, cost, latency, error rate, SRM, daily series "
            f"| {median:.2f} | {slowest:.2f} |"
        )
        print(
            "| the same + a custom metric (meta:converted) "
            f"| {custom_median:.2f} | {custom_slowest:.2f} |"
        )
        print()
        srm = found.srm.p_value if found.srm else float("nan")
        print(
            f"seeding: {seconds:.0f} s; verdict: {found.verdict} ({primary.variant} on feedback: "
            f"{primary.estimate:+.4f}, always-valid p = {primary.always_valid_p:.2g}; on "
            f"converted: {converted.estimate:+.4f}); SRM p = {srm:.2f}"
        )
        store.dispose()


if __name__ == "__main__":
    main()
