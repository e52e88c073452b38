"""Benchmark: stored embeddings and semantic search over N prompts, through the services.

Seeds N prompts (the quality corpus's snippets, each with a numbered variant line) into a
fresh SQLite database (or ``--database-url``, e.g. a PostgreSQL test database, which is
emptied), then:

1. embeds the first ``--embed`` versions with the background job's step
   (``embed_pending``): versions a second, with the local model (``promptyard[semantic]``);
   the other prompts get the stored vector of the embedded prompt with the same corpus
   snippet (they differ by one "Variant N" line), so a search runs over N real vectors
   without an hour of embedding on a loaded machine (``--embed 0``: embed them all);
2. semantic search over the N prompts (``embeddings.search``: the query embedded, the
   freshness check, the exact matrix product): the first search (loads the project's
   vectors from the database) and the median and p95 of the following ones;
3. the matrix product alone.

Target (issue 12): a query over 10,000 prompts <= 100 ms.
Run: ``.venv/bin/python bench/semantic_search.py [--prompts 10000] [--database-url URL]``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

API_KEY = "py_bench_key_0123456789abcdef"
SEED_CACHE = Path(__file__).resolve().parent / "results"
CORPUS = Path(__file__).resolve().parent / "data" / "quality_corpus.jsonl"
QUERIES = [
    "summarise support tickets",
    "translate a text into French",
    "write a SQL query for an analyst",
    "answer questions about an invoice",
    "classify the sentiment of a review",
]


def _text(snippet: dict) -> str:
    content = snippet["content"]
    if isinstance(content, str):
        return content
    return "\n".join(str(m.get("content", "")) for m in content)


def build(url: str, data_dir: Path, fresh: bool = True):  # type: ignore[no-untyped-def]
    from sqlalchemy import text

    from promptyard.config import Settings
    from promptyard.services.identity import auth
    from promptyard.store import migrate
    from promptyard.store.engine import Store
    from promptyard.wiring import build_core

    settings = Settings(
        data_dir=data_dir, database_url=url, semantic_search=True, init_api_key=API_KEY
    )
    store = Store(settings.resolved_database_url())
    if fresh and store.dialect == "postgresql":
        with store.write_engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    migrate.upgrade(store)
    core = build_core(settings, store, entry_points=False)
    auth.bootstrap(core)
    return core


def seed(core, prompts: int) -> None:  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    from promptyard.domain.actor import RequestContext
    from promptyard.domain.content import content_hash
    from promptyard.services.identity import auth
    from promptyard.services.prompts import bundles

    snippets = [json.loads(line) for line in CORPUS.read_text().splitlines() if line.strip()]
    at = datetime(2026, 1, 1, tzinfo=UTC).isoformat()
    items = []
    for index in range(prompts):
        body = f"{_text(snippets[index % len(snippets)])}\nVariant {index}."
        items.append(
            {
                "name": f"prompt-{index:05d}",
                "type": "text",
                "created_at": at,
                "created_by": "bench",
                "updated_at": at,
                "updated_by": "bench",
                "versions": [
                    {
                        "number": 1,
                        "branch": "main",
                        "type": "text",
                        "content": body,
                        "config": {},
                        "variables": [],
                        "references": [],
                        "content_hash": content_hash("text", body, {}),
                        "parent": None,
                        "message": "",
                        "author": "bench",
                        "created_at": at,
                    }
                ],
                "labels": [{"name": "latest", "version": 1, "updated_at": at, "updated_by": "b"}],
                "branches": [
                    {"name": "main", "base": None, "head": 1, "created_at": at, "created_by": "b"}
                ],
            }
        )
    bundle = {
        "format": "promptyard-bundle",
        "format_version": 1,
        "project": {"slug": "default", "name": "Default project"},
        "prompts": items,
    }
    ctx = RequestContext(actor=auth.authenticate_api_key(core, API_KEY))
    bundles.import_project(core, ctx=ctx, project_id=1, data=bundle)


def copy_vectors(core) -> int:  # type: ignore[no-untyped-def]
    """Give each prompt without an embedding the vector of an embedded prompt with the
    same corpus snippet."""
    from sqlalchemy import select

    from promptyard.services.quality.embeddings import LOCAL_MODEL
    from promptyard.store.models import SqlPrompt, SqlVersion, SqlVersionEmbedding

    snippets = sum(1 for line in CORPUS.read_text().splitlines() if line.strip())
    with core.store.read() as session:
        rows = session.execute(
            select(SqlPrompt.name, SqlVersion.id, SqlVersionEmbedding.vector)
            .join(SqlVersion, SqlVersion.prompt_id == SqlPrompt.id)
            .outerjoin(SqlVersionEmbedding, SqlVersionEmbedding.version_id == SqlVersion.id)
        ).all()
    by_snippet = {int(n[-5:]) % snippets: v for n, _, v in rows if v is not None}
    missing = [(int(n[-5:]) % snippets, vid) for n, vid, v in rows if v is None]
    now = core.clock()
    with core.store.write() as session:
        for snippet, version_id in missing:
            vector = by_snippet.get(snippet) or next(iter(by_snippet.values()))
            session.add(
                SqlVersionEmbedding(
                    version_id=version_id,
                    model=LOCAL_MODEL,
                    project_id=1,
                    dimensions=len(vector) // 4,
                    vector=vector,
                    created_at=now,
                )
            )
    return len(missing)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prompts", type=int, default=10_000)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--searches", type=int, default=50)
    parser.add_argument("--embed", type=int, default=500, help="versions embedded by the model")
    args = parser.parse_args()

    import numpy as np

    from promptyard.services.quality import embeddings, vectors

    ok, reason = embeddings.availability()
    if not ok:
        sys.exit(f"skipped: {reason}")
    workdir = Path(tempfile.mkdtemp(prefix="promptyard-semantic-"))
    url = args.database_url or f"sqlite:///{workdir / 'bench.db'}"
    cached = SEED_CACHE / f"semantic-seed-{args.prompts}.db"
    if args.database_url is None and cached.exists():
        shutil.copyfile(cached, workdir / "bench.db")
        core = build(url, workdir, fresh=False)
        seeded = 0.0
    else:
        core = build(url, workdir)
        started = time.perf_counter()
        seed(core, args.prompts)
        seeded = time.perf_counter() - started
        if args.database_url is None:
            SEED_CACHE.mkdir(exist_ok=True)
            core.store.dispose()
            shutil.copyfile(workdir / "bench.db", cached)
            core = build(url, workdir, fresh=False)

    started = time.perf_counter()
    embedded = 0
    wanted = args.embed or args.prompts
    while embedded < wanted:
        done = embeddings.embed_pending(core, batch=min(32, wanted - embedded))
        if not done:
            break
        embedded += done
    embedding = time.perf_counter() - started
    copied = copy_vectors(core) if embedded < args.prompts else 0

    started = time.perf_counter()
    first = embeddings.search(core, project_id=1, query="summarise support tickets")
    cold = (time.perf_counter() - started) * 1000
    samples = []
    for round_ in range(args.searches):
        started = time.perf_counter()
        embeddings.search(core, project_id=1, query=QUERIES[round_ % len(QUERIES)], limit=10)
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    matrix = vectors.project_vectors(core, 1, embeddings.LOCAL_MODEL)
    query = np.ones(matrix.matrix.shape[1], dtype=np.float32) / np.sqrt(matrix.matrix.shape[1])
    products, queries, checks = [], [], []
    embedder = embeddings.source_for(core, 1).make()
    for round_ in range(args.searches):
        started = time.perf_counter()
        matrix.search(query, 10)
        products.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        embedder.embed([QUERIES[round_ % len(QUERIES)]])
        queries.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        vectors.project_vectors(core, 1, embeddings.LOCAL_MODEL)
        checks.append((time.perf_counter() - started) * 1000)
    rows = [
        ("database", core.store.dialect, ""),
        ("prompts (1 version each)", f"{args.prompts:,} (seeded in {seeded:.1f} s, 0: cached)", ""),
        ("versions embedded by the job's step", f"{embedded:,}", ""),
        ("vectors copied from a same-snippet prompt", f"{copied:,}", ""),
        ("embedding throughput, one thread", f"{embedded / embedding:.0f} versions/s", ""),
        ("indexed after the job", f"{first['indexed']:,} (pending {first['pending']})", ""),
        ("first search (loads the vectors)", f"{cold:.0f} ms", ""),
        ("search: median", f"{statistics.median(samples):.1f} ms", "<= 100 ms"),
        ("search: p95", f"{samples[int(len(samples) * 0.95)]:.1f} ms", ""),
        ("  of which: embedding the query, median", f"{statistics.median(queries):.1f} ms", ""),
        ("  of which: freshness check, median", f"{statistics.median(checks):.1f} ms", ""),
        ("  of which: matrix product + top 10", f"{statistics.median(products):.2f} ms", ""),
        ("load average (1 min) after the run", f"{os.getloadavg()[0]:.1f} on 2 cores", ""),
    ]
    width = max(len(r[0]) for r in rows)
    print(f"{'measure'.ljust(width)} | {'result':>34} | target")
    print(f"{'-' * width}-|-{'-' * 34}-|-------")
    for name, value, target in rows:
        print(f"{name.ljust(width)} | {value:>34} | {target}")
    core.store.dispose()


if __name__ == "__main__":
    main()
