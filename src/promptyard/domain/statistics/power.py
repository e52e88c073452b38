"""Power and sample size: two means (t-test, independent or paired) and two
proportions (z-test), two-sided."""

from __future__ import annotations

import math

from promptyard.domain.statistics.lazy_scipy import stats

#: A sample size search stops here (per group): "more than this" is the answer.
MAX_N = 100_000_000


def power_two_means(
    n: int, effect_size: float, *, alpha: float = 0.05, paired: bool = False
) -> float:
    """The power of the two-sided t-test with ``n`` per group (or ``n`` pairs) to detect a
    standardised difference ``effect_size`` (Cohen's d, or d_z when ``paired``): exact,
    from the noncentral t distribution (as G*Power computes it)."""
    if n < 2 or effect_size == 0 or not math.isfinite(effect_size):
        return alpha if effect_size == 0 else math.nan
    d = abs(effect_size)
    if paired:
        df, ncp = n - 1, d * math.sqrt(n)
    else:
        df, ncp = 2 * n - 2, d * math.sqrt(n / 2)
    crit = float(stats.t.ppf(1 - alpha / 2, df))
    return float(stats.nct.sf(crit, df, ncp) + stats.nct.cdf(-crit, df, ncp))


def sample_size_two_means(
    effect_size: float, *, alpha: float = 0.05, power: float = 0.8, paired: bool = False
) -> int:
    """The smallest ``n`` per group (or pairs) whose :func:`power_two_means` reaches
    ``power``; ``effect_size`` is standardised (difference ÷ standard deviation)."""
    _check(alpha, power)
    d = abs(effect_size)
    if d == 0 or not math.isfinite(d):
        raise ValueError("the effect size must be a non-zero number")
    z = float(stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power))
    guess = (z / d) ** 2 * (1 if paired else 2)
    if guess > MAX_N:
        return MAX_N
    n = max(2, math.ceil(guess))
    while n > 2 and power_two_means(n - 1, d, alpha=alpha, paired=paired) >= power:
        n -= 1
    while power_two_means(n, d, alpha=alpha, paired=paired) < power:
        n += 1
    return n


def power_two_proportions(n: int, p1: float, p2: float, *, alpha: float = 0.05) -> float:
    """The power of the two-sided two-proportion z-test with ``n`` per group, rates
    ``p1`` (control) and ``p2`` (treatment): normal approximation, pooled variance under
    the null hypothesis and unpooled under the alternative (Fleiss)."""
    if n < 1:
        return math.nan
    if p1 == p2:
        return alpha
    q = _pooled_sd(p1, p2)
    s = math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))
    if s == 0:
        return 1.0
    z_a = float(stats.norm.ppf(1 - alpha / 2))
    delta = abs(p2 - p1) * math.sqrt(n)
    upper = (delta - z_a * q) / s
    lower = (-delta - z_a * q) / s
    return float(stats.norm.cdf(upper) + stats.norm.cdf(lower))


def sample_size_two_proportions(
    p1: float, p2: float, *, alpha: float = 0.05, power: float = 0.8
) -> int:
    """``n`` per group for the two-proportion z-test to detect ``p1`` → ``p2``:
    ⌈(z₁₋alpha/₂·√(2p̄q̄) + z₁₋β·√(p₁q₁ + p₂q₂))² ÷ (p₂ - p₁)²⌉."""
    _check(alpha, power)
    for p in (p1, p2):
        if not 0 <= p <= 1:
            raise ValueError("rates must be between 0 and 1")
    if p1 == p2:
        raise ValueError("the two rates must differ")
    z_a = float(stats.norm.ppf(1 - alpha / 2))
    z_b = float(stats.norm.ppf(power))
    num = z_a * _pooled_sd(p1, p2) + z_b * math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))
    n = (num / (p2 - p1)) ** 2
    return min(MAX_N, max(2, math.ceil(n)))


def _pooled_sd(p1: float, p2: float) -> float:
    p = (p1 + p2) / 2
    return math.sqrt(2 * p * (1 - p))


def _check(alpha: float, power: float) -> None:
    if not 0 < alpha < 0.5:
        raise ValueError("alpha must be between 0 and 0.5")
    if not 0.5 <= power < 1:
        raise ValueError("power must be at least 0.5 and below 1")
