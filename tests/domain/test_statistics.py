"""The statistics of experiments against scipy on known data, and textbook values."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from promptyard.domain.statistics import (
    Summary,
    mann_whitney,
    mcnemar,
    msprt,
    msprt_path,
    pair_by_case,
    paired_t,
    power_two_means,
    power_two_proportions,
    sample_ratio_mismatch,
    sample_size_two_means,
    sample_size_two_proportions,
    two_proportions,
    verdict,
    welch,
    welch_from_summary,
    wilcoxon,
)
from promptyard.domain.statistics.twosample import bootstrap_ci

RNG = np.random.default_rng(20261202)
A = RNG.normal(10.0, 2.0, 150)
B = RNG.normal(10.6, 3.0, 170)
# A known small data set (scores of 12 cases by two prompt versions).
PAIRED_A = np.array([0.61, 0.72, 0.55, 0.80, 0.66, 0.59, 0.71, 0.64, 0.77, 0.58, 0.69, 0.63])
PAIRED_B = np.array([0.68, 0.75, 0.59, 0.79, 0.74, 0.66, 0.78, 0.63, 0.85, 0.64, 0.70, 0.71])


def test_welch_matches_scipy() -> None:
    result = welch(A, B)
    expected = stats.ttest_ind(B, A, equal_var=False)
    assert result.statistic == pytest.approx(expected.statistic)
    assert result.p_value == pytest.approx(expected.pvalue)
    ci = expected.confidence_interval(0.95)
    assert (result.ci_low, result.ci_high) == pytest.approx((ci.low, ci.high))
    assert result.estimate == pytest.approx(B.mean() - A.mean())
    assert result.effect_ci_low < result.effect_size < result.effect_ci_high


def test_welch_from_sums_equals_welch_from_rows() -> None:
    from_sums = welch_from_summary(
        Summary.from_sums(A.size, float(A.sum()), float((A * A).sum())),
        Summary.from_sums(B.size, float(B.sum()), float((B * B).sum())),
    )
    assert from_sums.p_value == pytest.approx(welch(A, B).p_value, rel=1e-9)


def test_mann_whitney_matches_scipy() -> None:
    result = mann_whitney(A, B)
    expected = stats.mannwhitneyu(B, A, alternative="two-sided")
    assert result.p_value == pytest.approx(expected.pvalue)
    assert result.statistic == pytest.approx(expected.statistic)
    assert result.effect_size == pytest.approx(2 * expected.statistic / (A.size * B.size) - 1)
    assert result.ci_low < result.estimate < result.ci_high


def test_two_proportions_equals_chi_square_without_correction() -> None:
    result = two_proportions(120, 1000, 150, 1000)
    chi2, p, _, _ = stats.chi2_contingency([[120, 880], [150, 850]], correction=False)
    assert result.statistic**2 == pytest.approx(chi2)
    assert result.p_value == pytest.approx(p)
    assert result.estimate == pytest.approx(0.03)
    se = math.sqrt(0.12 * 0.88 / 1000 + 0.15 * 0.85 / 1000)
    assert result.ci_low == pytest.approx(0.03 - 1.959964 * se, rel=1e-5)


def test_bootstrap_interval_covers_the_mean_difference_like_welch() -> None:
    low, high = bootstrap_ci(A, B, seed=3)
    w = welch(A, B)
    assert low == pytest.approx(w.ci_low, abs=0.15)
    assert high == pytest.approx(w.ci_high, abs=0.15)


def test_paired_t_matches_scipy() -> None:
    result = paired_t(PAIRED_A, PAIRED_B)
    expected = stats.ttest_rel(PAIRED_B, PAIRED_A)
    assert result.p_value == pytest.approx(expected.pvalue)
    ci = expected.confidence_interval(0.95)
    assert (result.ci_low, result.ci_high) == pytest.approx((ci.low, ci.high))
    assert result.estimate == pytest.approx((PAIRED_B - PAIRED_A).mean())


def test_wilcoxon_matches_scipy() -> None:
    result = wilcoxon(PAIRED_A, PAIRED_B)
    expected = stats.wilcoxon(PAIRED_B, PAIRED_A)
    assert result.p_value == pytest.approx(expected.pvalue)
    assert result.statistic == pytest.approx(expected.statistic)
    assert result.estimate > 0 and result.effect_size > 0


def test_mcnemar_exact_for_few_discordant_pairs_and_chi_square_otherwise() -> None:
    # b = 2 (control passed, treatment failed), c = 9
    control = np.array([1] * 2 + [0] * 9 + [1] * 20 + [0] * 5)
    treatment = np.array([0] * 2 + [1] * 9 + [1] * 20 + [0] * 5)
    exact = mcnemar(control, treatment)
    assert exact.test == "mcnemar_exact"
    assert exact.p_value == pytest.approx(stats.binomtest(2, 11, 0.5).pvalue)
    assert exact.estimate == pytest.approx(7 / 36)
    control = np.array([1] * 15 + [0] * 30 + [1] * 40)
    treatment = np.array([0] * 15 + [1] * 30 + [1] * 40)
    chi = mcnemar(control, treatment)
    assert chi.test == "mcnemar_chi2"
    assert chi.statistic == pytest.approx((abs(15 - 30) - 1) ** 2 / 45)
    assert chi.p_value == pytest.approx(stats.chi2.sf((abs(15 - 30) - 1) ** 2 / 45, 1))


def test_pair_by_case_keeps_shared_cases_and_averages_repetitions() -> None:
    a, b, keys = pair_by_case(
        [("c1", 1.0), ("c1", 0.0), ("c2", 1.0), ("c3", 0.5)], {"c2": 0.0, "c3": 1.0, "c4": 1.0}
    )
    assert keys == ["c2", "c3"]
    assert a.tolist() == [1.0, 0.5] and b.tolist() == [0.0, 1.0]
    a, b, keys = pair_by_case({"c1": 1.0}, {"c1": 0.0})
    assert keys == ["c1"]


def test_sample_sizes_match_textbook_values() -> None:
    # Cohen (1988) / G*Power: d = 0.5, alpha 0.05, power 0.8 → 64 per group; paired 34
    assert sample_size_two_means(0.5) == 64
    assert sample_size_two_means(0.5, paired=True) == 34
    assert sample_size_two_means(0.2) == 394
    # Fleiss without continuity correction: 50 % → 60 %: 388 per group
    assert sample_size_two_proportions(0.5, 0.6) == 388
    assert power_two_means(64, 0.5) == pytest.approx(0.8015, abs=1e-3)
    assert power_two_proportions(388, 0.5, 0.6) >= 0.8
    with pytest.raises(ValueError):
        sample_size_two_proportions(0.5, 0.5)
    with pytest.raises(ValueError):
        sample_size_two_means(0.0)


def test_srm_detects_a_broken_split() -> None:
    assert not sample_ratio_mismatch([5050, 4950], [1, 1]).mismatch
    broken = sample_ratio_mismatch([5400, 4600], [1, 1])
    assert broken.mismatch
    assert broken.p_value == pytest.approx(stats.chisquare([5400, 4600]).pvalue)
    assert sample_ratio_mismatch([100, 5], [1, 0]).mismatch


def test_msprt_closed_form_and_interval() -> None:
    v, tau2, est = 0.002, 0.01, 0.12
    result = msprt(est, v, tau2=tau2)
    lam = math.sqrt(v / (v + tau2)) * math.exp(tau2 * est**2 / (2 * v * (v + tau2)))
    assert result.p_value == pytest.approx(min(1, 1 / lam))
    # the interval is exactly where the test does not reject
    for edge in (result.ci_low, result.ci_high):
        edge_lam = math.sqrt(v / (v + tau2)) * math.exp(
            tau2 * (est - edge) ** 2 / (2 * v * (v + tau2))
        )
        assert edge_lam == pytest.approx(20.0)
    # the always-valid p never grows with more looks, and the interval only narrows
    path = msprt_path([0.3, 0.05, 0.12], [0.02, 0.004, 0.002], tau2=tau2)
    assert path.p_value <= result.p_value
    assert path.ci_high - path.ci_low <= result.ci_high - result.ci_low + 1e-12


def test_verdict_in_words() -> None:
    high = A + 1.0
    better = verdict(welch(A, high), metric="score")
    assert better.outcome == "better" and better.error_probability < 0.05
    worse = verdict(welch(A, high), metric="latency", direction="lower")
    assert worse.outcome == "worse"
    none = verdict(two_proportions(100, 1000, 108, 1000), metric="thumbs up")
    assert none.outcome == "no_detectable_difference"
    assert none.needed_per_variant == sample_size_two_proportions(0.1, 0.108)
    assert 0 < none.error_probability < 1 and "per variant" in none.text
    assert verdict(welch([1.0], [2.0]), metric="x").outcome == "not_enough_data"
