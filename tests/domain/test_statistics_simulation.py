"""Reduced simulations (the full ones: bench/experiment_stats.py).

Seeded, so deterministic; the tolerances are about three standard errors of a rate
estimated from that many runs, so a real bias of the size the issue rules out fails.
"""

from __future__ import annotations

import pytest

from promptyard.domain.statistics.simulation import achieved_power, false_positive_rate, peeking


@pytest.mark.parametrize(
    ("test", "runs", "n", "tolerance"),
    [
        ("welch_t", 2000, 60, 0.015),
        ("two_proportion_z", 2000, 400, 0.015),
        ("mann_whitney", 1000, 60, 0.02),
        ("paired_t", 1000, 40, 0.02),
        ("wilcoxon", 800, 40, 0.023),
    ],
)
def test_a_a_runs_reject_at_the_nominal_rate(
    test: str, runs: int, n: int, tolerance: float
) -> None:
    rate = false_positive_rate(test, runs=runs, n=n, seed=11)
    assert abs(rate.rate - 0.05) <= tolerance, rate


def test_mcnemar_never_rejects_more_than_alpha() -> None:
    rate = false_positive_rate("mcnemar", runs=1000, n=80, seed=11)
    assert rate.rate <= 0.05 + 0.02, rate


def test_sequential_test_stays_valid_when_peeked_at_every_look() -> None:
    result = peeking(runs=2000, n_max=1000, looks=20, tau=0.2, seed=5)
    # Ville's inequality: P(ever reject) <= alpha, however often one looks
    assert result.msprt_rate <= 0.05 + 0.01, result
    assert result.msprt_miscoverage <= 0.05 + 0.01, result
    # ... while a fixed-horizon test repeated at each look rejects far too often
    assert result.naive_rate > 0.15, result


@pytest.mark.parametrize(
    ("test", "effect"), [("welch_t", 0.4), ("two_proportion_z", 0.1), ("paired_t", 0.35)]
)
def test_known_effects_reach_the_promised_power(test: str, effect: float) -> None:
    result = achieved_power(test, runs=600, effect=effect, seed=7)
    # power 0.8 from 600 runs: standard error 1.6 points
    assert abs(result.rate - result.expected) <= 0.05, result
