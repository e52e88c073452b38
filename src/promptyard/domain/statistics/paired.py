"""Two variants on the same cases (offline experiments): paired t-test, Wilcoxon
signed-rank, McNemar, and the pairing of per-case scores."""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from promptyard.domain.statistics.lazy_scipy import stats
from promptyard.domain.statistics.results import Comparison

#: Below this many discordant pairs McNemar uses the exact binomial test.
MCNEMAR_EXACT_BELOW = 25


def pair_by_case(
    control: Mapping[Any, float] | Iterable[tuple[Any, float]],
    treatment: Mapping[Any, float] | Iterable[tuple[Any, float]],
) -> tuple[np.ndarray, np.ndarray, list[Hashable]]:
    """The scores of the cases both variants have, in the same order: two arrays and
    the case keys. A case scored several times (repetitions) counts its mean; a case
    only one variant has is left out; NaN scores are left out."""
    a, b = _means(control), _means(treatment)
    keys = [key for key in a if key in b]
    return (
        np.array([a[key] for key in keys], dtype=float),
        np.array([b[key] for key in keys], dtype=float),
        keys,
    )


def _means(
    scores: Mapping[Any, float] | Iterable[tuple[Any, float]],
) -> dict[Hashable, float]:
    items = scores.items() if isinstance(scores, Mapping) else scores
    sums: dict[Hashable, list[float]] = {}
    for key, value in items:
        if value is None or value != value:
            continue
        total = sums.setdefault(key, [0.0, 0.0])
        total[0] += float(value)
        total[1] += 1
    return {key: total / count for key, (total, count) in sums.items()}


def paired_t(control: ArrayLike, treatment: ArrayLike, *, alpha: float = 0.05) -> Comparison:
    """The paired t-test (``scipy.stats.ttest_rel``); estimate = the mean of the per-case
    differences treatment - control; effect size d_z = mean difference ÷ its standard
    deviation, with a normal-approximation interval (se² = 1/n + d_z²/(2n))."""
    a, b = _pair(control, treatment)
    diff = b - a
    n = int(diff.size)
    mean_a = float(a.mean()) if n else math.nan
    mean_b = float(b.mean()) if n else math.nan
    if n < 2:
        nan = math.nan
        return Comparison(
            "paired_t", mean_b - mean_a, nan, nan, nan, nan, n, n, mean_a, mean_b, "cohens_dz",
            nan, nan, nan, alpha,
        )  # fmt: skip
    mean = float(diff.mean())
    sd = float(diff.std(ddof=1))
    if sd == 0.0:
        p = 1.0 if mean == 0 else 0.0
        return Comparison(
            "paired_t", mean, mean, mean, p, math.copysign(math.inf, mean) if mean else 0.0,
            n, n, mean_a, mean_b, "cohens_dz", math.nan, math.nan, math.nan, alpha,
        )  # fmt: skip
    result = stats.ttest_rel(b, a)
    se = sd / math.sqrt(n)
    half = float(stats.t.ppf(1 - alpha / 2, n - 1)) * se
    dz = mean / sd
    z = float(stats.norm.ppf(1 - alpha / 2))
    dz_half = z * math.sqrt(1 / n + dz * dz / (2 * n))
    return Comparison(
        "paired_t", mean, mean - half, mean + half, float(result.pvalue),
        float(result.statistic), n, n, mean_a, mean_b, "cohens_dz",
        dz, dz - dz_half, dz + dz_half, alpha,
    )  # fmt: skip


def wilcoxon(
    control: ArrayLike,
    treatment: ArrayLike,
    *,
    alpha: float = 0.05,
    seed: int = 0,
    n_resamples: int = 400,
) -> Comparison:
    """The Wilcoxon signed-rank test (``scipy.stats.wilcoxon``, zero differences
    dropped): for scores that are not normal (ratings, bounded scores). Estimate: the
    Hodges-Lehmann pseudo-median of the differences (median of the Walsh averages)
    with a bootstrap interval (``n_resamples=0``: none); effect size: the matched-pairs
    rank-biserial correlation."""
    a, b = _pair(control, treatment)
    diff = b - a
    n = int(diff.size)
    mean_a = float(a.mean()) if n else math.nan
    mean_b = float(b.mean()) if n else math.nan
    nonzero = diff[diff != 0]
    if nonzero.size < 1 or n < 2:
        p = 1.0 if n >= 2 else math.nan
        return Comparison(
            "wilcoxon", 0.0, 0.0 if n >= 2 else math.nan, 0.0 if n >= 2 else math.nan, p, 0.0,
            n, n, mean_a, mean_b, "rank_biserial", 0.0, math.nan, math.nan, alpha,
        )  # fmt: skip
    result = stats.wilcoxon(b, a, zero_method="wilcox")
    estimate = _hodges_lehmann(diff)
    ranks = stats.rankdata(np.abs(nonzero))
    positive = float(ranks[nonzero > 0].sum())
    total = float(ranks.sum())
    r = (2 * positive - total) / total
    m = nonzero.size
    se_w = math.sqrt(m * (m + 1) * (2 * m + 1) / 24)
    z = float(stats.norm.ppf(1 - alpha / 2))
    r_half = 2 * z * se_w / total
    low, high = math.nan, math.nan
    if n_resamples:
        low, high = _bootstrap_paired(diff, _hodges_lehmann_vec, alpha, seed, n_resamples)
    return Comparison(
        "wilcoxon", estimate, low, high, float(result.pvalue), float(result.statistic),
        n, n, mean_a, mean_b, "rank_biserial", r, max(-1.0, r - r_half), min(1.0, r + r_half),
        alpha,
    )  # fmt: skip


def _hodges_lehmann(diff: np.ndarray) -> float:
    if diff.size > 2000:  # the Walsh averages grow as n²: their median from a subsample
        diff = np.random.default_rng(0).choice(diff, 2000, replace=False)
    i, j = np.triu_indices(diff.size)
    return float(np.median((diff[i] + diff[j]) / 2))


def _hodges_lehmann_vec(diff: np.ndarray, axis: int = -1) -> np.ndarray:
    data = np.moveaxis(np.asarray(diff), axis, -1)
    flat = data.reshape(-1, data.shape[-1])
    return np.array([_hodges_lehmann(row) for row in flat]).reshape(data.shape[:-1])


def _bootstrap_paired(
    diff: np.ndarray, statistic: object, alpha: float, seed: int, n_resamples: int
) -> tuple[float, float]:
    if diff.size < 2:
        return math.nan, math.nan
    sample = diff if diff.size <= 500 else np.random.default_rng(seed).choice(diff, 500, False)
    result = stats.bootstrap(
        (sample,),
        statistic,
        n_resamples=n_resamples,
        confidence_level=1 - alpha,
        method="percentile",
        rng=np.random.default_rng(seed),
        vectorized=True,
    )
    return float(result.confidence_interval.low), float(result.confidence_interval.high)


def mcnemar(control: ArrayLike, treatment: ArrayLike, *, alpha: float = 0.05) -> Comparison:
    """McNemar's test for paired pass/fail: only the discordant pairs count
    (b = control passed and treatment failed, c = the reverse). Exact (binomial,
    ``scipy.stats.binomtest``) below :data:`MCNEMAR_EXACT_BELOW` discordant pairs, else
    the chi-square with continuity correction. Estimate: the difference of pass rates
    (c - b)/n with its Wald interval for paired proportions; effect size: the
    conditional odds ratio c/b with its log-scale interval (0.5 added to empty cells)."""
    a, b_arr = _pair(control, treatment)
    a_pass, b_pass = a > 0.5, b_arr > 0.5
    n = int(a.size)
    b = int(np.sum(a_pass & ~b_pass))
    c = int(np.sum(~a_pass & b_pass))
    rate_a = float(a_pass.mean()) if n else math.nan
    rate_b = float(b_pass.mean()) if n else math.nan
    if n == 0:
        nan = math.nan
        return Comparison(
            "mcnemar_exact", nan, nan, nan, nan, nan, 0, 0, nan, nan, "odds_ratio",
            nan, nan, nan, alpha,
        )  # fmt: skip
    diff = (c - b) / n
    z = float(stats.norm.ppf(1 - alpha / 2))
    se = math.sqrt(max(0.0, (b + c) - (c - b) ** 2 / n)) / n
    if b + c == 0:
        test, statistic, p = "mcnemar_exact", 0.0, 1.0
    elif b + c < MCNEMAR_EXACT_BELOW:
        test, statistic = "mcnemar_exact", float(min(b, c))
        p = float(stats.binomtest(min(b, c), b + c, 0.5).pvalue)
    else:
        test = "mcnemar_chi2"
        statistic = (abs(b - c) - 1) ** 2 / (b + c)
        p = float(stats.chi2.sf(statistic, 1))
    bb, cc = (b + 0.5, c + 0.5) if b == 0 or c == 0 else (b, c)
    log_or = math.log(cc / bb)
    log_se = math.sqrt(1 / bb + 1 / cc)
    return Comparison(
        test, diff, diff - z * se, diff + z * se, min(1.0, p), statistic, n, n, rate_a, rate_b,
        "odds_ratio", math.exp(log_or), math.exp(log_or - z * log_se),
        math.exp(log_or + z * log_se), alpha,
    )  # fmt: skip


def _pair(control: ArrayLike, treatment: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    a = np.asarray(control, dtype=float).ravel()
    b = np.asarray(treatment, dtype=float).ravel()
    if a.shape != b.shape:
        raise ValueError(f"paired samples must have the same length ({a.size} != {b.size})")
    keep = ~(np.isnan(a) | np.isnan(b))
    return a[keep], b[keep]
