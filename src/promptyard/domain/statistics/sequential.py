"""Always-valid inference: the mixture sequential probability ratio test (mSPRT).

Johari, Koomen, Pekelis & Walsh, "Always valid inference: continuous monitoring of A/B
tests" (Operations Research, 2022; arXiv:1512.04922). With an estimate θ̂ of the
difference (treatment - control) whose variance is V (sigma₁²/n₁ + sigma₂²/n₂), and a normal
mixture N(θ₀, τ²) over the alternative, the likelihood ratio against θ = θ₀ is

    Λ = √(V / (V + τ²)) · exp(τ² (θ̂ - θ₀)² / (2 V (V + τ²)))

Under θ = θ₀ it is a martingale, so P(Λ ever ≥ 1/alpha) ≤ alpha (Ville's inequality): the
always-valid p-value ``min over looks of 1/Λ`` may be read after every new observation,
as often as anyone likes, and stays valid. Its always-valid interval is every θ₀ it does
not reject, intersected over the looks.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike


@dataclass(frozen=True)
class SequentialResult:
    """The always-valid p-value and interval after the last look; ``rejected`` when p <
    alpha at any look (the test may stop there)."""

    p_value: float
    ci_low: float
    ci_high: float
    log_lr: float
    looks: int
    rejected: bool
    alpha: float


def log_lr(
    estimate: ArrayLike, variance: ArrayLike, tau2: float, theta0: float = 0.0
) -> np.ndarray:
    """log Λ (vectorised over looks or simulated runs)."""
    v = np.asarray(variance, dtype=float)
    d = np.asarray(estimate, dtype=float) - theta0
    with np.errstate(divide="ignore", invalid="ignore"):
        out = 0.5 * np.log(v / (v + tau2)) + tau2 * d * d / (2 * v * (v + tau2))
    return np.where(v > 0, out, 0.0)


def half_width(variance: ArrayLike, tau2: float, alpha: float) -> np.ndarray:
    """Half the width of the always-valid interval at one look:
    √(2V(V+τ²)/τ² · (log(1/alpha) + ½·log((V+τ²)/V)))."""
    v = np.asarray(variance, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.sqrt(
            2 * v * (v + tau2) / tau2 * (math.log(1 / alpha) + 0.5 * np.log((v + tau2) / v))
        )
    return np.where(v > 0, out, np.inf)


def msprt(
    estimate: float, variance: float, *, tau2: float, alpha: float = 0.05
) -> SequentialResult:
    """The mSPRT at a single look (its p-value is valid whenever it is looked at only
    here; :func:`msprt_path` over every look keeps the running minimum)."""
    return msprt_path([estimate], [variance], tau2=tau2, alpha=alpha)


def msprt_path(
    estimates: Sequence[float] | np.ndarray,
    variances: Sequence[float] | np.ndarray,
    *,
    tau2: float,
    alpha: float = 0.05,
) -> SequentialResult:
    """The always-valid p-value and interval after a sequence of looks (cumulative
    estimates and their variances, in time order)."""
    if tau2 <= 0 or not math.isfinite(tau2):
        raise ValueError("tau2 (the mixture's variance) must be a positive number")
    est = np.asarray(estimates, dtype=float)
    var = np.asarray(variances, dtype=float)
    keep = np.isfinite(est) & np.isfinite(var) & (var > 0)
    est, var = est[keep], var[keep]
    if est.size == 0:
        return SequentialResult(1.0, -math.inf, math.inf, 0.0, 0, False, alpha)
    lr = log_lr(est, var, tau2)
    p = float(min(1.0, math.exp(-float(np.max(lr)))))
    half = half_width(var, tau2, alpha)
    low = float(np.max(est - half))
    high = float(np.min(est + half))
    if low > high:  # the intersection is empty only by chance: keep the last look's
        low, high = float(est[-1] - half[-1]), float(est[-1] + half[-1])
    return SequentialResult(p, low, high, float(lr[-1]), int(est.size), p < alpha, alpha)


def default_tau2(mde: float) -> float:
    """The mixture variance for a minimum detectable effect ``mde`` (absolute units):
    τ = mde, the scale of effects the test is tuned to find quickly."""
    if mde <= 0 or not math.isfinite(mde):
        raise ValueError("the minimum detectable effect must be positive")
    return mde * mde
