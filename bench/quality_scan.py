"""Benchmark: the security rules' precision and recall on the labelled corpus, the time to
lint and scan one version, and a whole project of 10,000 prompts scanned.

Targets (issue 12): lint + scan of one version <= 20 ms median; 10,000 prompts <= 60 s.

1. Precision and recall per security rule on bench/data/quality_corpus.jsonl, for the
   ``dev`` snippets (the rules were corrected against them) and the ``holdout`` snippets
   (written afterwards, never used to change a rule). Definitions in
   ``promptyard.services.quality.measure``.
2. Every rule (quality and security) over each corpus snippet, and over a 6 KB prompt,
   repeated: median and p95 per version.
3. 10,000 prompts (corpus contents, each made unique) imported into a fresh SQLite
   database, then ``findings.scan_project`` with a cold cache: what ``POST /api/v1/scan``
   and ``promptyard scan`` run; then the near-duplicate report and "similar prompts" over
   the same 10,000 (40 copies of each snippet, made unique by a suffix: a worst case of
   duplication).
4. With ``promptyard[semantic]`` installed: embedding time per prompt, and a semantic
   query (embedding it + exact search) over 10,000 vectors.

Run: ``.venv/bin/python bench/quality_scan.py [--prompts 10000] [--repeat 20]``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from promptyard.plugins.manager import build_plugin_manager, collect_quality_rules
from promptyard.services.quality import engine, measure

CORPUS = Path(__file__).resolve().parent / "data" / "quality_corpus.jsonl"
API_KEY = "py_bench_key_0123456789abcdef"


def precision_recall(rules: dict[str, Any], snippets: list[dict[str, Any]]) -> None:
    tables = {
        split: measure.tally(rules, [s for s in snippets if s.get("split", "dev") == split])
        for split in ("dev", "holdout")
    }
    counts = {
        split: sum(1 for s in snippets if s.get("split", "dev") == split)
        for split in ("dev", "holdout")
    }
    print(f"corpus: {len(snippets)} snippets, dev {counts['dev']}, holdout {counts['holdout']}")
    print(
        f"{'rule':30} | {'dev P':>6} | {'dev R':>6} | {'n':>3} | {'hold P':>6} | {'hold R':>6} | n"
    )
    print(f"{'-' * 30}-|--------|--------|-----|--------|--------|---")
    for rule in tables["dev"]:
        dev, hold = tables["dev"][rule], tables["holdout"][rule]
        n_dev = dev.true_positives + dev.false_negatives
        n_hold = hold.true_positives + hold.false_negatives
        print(
            f"{rule:30} | {dev.precision:6.2f} | {dev.recall:6.2f} | {n_dev:3d} | "
            f"{hold.precision:6.2f} | {hold.recall:6.2f} | {n_hold}"
        )
    for split, table in tables.items():
        for rule, entry in table.items():
            if rule == "any":
                continue
            for snippet in entry.missed:
                print(f"  {split}: {rule} missed {snippet}")
            for snippet in entry.spurious:
                print(f"  {split}: {rule} false positive {snippet}")
    print()


def _evaluate(rules: dict[str, Any], snippet: dict[str, Any]) -> None:
    engine.evaluate(
        rules,
        name="bench",
        type_=snippet["type"],
        content=snippet["content"],
        config=snippet.get("config") or {"model": "gpt-4o"},
        variables=(),
    )


def latency(rules: dict[str, Any], snippets: list[dict[str, Any]], repeat: int) -> None:
    long_text = "\n\n".join(str(s["content"]) for s in snippets[:60] if s["type"] == "text")
    long_snippet = {"type": "text", "content": long_text[:6000], "config": {"model": "gpt-4o"}}
    _evaluate(rules, snippets[0])  # loads detect-secrets and the token encoding
    rows = []
    for label, items in (
        ("corpus snippet (~250 chars)", snippets),
        ("6 KB prompt", [long_snippet]),
    ):
        samples = []
        for _ in range(repeat if len(items) > 1 else repeat * 20):
            for snippet in items:
                started = time.perf_counter_ns()
                _evaluate(rules, snippet)
                samples.append((time.perf_counter_ns() - started) / 1e6)
        samples.sort()
        rows.append((label, statistics.median(samples), samples[int(len(samples) * 0.95)]))
    print(f"{'lint + scan of one version':30} | median ms | p95 ms | target")
    print(f"{'-' * 30}-|-----------|--------|-------")
    for label, median, p95 in rows:
        print(f"{label:30} | {median:9.2f} | {p95:6.2f} | <= 20 ms median")
    print()


def seed(path: Path, snippets: list[dict[str, Any]], prompts: int) -> Any:
    from promptyard.config import Settings
    from promptyard.domain.actor import RequestContext
    from promptyard.domain.content import content_hash
    from promptyard.services.identity import auth
    from promptyard.services.prompts import bundles
    from promptyard.store import migrate
    from promptyard.store.engine import Store
    from promptyard.wiring import build_core

    settings = Settings(
        data_dir=path.parent, database_url=f"sqlite:///{path}", init_api_key=API_KEY
    )
    store = Store(settings.resolved_database_url())
    migrate.upgrade(store)
    core = build_core(settings, store, entry_points=False)
    auth.bootstrap(core)
    ctx = RequestContext(actor=auth.authenticate_api_key(core, API_KEY))
    at = "2026-01-01T00:00:00+00:00"
    items = []
    for index in range(prompts):
        snippet = snippets[index % len(snippets)]
        content: Any = snippet["content"]
        if isinstance(content, str):
            content = f"{content}\n(variant {index})"
        else:
            content = [
                *content[:-1],
                {**content[-1], "content": f"{content[-1]['content']} #{index}"},
            ]
        config = {"model": "gpt-4o"}
        version = {
            "number": 1,
            "branch": "main",
            "type": snippet["type"],
            "content": content,
            "config": config,
            "variables": [],
            "references": [],
            "content_hash": content_hash(snippet["type"], content, config),
            "parent": None,
            "message": "seed",
            "author": "key:bench",
            "created_at": at,
        }
        items.append(
            {
                "name": f"prompt-{index:05d}",
                "folder": f"team-{index % 20}",
                "type": snippet["type"],
                "tags": [],
                "created_at": at,
                "created_by": "key:bench",
                "updated_at": at,
                "updated_by": "key:bench",
                "versions": [version],
                "labels": [
                    {"name": "latest", "version": 1, "updated_at": at, "updated_by": "key:bench"}
                ],
                "branches": [
                    {
                        "name": "main",
                        "base": None,
                        "head": 1,
                        "created_at": at,
                        "created_by": "key:bench",
                    }
                ],
            }
        )
    bundle = {
        "format": "promptyard-bundle",
        "format_version": 1,
        "project": {"slug": "default", "name": "Default project"},
        "prompts": items,
    }
    started = time.perf_counter()
    bundles.import_project(core, ctx=ctx, project_id=1, data=bundle)
    print(f"  seeded {prompts} prompts in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return core


def project_scan(snippets: list[dict[str, Any]], prompts: int) -> None:
    from promptyard.services.quality import findings, similarity

    with tempfile.TemporaryDirectory() as folder:
        core = seed(Path(folder) / "bench.db", snippets, prompts)
        started = time.perf_counter()
        report = findings.scan_project(core, project_id=1, limit=prompts)
        cold = time.perf_counter() - started
        started = time.perf_counter()
        findings.scan_project(core, project_id=1, limit=prompts)
        warm = time.perf_counter() - started
        started = time.perf_counter()
        duplicates = similarity.near_duplicates(core, project_id=1, limit=prompts)
        near = time.perf_counter() - started
        similar_ms = []
        for index in range(0, prompts, max(1, prompts // 20)):
            started = time.perf_counter()
            similarity.similar(core, project_id=1, name=f"prompt-{index:05d}")
            similar_ms.append((time.perf_counter() - started) * 1000)
        core.store.dispose()
    print(f"{'project scan':30} | seconds | per prompt ms | target")
    print(f"{'-' * 30}-|---------|---------------|-------")
    print(
        f"{f'{prompts} prompts, cold':30} | {cold:7.1f} | {cold / prompts * 1000:13.2f} | <= 60 s"
    )
    print(f"{f'{prompts} prompts, cached':30} | {warm:7.1f} | {warm / prompts * 1000:13.2f} |")
    print(
        f"  report: {report['prompts']} prompts, mean score {report['mean_score']}, "
        f"{report['counts']['high']} high-severity findings"
    )
    print()
    print(f"{'near-duplicates':30} | seconds | found")
    print(f"{'-' * 30}-|---------|------")
    print(
        f"{f'{prompts} prompts, project report':30} | {near:7.1f} | "
        f"{duplicates['pairs_found']} pairs in {len(duplicates['groups'])} groups (>= 0.7)"
    )
    print(
        f"{'similar to one prompt (median)':30} | {statistics.median(similar_ms) / 1000:7.2f} | "
        f"exact Jaccard against all {prompts}"
    )


def semantic(snippets: list[dict[str, Any]], prompts: int) -> None:
    """Embedding throughput (one thread) and search over ``prompts`` vectors."""
    import numpy as np

    from promptyard.services.quality import embeddings
    from promptyard.services.quality.vectors import Matrix

    ok, reason = embeddings.availability()
    if not ok:
        print(f"semantic search: skipped ({reason})")
        return
    embedder = embeddings.Embedder()
    texts = [embeddings.document(s["id"], s["content"]) for s in snippets]
    embedder.embed(texts[:8])
    started = time.perf_counter()
    vectors = [v for i in range(0, len(texts), 32) for v in embedder.embed(texts[i : i + 32])]
    per_text = (time.perf_counter() - started) / len(texts)
    names = [f"prompt-{number:05d}" for number in range(prompts)]
    rows = np.stack([vectors[number % len(vectors)] for number in range(prompts)])
    index = Matrix(names, [1] * prompts, rows)
    queries = ["summarise support tickets", "translate to French", "find secrets in a key"]
    samples = []
    for round_ in range(30):
        started = time.perf_counter()
        query = embedder.embed([queries[round_ % len(queries)]])[0]
        index.search(query, 10)
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    print()
    print(f"{'semantic search':30} | result")
    print(f"{'-' * 30}-|-------")
    print(
        f"{'embedding, one thread':30} | {per_text * 1000:.1f} ms a prompt "
        f"({prompts * per_text / 60:.1f} min for {prompts})"
    )
    print(
        f"{f'query over {prompts} prompts':30} | median {statistics.median(samples):.1f} ms, "
        f"p95 {samples[int(len(samples) * 0.95)]:.1f} ms (target <= 100 ms)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--prompts", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    rules = collect_quality_rules(build_plugin_manager(entry_points=False))
    snippets = measure.load_corpus(CORPUS)
    precision_recall(rules, snippets)
    latency(rules, snippets, args.repeat)
    if args.prompts:
        project_scan(snippets, args.prompts)
        semantic(snippets, args.prompts)


if __name__ == "__main__":
    main()
