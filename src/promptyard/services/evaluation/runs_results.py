"""What a run found: its summary (per variant x evaluator, with 95 % intervals; cost,
latency; stability across repetitions), its per-case results with the variants' outputs
side by side, and a comparison with an earlier run of the same prompt (cases regressed or
improved per evaluator; the trend across the prompt's runs)."""

from __future__ import annotations

import difflib
import time
from collections import defaultdict
from typing import Any

from sqlalchemy import literal, select

from promptyard.domain import diff
from promptyard.domain.errors import ValidationFailed
from promptyard.services.context import Core
from promptyard.services.evaluation import runs, runs_stats
from promptyard.services.evaluation.runs_schemas import (
    RunCaseResult,
    RunComparePublic,
    RunResultsPublic,
)
from promptyard.store.models import SqlEvaluationRun, SqlEvaluationRunItem

#: Case ids listed per evaluator as regressed or improved (the counts are complete).
MAX_LISTED = 200
TREND_RUNS = 20
#: A running run's summary is computed again at most this often, and at most once per
#: twenty times what computing it last took (it reads every item: a few tenths of a second
#: for 20,000), so polling costs the run at most a twentieth of a core: the clients
#: polling a run share one summary instead of each paying for its own.
LIVE_SUMMARY_SECONDS = 1.0
LIVE_SUMMARY_COST_FACTOR = 20.0
monotonic = time.monotonic  # tests move it


def _items(core: Core, run_id: int, *, outputs: bool = True) -> list[Any]:
    """The run's items (``output`` is None unless ``outputs``: the texts are the bulk of
    the rows, and only the stability across repetitions compares them)."""
    output = SqlEvaluationRunItem.output if outputs else literal(None).label("output")
    with core.store.read() as session:
        return list(
            session.execute(
                select(
                    SqlEvaluationRunItem.case_index,
                    SqlEvaluationRunItem.case_id,
                    SqlEvaluationRunItem.variant,
                    SqlEvaluationRunItem.repetition,
                    SqlEvaluationRunItem.status,
                    output,
                    SqlEvaluationRunItem.scores,
                    SqlEvaluationRunItem.cost,
                    SqlEvaluationRunItem.latency_ms,
                    SqlEvaluationRunItem.cached,
                ).where(SqlEvaluationRunItem.run_id == run_id)
            )
        )


def _per_case(
    items: list[Any], variant: int, name: str
) -> dict[str, tuple[float | None, float | None]]:
    """case id → (pass share, mean value) over its repetitions, for one evaluator."""
    passed: dict[str, list[float]] = defaultdict(list)
    values: dict[str, list[float]] = defaultdict(list)
    for item in items:
        if item.variant != variant or item.status != "done":
            continue
        score = (item.scores or {}).get(name)
        if not score:
            continue
        if score.get("passed") is not None:
            passed[item.case_id].append(1.0 if score["passed"] else 0.0)
        value = runs_stats.finite(score.get("value"))
        if value is not None:
            values[item.case_id].append(value)
    found: dict[str, tuple[float | None, float | None]] = {}
    for case in set(passed) | set(values):
        p, v = passed.get(case), values.get(case)
        found[case] = (sum(p) / len(p) if p else None, sum(v) / len(v) if v else None)
    return found


def _evaluator_summary(items: list[Any], variant: int, name: str) -> dict[str, Any]:
    cases = _per_case(items, variant, name)
    rates = [p for p, _ in cases.values() if p is not None]
    means = [v for _, v in cases.values() if v is not None]
    pass_rate = runs_stats.estimate(rates, "pass_rate") if rates else None
    mean = runs_stats.estimate(means, "mean") if means else None
    headline = pass_rate or mean or runs_stats.estimate([], "mean")
    return {"name": name, **headline, "pass_rate": pass_rate, "mean": mean}


def summarize(core: Core, run_id: int) -> dict[str, Any]:
    """Per variant: each evaluator's pass rate and mean with 95 % bootstrap intervals (the
    case is the unit; repetitions averaged first), cost, latency, errors, cache hits, and
    stability across repetitions."""
    with core.store.read() as session:
        run = session.get(SqlEvaluationRun, run_id)
        assert run is not None
        names = [spec["name"] for spec in run.evaluators]
        variant_count, repetitions = len(run.variants), run.repetitions
    items = _items(core, run_id, outputs=repetitions > 1)
    variants: list[dict[str, Any]] = []
    for variant in range(variant_count):
        mine = [i for i in items if i.variant == variant]
        called = [i for i in mine if i.status == "done" and not i.cached]
        costs = [i.cost for i in mine if i.cost is not None]
        entry: dict[str, Any] = {
            "index": variant,
            "items": len(mine),
            "done": sum(i.status == "done" for i in mine),
            "failed": sum(i.status == "failed" for i in mine),
            "cached": sum(bool(i.cached) for i in mine),
            "evaluators": [_evaluator_summary(items, variant, name) for name in names],
            "cost": {
                "total": round(sum(costs), 8),
                "mean": round(sum(costs) / len(costs), 8) if costs else None,
            },
            "latency_ms": runs_stats.latency([i.latency_ms for i in called if i.latency_ms]),
            "stability": None,
        }
        if repetitions > 1:
            entry["stability"] = {
                name: runs_stats.stability(_repetitions(mine, name)) for name in names
            }
        variants.append(entry)
    return {"variants": variants, "evaluators": names}


def _repetitions(
    items: list[Any], name: str
) -> dict[int, list[tuple[float | None, bool | None, str | None]]]:
    found: dict[int, list[tuple[float | None, bool | None, str | None]]] = defaultdict(list)
    for item in items:
        if item.status != "done":
            continue
        score = (item.scores or {}).get(name) or {}
        found[item.case_index].append(
            (runs_stats.finite(score.get("value")), score.get("passed"), item.output)
        )
    return found


def live_summary(core: Core, project_id: int, run_id: int) -> dict[str, Any]:
    """The stored summary of a finished run, else a running run's summary: the last one
    computed while its progress has not moved, or while it is younger than
    :data:`LIVE_SUMMARY_SECONDS` (and twenty times its cost), else one computed now."""
    with core.store.read() as session:
        run = runs.load_run(session, project_id, run_id)
        if run.summary is not None:
            return dict(run.summary)
        progress = (run.done_items, run.failed_items)
    key = ("evaluation_run", run_id)
    now = monotonic()
    cached = core.cache.get(key, "live_summary")
    if cached is not None:
        seen, computed_at, cost, summary = cached
        fresh = now - computed_at < max(LIVE_SUMMARY_SECONDS, LIVE_SUMMARY_COST_FACTOR * cost)
        if seen == progress or fresh:
            return dict(summary)
    generation = core.cache.generation(key)
    summary = summarize(core, run_id)
    core.cache.put(key, "live_summary", (progress, now, monotonic() - now, summary), generation)
    return dict(summary)


# -- per-case results ----------------------------------------------------------------------


def diff_text(before: str | None, after: str | None) -> str:
    """A unified diff of two outputs, line by line ("" when they are equal)."""
    lines = difflib.unified_diff(
        (before or "").splitlines(),
        (after or "").splitlines(),
        fromfile="variant 0",
        tofile="this variant",
        lineterm="",
    )
    return "\n".join(lines)


def _diff(base: str | None, output: str | None, variant: int) -> dict[str, Any]:
    """Against variant 0: a unified line diff, and word spans with their counts (the
    console shows them as it shows a prompt's version diff)."""
    if variant == 0:
        return {"diff": None, "diff_spans": None, "diff_stats": None}
    spans = diff.word_diff(base or "", output or "")
    count = {
        op: sum(1 for s in spans if s.op == op for t in diff.tokenize(s.text) if not t.isspace())
        for op in ("insert", "delete")
    }
    return {
        "diff": diff_text(base, output),
        "diff_spans": [s.to_dict() for s in spans],
        "diff_stats": {"insertions": count["insert"], "deletions": count["delete"]},
    }


def results(
    core: Core, *, project_id: int, run_id: int, offset: int = 0, limit: int = 50
) -> RunResultsPublic:
    """Cases ``offset`` to ``offset + limit``: input, expected output, and per variant
    every repetition's output, scores, cost and latency, with a diff against variant 0."""
    with core.store.read() as session:
        run = runs.load_run(session, project_id, run_id)
        dataset, version, sweep = run.dataset_name, run.dataset_version, dict(run.sweep or {})
        total_cases = run.total_items // max(1, len(run.variants) * run.repetitions)
        variant_count = len(run.variants)
        rows = list(
            session.scalars(
                select(SqlEvaluationRunItem)
                .where(
                    SqlEvaluationRunItem.run_id == run_id,
                    SqlEvaluationRunItem.case_index >= offset,
                    SqlEvaluationRunItem.case_index < offset + limit,
                )
                .order_by(
                    SqlEvaluationRunItem.case_index,
                    SqlEvaluationRunItem.variant,
                    SqlEvaluationRunItem.repetition,
                )
            )
        )
    _, cases = runs.load_cases(core, project_id, dataset, version, sweep)
    grouped: dict[int, dict[int, list[SqlEvaluationRunItem]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for row in rows:
        grouped[row.case_index][row.variant].append(row)
    out: list[RunCaseResult] = []
    for case_index in sorted(grouped):
        case = cases[case_index] if case_index < len(cases) else None
        by_variant = grouped[case_index]
        first = by_variant.get(0, [])
        base = first[0].output if first else None
        entries = []
        for variant in range(variant_count):
            reps = by_variant.get(variant, [])
            entries.append(
                {
                    "variant": variant,
                    "outputs": [
                        {
                            "repetition": r.repetition,
                            "status": r.status,
                            "output": r.output,
                            "error": r.error,
                            "cached": r.cached,
                            "generation_id": r.generation_id,
                            "scores": r.scores or {},
                            "latency_ms": r.latency_ms,
                            "cost": r.cost,
                        }
                        for r in reps
                    ],
                    **_diff(base, reps[0].output if reps else None, variant),
                }
            )
        out.append(
            RunCaseResult(
                case_index=case_index,
                case_id=first[0].case_id if first else (case.id if case else ""),
                input=case.input if case else {},
                expected=case.expected if case else None,
                variants=entries,
            )
        )
    return RunResultsPublic(run_id=run_id, items=out, total=total_cases, offset=offset, limit=limit)


# -- comparison and trend ------------------------------------------------------------------


def _verdict(
    now: tuple[float | None, float | None], before: tuple[float | None, float | None]
) -> int:
    """+1 improved, -1 regressed, 0 the same (pass share first, else the mean value)."""
    for a, b in ((now[0], before[0]), (now[1], before[1])):
        if a is not None and b is not None:
            if a > b + 1e-9:
                return 1
            if a < b - 1e-9:
                return -1
            return 0
    return 0


def compare(
    core: Core,
    *,
    project_id: int,
    run_id: int,
    baseline_id: int,
    variant: int = 0,
    baseline_variant: int = 0,
) -> RunComparePublic:
    """Cases that regressed or improved per evaluator between a run's variant and an
    earlier run's (same prompt, cases matched by id), with both summaries and the
    prompt's trend."""
    with core.store.read() as session:
        run = runs.load_run(session, project_id, run_id)
        base = runs.load_run(session, project_id, baseline_id)
        if run.prompt_name != base.prompt_name:
            raise ValidationFailed(
                f"run {baseline_id} evaluated prompt {base.prompt_name!r}, run {run_id} "
                f"{run.prompt_name!r}: compare runs of the same prompt",
                code="different_prompts",
            )
        if not 0 <= variant < len(run.variants) or not 0 <= baseline_variant < len(base.variants):
            raise ValidationFailed("variant: no such variant in the run")
        names = [s["name"] for s in run.evaluators]
        base_names = {s["name"] for s in base.evaluators}
        prompt = run.prompt_name
    items, base_items = _items(core, run_id), _items(core, baseline_id)
    summary = live_summary(core, project_id, run_id)
    base_summary = live_summary(core, project_id, baseline_id)
    evaluated: list[dict[str, Any]] = []
    for name in names:
        if name not in base_names:
            continue
        now = _per_case(items, variant, name)
        before = _per_case(base_items, baseline_variant, name)
        regressed, improved, same = [], [], 0
        for case in sorted(set(now) & set(before)):
            verdict = _verdict(now[case], before[case])
            if verdict < 0:
                regressed.append(case)
            elif verdict > 0:
                improved.append(case)
            else:
                same += 1
        evaluated.append(
            {
                "name": name,
                "run": _pick(summary, variant, name),
                "baseline": _pick(base_summary, baseline_variant, name),
                "regressed_count": len(regressed),
                "improved_count": len(improved),
                "unchanged_count": same,
                "regressed": regressed[:MAX_LISTED],
                "improved": improved[:MAX_LISTED],
            }
        )
    return RunComparePublic(
        run_id=run_id,
        baseline_id=baseline_id,
        variant=variant,
        baseline_variant=baseline_variant,
        evaluators=evaluated,
        trend=trend(core, project_id=project_id, prompt=prompt),
    )


def _pick(summary: dict[str, Any], variant: int, name: str) -> dict[str, Any] | None:
    for entry in summary.get("variants", []):
        if entry["index"] == variant:
            for found in entry["evaluators"]:
                if found["name"] == name:
                    return dict(found)
    return None


def trend(core: Core, *, project_id: int, prompt: str) -> list[dict[str, Any]]:
    """The prompt's last completed runs, oldest first: per variant its version, model and
    each evaluator's headline value (pass rate, else mean)."""
    with core.store.read() as session:
        found = list(
            session.scalars(
                select(SqlEvaluationRun)
                .where(
                    SqlEvaluationRun.project_id == project_id,
                    SqlEvaluationRun.prompt_name == prompt,
                    SqlEvaluationRun.status == "completed",
                )
                .order_by(SqlEvaluationRun.id.desc())
                .limit(TREND_RUNS)
            )
        )
        points = []
        for run in reversed(found):
            summary = run.summary or {}
            for entry in summary.get("variants", []):
                spec = run.variants[entry["index"]]
                points.append(
                    {
                        "run_id": run.id,
                        "created_at": run.created_at.isoformat(),
                        "variant": entry["index"],
                        "version": spec.get("resolved_version"),
                        "model": spec.get("model"),
                        "values": {e["name"]: e["value"] for e in entry["evaluators"]},
                    }
                )
    return points
