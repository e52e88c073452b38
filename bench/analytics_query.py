"""Dashboard queries over N stored generations: the figures of docs/benchmarks.md.

Seeds a fresh database with ``--rows`` generations (default 10,000,000) spread over 30
days through the bulk ingest path (``SqlEventStore.append_generations``, the raw insert,
then ``rollups.roll_up`` every 100,000 rows as the server's job counts them), timing the
seeding; then times each query the
dashboard, the prompt page and the budgets make, through the services the routes call
(the HTTP layer adds ~1 ms). Each query: one warm-up, then the median and the slowest of
``--repeat`` runs.

    python bench/analytics_query.py --rows 1000000
    python bench/analytics_query.py --rows 1000000 \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test
    python bench/analytics_query.py --sqlite-file /data/bench.db   # kept; run again to re-time

With ``--sqlite-file`` the database is kept, and a file that already holds generations is
timed again without seeding (a 10,000,000-row seed takes over an hour).

Traffic shape: 20 prompts x 3 live versions, 6 models (provider follows), 5 features, 3
agents, 2 environments, 2,000 users (Pareto: a few heavy ones), 0-2 of 5 tags, 3 % errors,
log-normal latency and time to first token; rows arrive in time order, evenly.
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from promptyard.config import Settings
from promptyard.services.analytics import compare, queries, rollups, trends, views
from promptyard.services.identity import auth
from promptyard.services.telemetry.events import event_store
from promptyard.store import migrate
from promptyard.store.engine import Store
from promptyard.store.models import SqlDimRollup, SqlGeneration, SqlProject, SqlRollup
from promptyard.wiring import build_core

#: The end of the seeded month: the hour that has just begun (minute rows are kept for
#: 48 hours, so the "last hour by minute" query needs recent traffic); with a kept file,
#: the hour after its newest generation.
NOW = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
MODELS = [
    ("openai", "gpt-4o", 2.5e-6, 1e-5, 900),
    ("openai", "gpt-4o-mini", 1.5e-7, 6e-7, 500),
    ("openai", "gpt-4.1", 2e-6, 8e-6, 1000),
    ("anthropic", "claude-sonnet-4", 3e-6, 1.5e-5, 1200),
    ("anthropic", "claude-haiku-3.5", 8e-7, 4e-6, 600),
    ("google", "gemini-1.5-pro", 1.25e-6, 5e-6, 1100),
]
FEATURES = ["chat", "search", "summaries", "triage", "drafts"]
AGENTS = ["router", "support-agent", "sql-agent"]
TAGS = ["beta", "eu", "vip", "mobile", "batch"]


@contextmanager
def database(url: str | None, folder: Path, sqlite_file: Path | None) -> Iterator[str]:
    if url is None:
        yield f"sqlite:///{sqlite_file or folder / 'bench.db'}"
        return
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    name = f"promptyard_bench_{uuid.uuid4().hex[:6]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def rows(project_id: int, count: int, days: int, seed: int = 11) -> Iterator[dict[str, Any]]:
    rng = random.Random(seed)
    start = NOW - timedelta(days=days)
    span = days * 86400
    created = NOW
    for index in range(count):
        # in time order, as ingest receives traffic (a batch spans seconds to minutes)
        offset = (index + rng.random()) * span / count
        at = start + timedelta(seconds=offset)
        prompt = rng.randrange(20)
        # versions move on through the month
        version = 1 + min(2, int(offset / span * 3 + rng.uniform(-0.5, 0.5)))
        provider, model, in_price, out_price, latency = MODELS[rng.randrange(len(MODELS))]
        input_tokens = int(rng.lognormvariate(6.3, 0.5))
        output_tokens = int(rng.lognormvariate(5.0, 0.6))
        failed = rng.random() < 0.03
        user = int(rng.paretovariate(1.1)) % 2000
        tags = rng.sample(TAGS, rng.choice((0, 0, 1, 1, 2)))
        yield {
            "project_id": project_id,
            "id": f"b{index:09d}",
            "external_id": None,
            "trace_id": None,
            "parent_span_id": None,
            "prompt_name": f"prompt-{prompt:02d}",
            "prompt_version": version,
            "prompt_label": None,
            "provider": provider,
            "model": model,
            "input_tokens": input_tokens,
            "output_tokens": output_tokens,
            "cached_tokens": None,
            "reasoning_tokens": None,
            "input_cost": input_tokens * in_price,
            "output_cost": output_tokens * out_price,
            "currency": "USD",
            "price_source": "genai-prices",
            "latency_ms": rng.lognormvariate(math.log(latency), 0.4),
            "ttft_ms": rng.lognormvariate(math.log(latency * 0.3), 0.3),
            "start_time": at,
            "status": "error" if failed else "ok",
            "error": None,
            "user_id": f"user-{user:04d}",
            "session_id": None,
            "feature": FEATURES[rng.randrange(len(FEATURES))],
            "agent": AGENTS[rng.randrange(len(AGENTS))],
            "environment": "production" if rng.random() < 0.9 else "staging",
            "tags": tags,
            "meta": {},
            "input_text": None,
            "input_is_chat": False,
            "output_text": None,
            "flags": [],
            "source": "api",
            "created_at": created,
            "experiment_id": None,
            "experiment_variant": None,
        }


#: Rows appended between two counts of the rollups (the server's job counts every second).
ROLL_EVERY = 100_000


def seed(core: Any, project_id: int, count: int, days: int, batch: int) -> float:
    """Append the rows in batches and count them into the rollups as the server's job
    would (every ``ROLL_EVERY`` rows and at the end); the seconds it all took."""
    events = event_store(core)
    columns = {attribute.key for attribute in SqlGeneration.__mapper__.column_attrs}
    started = time.perf_counter()
    pending: list[dict[str, Any]] = []
    done = 0
    for row in rows(project_id, count, days):
        pending.append({key: row.get(key) for key in columns if key != "pk"})
        if len(pending) == batch:
            events.append_generations(pending)
            done += len(pending)
            pending = []
            if done % ROLL_EVERY < batch:
                rollups.roll_up(core)
            if done % (batch * 40) == 0:
                rate = done / (time.perf_counter() - started)
                print(f"  seeded {done:,} ({rate:,.0f}/s)", flush=True)
    if pending:
        events.append_generations(pending)
    rollups.roll_up(core)
    return time.perf_counter() - started


def timed(action: Callable[[], Any], repeat: int) -> tuple[float, float]:
    action()
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        runs.append((time.perf_counter() - started) * 1000)
    return statistics.median(runs), max(runs)


def suite(core: Any, pid: int) -> list[tuple[str, Callable[[], Any]]]:
    month = NOW - timedelta(days=30)

    def view(kind: str, since: datetime, bucket: str, **kw: Any) -> Callable[[], Any]:
        return lambda: views.view(
            core,
            kind,
            project_id=pid,
            since=since,
            until=NOW,
            bucket=bucket,
            **kw,  # type: ignore[arg-type]
        )

    return [
        ("usage, 30 days by day", view("usage", month, "day")),
        ("costs, 30 days by day, by model", view("costs", month, "day", group_by=["model"])),
        ("performance p50/p95/p99, 30 days by day", view("performance", month, "day")),
        ("top prompts by cost, 30 days by week", view("costs", month, "week", group_by=["prompt"])),
        ("usage by feature, 30 days by week", view("usage", month, "week", group_by=["feature"])),
        ("usage by user (top), 30 days by week", view("usage", month, "week", group_by=["user"])),
        ("usage, last 24 h by hour", view("usage", NOW - timedelta(days=1), "hour")),
        (
            "performance, last hour by minute",
            view("performance", NOW - timedelta(hours=1), "minute"),
        ),
        ("usage with tag=vip, 30 days by day", view("usage", month, "day", filters={"tag": "vip"})),
        (
            "compare v2 vs v3 of a prompt, 30 days",
            lambda: compare.compare(
                core,
                project_id=pid,
                dimension="version",
                a="2",
                b="3",
                prompt="prompt-03",
                since=month,
                until=NOW,
            ),
        ),
        (
            "trends of a prompt + forecast, 30 days",
            lambda: trends.trends(
                core, project_id=pid, since=month, until=NOW, prompt="prompt-03", now=NOW
            ),
        ),
        (
            "window_stats (budget), month to date, one user",
            lambda: queries.window_stats(
                core,
                [pid],
                since=NOW.replace(day=1, hour=0),
                until=NOW - timedelta(minutes=7),
                filters={"user": "user-0001"},
            ),
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--batch", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--database-url", help="a PostgreSQL server URL (default: SQLite)")
    parser.add_argument("--sqlite-file", type=Path, help="keep the SQLite database here")
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory(prefix="promptyard-bench-") as tmp,
        database(args.database_url, Path(tmp), args.sqlite_file) as url,
    ):
        store = Store(url)
        migrate.upgrade(store)
        core = build_core(
            Settings(data_dir=Path(tmp), database_url=url), store=store, entry_points=False
        )
        auth.bootstrap(core)
        with store.read() as session:
            pid = session.scalar(select(SqlProject.id).order_by(SqlProject.id))
        kind = store.dialect
        with store.read() as session:
            already = session.scalar(select(func.count()).select_from(SqlGeneration)) or 0
        if already:
            global NOW
            with store.read() as session:
                newest = session.scalar(select(func.max(SqlGeneration.start_time)))
            NOW = newest.replace(tzinfo=UTC, minute=0, second=0, microsecond=0) + timedelta(hours=1)
            print(f"reusing the {already:,} generations of {args.sqlite_file}", flush=True)
            seconds = float("nan")
        else:
            print(f"seeding {args.rows:,} generations into {kind} ...", flush=True)
            seconds = seed(core, pid, args.rows, args.days, args.batch)
        with store.read() as session:
            stored = session.scalar(select(func.count()).select_from(SqlGeneration))
            main_rows = session.scalar(select(func.count()).select_from(SqlRollup))
            dim_rows = session.scalar(select(func.count()).select_from(SqlDimRollup))
        if kind == "postgresql":
            with store.write() as session:
                session.execute(text("ANALYZE"))
        print()
        print(f"| {kind}: {stored:,} generations | median ms | slowest ms |")
        print("| --- | ---: | ---: |")
        for name, action in suite(core, pid):
            median, slowest = timed(action, args.repeat)
            print(f"| {name} | {median:.0f} | {slowest:.0f} |", flush=True)
        print()
        print(
            f"seeding: {seconds:.0f} s ({stored / seconds:,.0f} generations/s, raw rows in "
            f"batches of {args.batch:,}, rollups counted every {ROLL_EVERY:,}); rollup rows: "
            f"{main_rows:,} main, {dim_rows:,} per user/tag/all"
        )
        store.dispose()


if __name__ == "__main__":
    main()
