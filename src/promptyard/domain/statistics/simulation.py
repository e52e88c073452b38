"""Simulations that check the tests do what they promise: A/A runs (no true difference)
reject at the nominal rate, also with repeated peeking for the sequential test, and runs
with a known effect reach the power the calculator promised.

Used in reduced form by tests/domain/test_statistics_simulation.py and in full by
bench/experiment_stats.py. Seeded: the same call gives the same figures.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from promptyard.domain.statistics.paired import mcnemar, paired_t, wilcoxon
from promptyard.domain.statistics.power import (
    power_two_proportions,
    sample_size_two_means,
    sample_size_two_proportions,
)
from promptyard.domain.statistics.results import Summary
from promptyard.domain.statistics.sequential import half_width, log_lr
from promptyard.domain.statistics.twosample import mann_whitney, two_proportions, welch_from_summary

TESTS = ("welch_t", "mann_whitney", "two_proportion_z", "paired_t", "wilcoxon", "mcnemar")


@dataclass(frozen=True)
class Rate:
    """How often a test rejected in ``runs`` simulated experiments."""

    name: str
    runs: int
    n: int
    rate: float
    expected: float

    @property
    def standard_error(self) -> float:
        return float(np.sqrt(self.expected * (1 - self.expected) / self.runs))


def _one_run(
    test: str, rng: np.random.Generator, n: int, effect: float, rate: float = 0.3
) -> float:
    """The p-value of one simulated experiment (``effect``: standardised, or added to a
    pass rate ``rate`` for the proportion tests)."""
    if test == "welch_t":
        a, b = rng.normal(0, 1, n), rng.normal(effect, 1.5, n)  # unequal variances
        return welch_from_summary(Summary.of(a), Summary.of(b)).p_value
    if test == "mann_whitney":
        a, b = rng.exponential(1.0, n), rng.exponential(1.0, n) + effect
        return mann_whitney(a, b, n_resamples=0).p_value
    if test == "two_proportion_z":
        return two_proportions(
            int(rng.binomial(n, rate)), n, int(rng.binomial(n, rate + effect)), n
        ).p_value
    if test == "paired_t":
        case = rng.normal(0, 1, n)
        a, b = case + rng.normal(0, 1, n), case + rng.normal(effect * np.sqrt(2), 1, n)
        return paired_t(a, b).p_value
    if test == "wilcoxon":
        case = rng.normal(0, 1, n)
        return wilcoxon(
            case + rng.logistic(0, 1, n), case + rng.logistic(0, 1, n), n_resamples=0
        ).p_value
    if test == "mcnemar":
        skill = rng.uniform(0, 1, n)
        passed_a = rng.uniform(0, 1, n) < np.clip(skill, 0, 1)
        passed_b = rng.uniform(0, 1, n) < np.clip(skill + effect, 0, 1)
        return mcnemar(passed_a, passed_b).p_value
    raise ValueError(f"unknown test {test!r}")


def false_positive_rate(
    test: str, *, runs: int, n: int, alpha: float = 0.05, seed: int = 0
) -> Rate:
    """A/A: the share of ``runs`` experiments with no true difference that reject."""
    rng = np.random.default_rng(seed)
    rejected = sum(_one_run(test, rng, n, 0.0) < alpha for _ in range(runs))
    return Rate(test, runs, n, rejected / runs, alpha)


def achieved_power(
    test: str, *, runs: int, effect: float, alpha: float = 0.05, power: float = 0.8, seed: int = 0
) -> Rate:
    """Runs with a known effect at the sample size the calculator gives for ``power``:
    the share that reject (Welch: Cohen's d = ``effect``; two proportions: 30 % →
    30 % + ``effect``; paired t: d_z = ``effect``)."""
    rng = np.random.default_rng(seed)
    if test == "welch_t":
        n = sample_size_two_means(effect, alpha=alpha, power=power)
    elif test == "two_proportion_z":
        n = sample_size_two_proportions(0.3, 0.3 + effect, alpha=alpha, power=power)
    elif test == "paired_t":
        n = sample_size_two_means(effect, alpha=alpha, power=power, paired=True)
    else:
        raise ValueError(f"no power simulation for {test!r}")

    def run() -> float:
        if test == "welch_t":
            a, b = rng.normal(0, 1, n), rng.normal(effect, 1, n)
            return welch_from_summary(Summary.of(a), Summary.of(b)).p_value
        if test == "paired_t":
            a = rng.normal(0, 1, n)
            return paired_t(a, a + rng.normal(effect, 1, n)).p_value
        return _one_run(test, rng, n, effect)

    promised = power if test != "two_proportion_z" else power_two_proportions(n, 0.3, 0.3 + effect)
    rejected = sum(run() < alpha for _ in range(runs))
    return Rate(test, runs, n, rejected / runs, promised)


@dataclass(frozen=True)
class Peeking:
    """A/A runs looked at ``looks`` times: how often each way of testing ever rejected,
    and how often the always-valid interval ever missed the true difference (0)."""

    runs: int
    looks: int
    n_max: int
    msprt_rate: float
    naive_rate: float
    msprt_miscoverage: float


def peeking(
    *, runs: int, n_max: int, looks: int, tau: float = 0.2, alpha: float = 0.05, seed: int = 0
) -> Peeking:
    """Vectorised A/A runs of normal data (sigma = 1 in both arms), evaluated after every
    ``n_max / looks`` observations per arm: the mSPRT (always-valid p) against a naive
    z-test repeated at every look."""
    from scipy import stats

    rng = np.random.default_rng(seed)
    a = rng.normal(0, 1, (runs, n_max))
    b = rng.normal(0, 1, (runs, n_max))
    at = np.linspace(n_max / looks, n_max, looks).astype(int)
    ca, cb = np.cumsum(a, axis=1)[:, at - 1], np.cumsum(b, axis=1)[:, at - 1]
    ca2, cb2 = np.cumsum(a * a, axis=1)[:, at - 1], np.cumsum(b * b, axis=1)[:, at - 1]
    est = cb / at - ca / at
    var_a = (ca2 - ca * ca / at) / (at - 1)
    var_b = (cb2 - cb * cb / at) / (at - 1)
    v = var_a / at + var_b / at
    lr = log_lr(est, v, tau * tau)
    msprt_rejected = (lr >= np.log(1 / alpha)).any(axis=1)
    z = np.abs(est) / np.sqrt(v)
    naive_rejected = (2 * stats.norm.sf(z) < alpha).any(axis=1)
    half = half_width(v, tau * tau, alpha)
    missed = ((est - half) > 0).any(axis=1) | ((est + half) < 0).any(axis=1)
    return Peeking(
        runs, looks, n_max, float(msprt_rejected.mean()), float(naive_rejected.mean()),
        float(missed.mean()),
    )  # fmt: skip
