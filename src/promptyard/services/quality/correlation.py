"""Does the quality score mean anything? Its rank correlation with evaluation outcomes.

For every prompt version that finished evaluation runs scored, the outcome is the share
of passed scores of its run items (evaluators that answer pass/fail), or, where no
evaluator of it answers pass/fail, the mean score value; every version's quality score is
computed by the rules as :func:`findings.version_findings` does. The answer is Spearman's
rho over the versions with its 95 % interval (Fisher's z with the Fieller-Hartley-Pearson
standard error ``sqrt(1.06 / (n - 3))``), the p-value, and a plain statement that says so
when the evidence is weak: too few versions, an interval that includes 0, or |rho| < 0.3.
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any

from sqlalchemy import select

from promptyard.domain.errors import DomainError
from promptyard.services.context import Core
from promptyard.services.quality import findings
from promptyard.store.models import SqlEvaluationRun, SqlEvaluationRunItem

#: Versions read at most (each is scored by the rules: ~20 ms).
MAX_VERSIONS = 500
#: Run items read at most.
MAX_ITEMS = 200_000
MIN_N = 5
WEAK = 0.3


def _outcomes(core: Core, project_id: int) -> dict[tuple[str, int], dict[str, Any]]:
    query = (
        select(
            SqlEvaluationRun.prompt_name,
            SqlEvaluationRun.variants,
            SqlEvaluationRunItem.variant,
            SqlEvaluationRunItem.scores,
        )
        .join(SqlEvaluationRunItem, SqlEvaluationRunItem.run_id == SqlEvaluationRun.id)
        .where(
            SqlEvaluationRun.project_id == project_id,
            SqlEvaluationRun.status == "completed",
            SqlEvaluationRunItem.status == "done",
        )
        .limit(MAX_ITEMS)
    )
    passed: dict[tuple[str, int], list[float]] = defaultdict(list)
    values: dict[tuple[str, int], list[float]] = defaultdict(list)
    with core.store.read() as session:
        for prompt, variants, variant, item_scores in session.execute(query):
            if not isinstance(variants, list) or not 0 <= variant < len(variants):
                continue
            version = variants[variant].get("resolved_version")
            if not isinstance(version, int):
                continue
            key = (prompt, version)
            for score in (item_scores or {}).values():
                if not isinstance(score, dict):
                    continue
                if isinstance(score.get("passed"), bool):
                    passed[key].append(1.0 if score["passed"] else 0.0)
                elif isinstance(score.get("value"), int | float):
                    values[key].append(float(score["value"]))
    out = {}
    for key in set(passed) | set(values):
        chosen = passed[key] or values[key]
        out[key] = {
            "outcome": sum(chosen) / len(chosen),
            "measure": "pass rate" if passed[key] else "mean score",
            "scores": len(chosen),
        }
    return out


def _interval(rho: float, n: int) -> tuple[float, float] | None:
    if n < 4 or abs(rho) >= 1:
        return None
    z = math.atanh(rho)
    half = 1.959964 * math.sqrt(1.06 / (n - 3))
    return math.tanh(z - half), math.tanh(z + half)


def _statement(n: int, rho: float | None, ci: tuple[float, float] | None, p: float | None) -> str:
    if n >= MIN_N and rho is None:
        return (
            f"Nothing to correlate: over {n} evaluated versions the quality score or the "
            "outcome does not vary."
        )
    if n < MIN_N or rho is None:
        return (
            f"Not enough evidence: {n} evaluated version(s) (at least {MIN_N} are needed to "
            "say anything); run evaluations on more prompts or versions."
        )
    direction = "higher" if rho > 0 else "lower"
    interval = f"95 % CI {ci[0]:.2f} to {ci[1]:.2f}" if ci else "no interval"
    if ci is None or ci[0] <= 0 <= ci[1]:
        return (
            f"No reliable relation: rho = {rho:.2f} over {n} versions ({interval}, "
            f"p = {p:.2g}); the interval includes 0, so the quality score does not predict "
            "evaluation outcomes on this library (yet)."
        )
    if abs(rho) < WEAK:
        return (
            f"Weak: rho = {rho:.2f} over {n} versions ({interval}); versions with a higher "
            f"quality score tend to have {direction} evaluation outcomes, but the score "
            "explains little of the difference."
        )
    return (
        f"rho = {rho:.2f} over {n} versions ({interval}, p = {p:.2g}): versions with a "
        f"higher quality score have {direction} evaluation outcomes on this library. "
        "A correlation, not proof that fixing findings improves results."
    )


def score_correlation(core: Core, *, project_id: int) -> dict[str, Any]:
    """Spearman's rho between quality score and evaluation outcome across versions."""
    outcomes = _outcomes(core, project_id)
    keys = sorted(outcomes)[:MAX_VERSIONS]
    points = []
    for name, version in keys:
        try:
            found = findings.version_findings(
                core, project_id=project_id, name=name, version=version
            )
        except DomainError:  # the prompt or version is gone
            continue
        points.append(
            {
                "prompt": name,
                "version": version,
                "quality_score": found["score"],
                **outcomes[(name, version)],
            }
        )
    n = len(points)
    rho = p = None
    if n >= 3:
        from scipy.stats import spearmanr

        x = [pt["quality_score"] for pt in points]
        y = [pt["outcome"] for pt in points]
        if len(set(x)) > 1 and len(set(y)) > 1:
            result = spearmanr(x, y)
            rho, p = float(result.statistic), float(result.pvalue)
    ci = _interval(rho, n) if rho is not None else None
    strength = (
        "insufficient"
        if n < MIN_N or rho is None
        else "none"
        if ci is None or ci[0] <= 0 <= ci[1]
        else "weak"
        if abs(rho) < WEAK
        else "moderate"
        if abs(rho) < 0.6
        else "strong"
    )
    return {
        "n": n,
        "rho": None if rho is None else round(rho, 4),
        "p_value": None if p is None else round(p, 6),
        "ci_low": None if ci is None else round(ci[0], 4),
        "ci_high": None if ci is None else round(ci[1], 4),
        "strength": strength,
        "statement": _statement(n, rho, ci, p),
        "truncated": len(outcomes) > MAX_VERSIONS,
        "points": points,
    }
