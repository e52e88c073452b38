"""Two independent samples (online experiments): Welch, Mann-Whitney, two proportions,
bootstrap intervals."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike

from promptyard.domain.statistics.lazy_scipy import stats
from promptyard.domain.statistics.results import Comparison, Summary

#: Mann-Whitney and the bootstrap look at raw values: above this many per sample they
#: take an even subsample (seeded), so an answer stays fast over millions of rows.
MAX_RAW = 20_000


def welch(control: ArrayLike, treatment: ArrayLike, *, alpha: float = 0.05) -> Comparison:
    """Welch's t-test (unequal variances) on two samples; estimate = mean difference."""
    return welch_from_summary(Summary.of(control), Summary.of(treatment), alpha=alpha)


def welch_from_summary(control: Summary, treatment: Summary, *, alpha: float = 0.05) -> Comparison:
    """Welch's t-test from sizes, means and variances (what SQL aggregates give).

    Same statistic and p-value as ``scipy.stats.ttest_ind(equal_var=False)``; the
    interval uses the Welch-Satterthwaite degrees of freedom. Effect size: Cohen's d
    (pooled standard deviation) with the usual large-sample interval.
    """
    n1, n2 = control.n, treatment.n
    diff = treatment.mean - control.mean
    if n1 < 2 or n2 < 2:
        return _undetermined("welch_t", control, treatment, "cohens_d", alpha)
    v1, v2 = control.variance / n1, treatment.variance / n2
    se = math.sqrt(v1 + v2)
    if se == 0.0:
        p = 1.0 if diff == 0 else 0.0
        return Comparison(
            "welch_t", diff, diff, diff, p, math.copysign(math.inf, diff) if diff else 0.0,
            n1, n2, control.mean, treatment.mean, "cohens_d", math.nan, math.nan, math.nan, alpha,
        )  # fmt: skip
    df = (v1 + v2) ** 2 / (v1**2 / (n1 - 1) + v2**2 / (n2 - 1))
    t = diff / se
    p = float(2 * stats.t.sf(abs(t), df))
    half = float(stats.t.ppf(1 - alpha / 2, df)) * se
    d, d_low, d_high = cohens_d(control, treatment, alpha)
    return Comparison(
        "welch_t", diff, diff - half, diff + half, p, t, n1, n2,
        control.mean, treatment.mean, "cohens_d", d, d_low, d_high, alpha,
    )  # fmt: skip


def cohens_d(
    control: Summary, treatment: Summary, alpha: float = 0.05
) -> tuple[float, float, float]:
    """Cohen's d with the pooled standard deviation, and its normal-approximation interval
    (Hedges & Olkin: se² = (n1+n2)/(n1·n2) + d²/(2(n1+n2)))."""
    n1, n2 = control.n, treatment.n
    pooled = ((n1 - 1) * control.variance + (n2 - 1) * treatment.variance) / (n1 + n2 - 2)
    if pooled <= 0:
        return math.nan, math.nan, math.nan
    d = (treatment.mean - control.mean) / math.sqrt(pooled)
    se = math.sqrt((n1 + n2) / (n1 * n2) + d * d / (2 * (n1 + n2)))
    z = float(stats.norm.ppf(1 - alpha / 2))
    return d, d - z * se, d + z * se


def _undetermined(
    test: str, control: Summary, treatment: Summary, effect: str, alpha: float
) -> Comparison:
    nan = math.nan
    return Comparison(
        test, treatment.mean - control.mean, nan, nan, nan, nan, control.n, treatment.n,
        control.mean, treatment.mean, effect, nan, nan, nan, alpha,
    )  # fmt: skip


def mann_whitney(
    control: ArrayLike,
    treatment: ArrayLike,
    *,
    alpha: float = 0.05,
    seed: int = 0,
    n_resamples: int = 2000,
) -> Comparison:
    """Mann-Whitney U (two-sided, ``scipy.stats.mannwhitneyu``): for skewed metrics
    such as latency. Estimate: the difference of medians, with a bootstrap interval;
    effect size: the rank-biserial correlation r = 2U/(n1·n2) - 1 (the probability that
    a treatment value exceeds a control value, rescaled to -1…1) with an interval from
    the U statistic's normal approximation (``n_resamples=0``: no interval)."""
    a = _subsample(np.asarray(control, dtype=float), seed)
    b = _subsample(np.asarray(treatment, dtype=float), seed + 1)
    n1, n2 = a.size, b.size
    if n1 < 2 or n2 < 2:
        return _undetermined("mann_whitney", Summary.of(a), Summary.of(b), "rank_biserial", alpha)
    result = stats.mannwhitneyu(b, a, alternative="two-sided")
    u = float(result.statistic)
    r = 2 * u / (n1 * n2) - 1
    se_u = math.sqrt(n1 * n2 * (n1 + n2 + 1) / 12)
    z = float(stats.norm.ppf(1 - alpha / 2))
    r_half = 2 * z * se_u / (n1 * n2)
    diff = float(np.median(b) - np.median(a))
    low, high = math.nan, math.nan
    if n_resamples:
        low, high = bootstrap_ci(
            a, b, statistic=_median_diff, alpha=alpha, seed=seed, n_resamples=n_resamples
        )
    return Comparison(
        "mann_whitney", diff, low, high, float(result.pvalue), u, n1, n2,
        float(np.median(a)), float(np.median(b)), "rank_biserial",
        r, max(-1.0, r - r_half), min(1.0, r + r_half), alpha,
    )  # fmt: skip


def _median_diff(a: np.ndarray, b: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.asarray(np.median(b, axis=axis) - np.median(a, axis=axis))


def _mean_diff(a: np.ndarray, b: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.asarray(np.mean(b, axis=axis) - np.mean(a, axis=axis))


def _subsample(values: np.ndarray, seed: int) -> np.ndarray:
    if values.size <= MAX_RAW:
        return values
    return np.random.default_rng(seed).choice(values, MAX_RAW, replace=False)


def bootstrap_ci(
    control: ArrayLike,
    treatment: ArrayLike,
    *,
    statistic: Callable[..., np.ndarray] | None = None,
    alpha: float = 0.05,
    n_resamples: int = 2000,
    seed: int = 0,
    method: str = "percentile",
) -> tuple[float, float]:
    """A bootstrap interval (``scipy.stats.bootstrap``, independent resampling of each
    sample) of ``statistic(control, treatment)``, by default the mean difference."""
    a = _subsample(np.asarray(control, dtype=float), seed)
    b = _subsample(np.asarray(treatment, dtype=float), seed + 1)
    if a.size < 2 or b.size < 2:
        return math.nan, math.nan
    result = stats.bootstrap(
        (a, b),
        statistic or _mean_diff,
        n_resamples=n_resamples,
        confidence_level=1 - alpha,
        method=method,
        rng=np.random.default_rng(seed),
        vectorized=True,
        paired=False,
    )
    return float(result.confidence_interval.low), float(result.confidence_interval.high)


def two_proportions(
    successes_control: int,
    n_control: int,
    successes_treatment: int,
    n_treatment: int,
    *,
    alpha: float = 0.05,
) -> Comparison:
    """The two-proportion z-test (pooled standard error for the test, unpooled for the
    interval of the difference); equal to the chi-square test of the 2x2 table without
    continuity correction. Effect size: Cohen's h = 2·asin√p₂ - 2·asin√p₁."""
    n1, n2 = n_control, n_treatment
    if n1 < 1 or n2 < 1:
        nan = math.nan
        return Comparison(
            "two_proportion_z", nan, nan, nan, nan, nan, n1, n2, nan, nan, "cohens_h",
            nan, nan, nan, alpha,
        )  # fmt: skip
    p1, p2 = successes_control / n1, successes_treatment / n2
    diff = p2 - p1
    pooled = (successes_control + successes_treatment) / (n1 + n2)
    se0 = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    z_crit = float(stats.norm.ppf(1 - alpha / 2))
    if se0 == 0:
        z, p = 0.0, 1.0
    else:
        z = diff / se0
        p = float(2 * stats.norm.sf(abs(z)))
    se = math.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
    h = 2 * math.asin(math.sqrt(p2)) - 2 * math.asin(math.sqrt(p1))
    h_half = z_crit * math.sqrt(1 / n1 + 1 / n2)
    return Comparison(
        "two_proportion_z", diff, diff - z_crit * se, diff + z_crit * se, p, z, n1, n2,
        p1, p2, "cohens_h", h, h - h_half, h + h_half, alpha,
    )  # fmt: skip
