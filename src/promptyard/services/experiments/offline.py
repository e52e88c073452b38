"""Offline experiments: variants scored on the same dataset cases, compared pair by case.

:func:`compare` takes plain per-case scores (any source); :func:`compare_run` reads them
from an evaluation run's items (``evaluation_run_items.scores``, one per case x variant x
repetition; repetitions are averaged per case). Scores: the paired t-test, or Wilcoxon
signed-rank when the differences are far from normal (``test="auto"``); pass/fail:
McNemar. Each with the effect size, its interval and a verdict in words.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any

import numpy as np
from sqlalchemy import select

from promptyard.domain.errors import NotFound, ValidationFailed
from promptyard.domain.statistics import (
    Comparison,
    mcnemar,
    pair_by_case,
    paired_t,
    verdict,
    wilcoxon,
)
from promptyard.domain.statistics.lazy_scipy import stats
from promptyard.domain.statistics.results import finite
from promptyard.services.context import Core
from promptyard.services.experiments.schemas import (
    ComparisonPublic,
    Direction,
    Interval,
    OfflineCompareIn,
    OfflineComparisonPublic,
)
from promptyard.store.models import SqlEvaluationRun, SqlEvaluationRunItem

#: ``test="auto"`` moves to Wilcoxon when Shapiro-Wilk rejects normality of the
#: differences at this level (and there are enough cases to tell).
NORMALITY_ALPHA = 0.01


def choose_test(diff: np.ndarray) -> str:
    if diff.size < 8 or np.ptp(diff) == 0:
        return "paired_t"
    sample = diff if diff.size <= 5000 else diff[:5000]
    return "wilcoxon" if stats.shapiro(sample).pvalue < NORMALITY_ALPHA else "paired_t"


def compare_pair(
    control: Mapping[Hashable, float],
    treatment: Mapping[Hashable, float],
    *,
    kind: str = "score",
    test: str = "auto",
    alpha: float = 0.05,
) -> tuple[Comparison, int]:
    """One variant against the control over the cases both have: (result, cases)."""
    a, b, keys = pair_by_case(control, treatment)
    if kind == "pass_fail":
        return mcnemar(a, b, alpha=alpha), len(keys)
    chosen = choose_test(b - a) if test == "auto" else test
    fn = wilcoxon if chosen == "wilcoxon" else paired_t
    return fn(a, b, alpha=alpha), len(keys)


def compare(data: OfflineCompareIn) -> OfflineComparisonPublic:
    names = list(data.variants)
    return _compare(
        names, data.variants, data.kind, data.test, data.metric, data.direction, data.alpha
    )


def _compare(
    names: list[str],
    scores: Mapping[str, Mapping[Any, float]],
    kind: str,
    test: str,
    metric: str,
    direction: Direction,
    alpha: float,
) -> OfflineComparisonPublic:
    control = names[0]
    comparisons, cases = [], 0
    for name in names[1:]:
        result, n = compare_pair(scores[control], scores[name], kind=kind, test=test, alpha=alpha)
        cases = max(cases, n)
        said = verdict(result, metric=metric, direction=direction, control=control, treatment=name)
        comparisons.append(
            ComparisonPublic(
                variant=name,
                test=result.test,
                estimate=finite(result.estimate),
                relative=finite(result.relative),
                ci=Interval(low=finite(result.ci_low), high=finite(result.ci_high)),
                p_value=finite(result.p_value),
                effect_name=result.effect_name,
                effect_size=finite(result.effect_size),
                effect_ci=Interval(
                    low=finite(result.effect_ci_low), high=finite(result.effect_ci_high)
                ),
                always_valid_p=None,
                always_valid_ci=Interval(low=None, high=None),
                verdict=said.outcome,
                verdict_text=said.text,
                error_probability=finite(said.error_probability),
                needed_per_variant=said.needed_per_variant,
            )
        )
    return OfflineComparisonPublic(
        control=control, metric=metric, cases=cases, comparisons=comparisons
    )


def variant_name(index: int, variant: Mapping[str, Any]) -> str:
    what = variant.get("label") or (
        f"v{variant['version']}"
        if variant.get("version")
        else f"v{variant.get('resolved_version')}"
    )
    model = variant.get("model")
    return f"{index}:{what}" + (f"@{model}" if model else "")


def compare_run(
    core: Core,
    *,
    project_id: int,
    run_id: int,
    evaluator: str,
    kind: str = "score",
    test: str = "auto",
    direction: Direction = "higher",
    alpha: float = 0.05,
) -> OfflineComparisonPublic:
    """Compare the variants of an evaluation run on one evaluator, paired by case (the
    first variant is the control)."""
    with core.store.read() as session:
        run = session.execute(
            select(SqlEvaluationRun).where(
                SqlEvaluationRun.project_id == project_id, SqlEvaluationRun.id == run_id
            )
        ).scalar_one_or_none()
        if run is None:
            raise NotFound(f"evaluation run {run_id} not found", details={"run": run_id})
        names = [variant_name(i, v) for i, v in enumerate(run.variants)]
        scores: dict[str, list[tuple[Hashable, float]]] = {name: [] for name in names}
        rows = session.execute(
            select(
                SqlEvaluationRunItem.variant,
                SqlEvaluationRunItem.case_id,
                SqlEvaluationRunItem.scores,
            ).where(SqlEvaluationRunItem.run_id == run_id, SqlEvaluationRunItem.status == "done")
        )
        for variant, case_id, item_scores in rows:
            found = (item_scores or {}).get(evaluator)
            if not isinstance(found, dict) or variant >= len(names):
                continue
            if kind == "pass_fail":
                passed = found.get("passed")
                if passed is None:
                    continue
                value = 1.0 if passed else 0.0
            else:
                raw = found.get("value")
                if raw is None and found.get("passed") is not None:
                    raw = 1.0 if found["passed"] else 0.0
                if not isinstance(raw, (int, float)):
                    continue
                value = float(raw)
            scores[names[variant]].append((case_id, value))
    if len(names) < 2:
        raise ValidationFailed("the run has one variant: nothing to compare")
    per_case = {name: dict(_mean_by_case(values)) for name, values in scores.items()}
    return _compare(names, per_case, kind, test, evaluator, direction, alpha)


def _mean_by_case(values: list[tuple[Hashable, float]]) -> dict[Hashable, float]:
    sums: dict[Hashable, list[float]] = {}
    for key, value in values:
        entry = sums.setdefault(key, [0.0, 0.0])
        entry[0] += value
        entry[1] += 1
    return {key: total / count for key, (total, count) in sums.items()}
