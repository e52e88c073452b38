"""The numbers of a run's results: a mean (or pass rate) with a 95 % bootstrap
confidence interval, latency percentiles, and stability across repetitions.

Intervals come from :func:`scipy.stats.bootstrap` (percentile method, 2,000 resamples,
a fixed seed so that the same results always give the same interval). With repetitions,
the unit resampled is the case (its repetitions averaged first): repetitions of one case
are not independent observations.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from promptyard.domain.statistics.lazy_scipy import stats

CONFIDENCE = 0.95
RESAMPLES = 2000
SEED = 20261202
#: Resamples computed at once: bounds memory (BATCH x values floats) on large runs.
BATCH = 100


def bootstrap_ci(
    values: Sequence[float], *, resamples: int = RESAMPLES, seed: int = SEED
) -> tuple[float | None, float | None]:
    """The 95 % percentile bootstrap interval of the mean of ``values``; ``(None, None)``
    with fewer than two values; the value itself when they are all equal."""
    data = np.asarray(values, dtype=float)
    if data.size < 2:
        return None, None
    if bool(np.all(data == data[0])):
        return float(data[0]), float(data[0])
    result = stats.bootstrap(
        (data,),
        np.mean,
        confidence_level=CONFIDENCE,
        n_resamples=resamples,
        method="percentile",
        vectorized=True,
        batch=BATCH,
        rng=np.random.default_rng(seed),
    )
    low, high = result.confidence_interval
    return float(low), float(high)


def estimate(values: Sequence[float], kind: str) -> dict[str, Any]:
    """``{"kind", "value", "ci_low", "ci_high", "n"}``: the mean (or pass rate) and its
    interval."""
    if not values:
        return {"kind": kind, "value": None, "ci_low": None, "ci_high": None, "n": 0}
    low, high = bootstrap_ci(values)
    return {
        "kind": kind,
        "value": float(np.mean(values)),
        "ci_low": low,
        "ci_high": high,
        "n": len(values),
    }


def latency(values: Sequence[float]) -> dict[str, float | None]:
    if not values:
        return {"mean": None, "p50": None, "p95": None}
    data = np.asarray(values, dtype=float)
    return {
        "mean": round(float(data.mean()), 3),
        "p50": round(float(np.percentile(data, 50)), 3),
        "p95": round(float(np.percentile(data, 95)), 3),
    }


def stability(
    per_case: dict[int, list[tuple[float | None, bool | None, str | None]]],
) -> dict[str, Any]:
    """Over cases with two or more repetitions: the mean per-case standard deviation of
    the score, the share of cases whose repetitions all agree on pass/fail, and the
    share whose outputs are all identical."""
    stds: list[float] = []
    agree: list[bool] = []
    same_output: list[bool] = []
    for reps in per_case.values():
        if len(reps) < 2:
            continue
        numbers = [v for v, _, _ in reps if v is not None]
        if len(numbers) >= 2:
            stds.append(float(np.std(numbers, ddof=1)))
        verdicts = [p for _, p, _ in reps if p is not None]
        if len(verdicts) >= 2:
            agree.append(len(set(verdicts)) == 1)
        outputs = [o for _, _, o in reps]
        same_output.append(len(set(outputs)) == 1)
    if not same_output:
        return {"cases": 0, "mean_std": None, "pass_agreement": None, "output_agreement": None}
    return {
        "cases": len(same_output),
        "mean_std": round(float(np.mean(stds)), 6) if stds else None,
        "pass_agreement": round(sum(agree) / len(agree), 6) if agree else None,
        "output_agreement": round(sum(same_output) / len(same_output), 6),
    }


def finite(value: Any) -> float | None:
    """A score's value as a float, or None (missing, not a number, infinite)."""
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int | float) and math.isfinite(value):
        return float(value)
    return None
