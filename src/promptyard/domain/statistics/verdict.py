"""A comparison in words: better, worse, or no detectable difference."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from promptyard.domain.statistics.power import (
    power_two_means,
    power_two_proportions,
    sample_size_two_means,
    sample_size_two_proportions,
)
from promptyard.domain.statistics.results import Comparison
from promptyard.domain.statistics.sequential import SequentialResult

Outcome = Literal["better", "worse", "no_detectable_difference", "not_enough_data"]
Direction = Literal["higher", "lower"]

_PROPORTION_TESTS = {"two_proportion_z", "mcnemar_exact", "mcnemar_chi2"}
_PAIRED_TESTS = {"paired_t", "wilcoxon", "mcnemar_exact", "mcnemar_chi2"}


@dataclass(frozen=True)
class Verdict:
    """``outcome`` and the sentence saying it. ``error_probability`` is the chance the
    outcome is wrong in the sense that matters for it: for *better*/*worse* the p-value
    (how often a difference this large shows up when there is none, at most alpha); for
    *no detectable difference* the chance of missing a true effect as large as the
    observed one at this sample size (1 - power). ``needed_per_variant``: the sample
    size per variant (pairs, offline) that detects the observed effect with ``power``."""

    outcome: Outcome
    text: str
    p_value: float
    error_probability: float
    power_at_observed: float
    needed_per_variant: int | None
    direction: Direction


def verdict(
    result: Comparison,
    *,
    metric: str,
    direction: Direction = "higher",
    sequential: SequentialResult | None = None,
    power: float = 0.8,
    control: str = "control",
    treatment: str = "treatment",
) -> Verdict:
    """The verdict on ``result`` for ``metric`` (``direction``: which way is better).

    With ``sequential`` (online experiments) the decision uses the always-valid p-value,
    which stays valid however often the results were looked at."""
    p = sequential.p_value if sequential is not None else result.p_value
    alpha = result.alpha
    observed_power = _power(result)
    needed = _needed(result, power)
    if not math.isfinite(p) or result.n_control < 2 or result.n_treatment < 2:
        text = f"Not enough data on {metric} yet ({result.n_control} and {result.n_treatment})."
        return Verdict("not_enough_data", text, p, math.nan, math.nan, needed, direction)
    delta = _describe(result)
    if p < alpha:
        good = (result.estimate > 0) == (direction == "higher")
        outcome: Outcome = "better" if good else "worse"
        kind = "always-valid p" if sequential is not None else "p"
        text = (
            f"{treatment} is {outcome} than {control} on {metric}: {delta}. "
            f"The chance of a difference this large with no real difference is {_pct(p)} "
            f"({kind} = {p:.3g}, below alpha = {alpha:g})."
        )
        return Verdict(outcome, text, p, p, observed_power, needed, direction)
    miss = 1 - observed_power if math.isfinite(observed_power) else math.nan
    kind = "always-valid p" if sequential is not None else "p"
    text = (
        f"No detectable difference between {treatment} and {control} on {metric}: "
        f"{delta}, {kind} = {p:.3g}."
    )
    if math.isfinite(miss):
        text += (
            f" At this sample size an effect as large as the observed one would be missed "
            f"{_pct(miss)} of the time"
        )
        text += f"; about {needed:,} per variant would detect it." if needed else "."
    return Verdict("no_detectable_difference", text, p, miss, observed_power, needed, direction)


def _describe(result: Comparison) -> str:
    if result.test in _PROPORTION_TESTS:
        est = f"{result.estimate * 100:+.2f} points"
        ci = f"{result.ci_low * 100:+.2f} to {result.ci_high * 100:+.2f}"
    else:
        est = f"{result.estimate:+.4g}"
        ci = f"{result.ci_low:+.4g} to {result.ci_high:+.4g}"
    confidence = round((1 - result.alpha) * 100)
    return f"{est} ({confidence} % CI {ci})"


def _pct(p: float) -> str:
    if p < 0.001:
        return "below 0.1 %"
    return f"{p * 100:.1f} %"


def _power(result: Comparison) -> float:
    n = min(result.n_control, result.n_treatment)
    if result.test in _PROPORTION_TESTS:
        p1, p2 = result.control_value, result.treatment_value
        if not (math.isfinite(p1) and math.isfinite(p2)):
            return math.nan
        return power_two_proportions(n, p1, p2, alpha=result.alpha)
    d = _standardised(result)
    if d is None:
        return math.nan
    return power_two_means(n, d, alpha=result.alpha, paired=result.test in _PAIRED_TESTS)


def _needed(result: Comparison, power: float) -> int | None:
    try:
        if result.test in _PROPORTION_TESTS:
            p1, p2 = result.control_value, result.treatment_value
            if not (math.isfinite(p1) and math.isfinite(p2)) or p1 == p2:
                return None
            return sample_size_two_proportions(p1, p2, alpha=result.alpha, power=power)
        d = _standardised(result)
        if d is None:
            return None
        paired = result.test in _PAIRED_TESTS
        return sample_size_two_means(d, alpha=result.alpha, power=power, paired=paired)
    except ValueError:
        return None


def _standardised(result: Comparison) -> float | None:
    """Cohen's d (or d_z) of the result; for the rank tests, the d that a normal
    location shift with the same rank-biserial r would have (d = √2·Φ⁻¹((r+1)/2))."""
    d = result.effect_size
    if result.effect_name == "rank_biserial" and math.isfinite(d):
        from scipy.stats import norm

        prob = min(max((d + 1) / 2, 1e-9), 1 - 1e-9)
        d = math.sqrt(2) * float(norm.ppf(prob))
        if result.test == "wilcoxon":
            d /= math.sqrt(2)
    if not math.isfinite(d) or d == 0:
        return None
    return d
