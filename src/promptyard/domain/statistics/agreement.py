"""Agreement between raters (an LLM judge and people, or people among themselves) on a
rubric scale: mean absolute difference, Spearman's rank correlation, weighted Cohen's
kappa (two raters) and Krippendorff's alpha (any number of raters, missing ratings
allowed), each chance-corrected coefficient with its reading in words.

See docs/statistics.md ("Agreement").
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

import numpy as np

from promptyard.domain.statistics.lazy_scipy import stats

Weights = Literal["linear", "quadratic"]
Metric = Literal["nominal", "ordinal", "interval"]


def mean_absolute_difference(a: Sequence[float], b: Sequence[float]) -> float | None:
    """Mean of ``|a_i - b_i|`` over the pairs; None without pairs."""
    if len(a) != len(b):
        raise ValueError("a and b must have the same length")
    if not a:
        return None
    return float(np.mean(np.abs(np.asarray(a, dtype=float) - np.asarray(b, dtype=float))))


def spearman(a: Sequence[float], b: Sequence[float]) -> float | None:
    """Spearman's rank correlation (ties get their mean rank); None with fewer than 3
    pairs or when either side is constant (it is undefined then)."""
    if len(a) != len(b):
        raise ValueError("a and b must have the same length")
    if len(a) < 3 or len(set(a)) < 2 or len(set(b)) < 2:
        return None
    return float(stats.spearmanr(a, b).statistic)


def weighted_kappa(
    a: Sequence[float],
    b: Sequence[float],
    *,
    scale_min: int,
    scale_max: int,
    weights: Weights = "quadratic",
) -> float | None:
    """Cohen's kappa with linear or quadratic disagreement weights over the integer
    categories ``scale_min..scale_max`` (ratings are rounded to the nearest one and
    clipped to the scale). ``1 - sum(w * observed) / sum(w * expected)``, the expected
    table being the product of the two raters' marginals. None without pairs or when
    the expected disagreement is 0 (both raters used one and the same category)."""
    if len(a) != len(b):
        raise ValueError("a and b must have the same length")
    if scale_min >= scale_max:
        raise ValueError("scale_min must be below scale_max")
    if not a:
        return None
    k = scale_max - scale_min + 1
    observed = np.zeros((k, k))
    for x, y in zip(a, b, strict=True):
        observed[_category(x, scale_min, scale_max), _category(y, scale_min, scale_max)] += 1
    observed /= observed.sum()
    expected = np.outer(observed.sum(axis=1), observed.sum(axis=0))
    index = np.arange(k)
    distance = np.abs(index[:, None] - index[None, :]) / (k - 1)
    w = distance**2 if weights == "quadratic" else distance
    chance = float((w * expected).sum())
    if chance == 0:
        return None
    return 1.0 - float((w * observed).sum()) / chance


def _category(value: float, scale_min: int, scale_max: int) -> int:
    return int(min(max(math.floor(value + 0.5), scale_min), scale_max)) - scale_min


def krippendorff_alpha(
    units: Sequence[Sequence[float | None]], *, metric: Metric = "interval"
) -> float | None:
    """Krippendorff's alpha over ``units`` (one list of ratings per rated item, one
    entry per rater, None for a missing rating). Units with fewer than two ratings
    are not pairable and are left out. ``1 - D_observed / D_expected`` from the
    coincidence matrix (Krippendorff 2011, "Computing Krippendorff's alpha-reliability").
    None when fewer than two pairable ratings exist or nothing varies."""
    values: list[list[float]] = [[float(v) for v in unit if v is not None] for unit in units]
    values = [unit for unit in values if len(unit) >= 2]
    if not values:
        return None
    categories = sorted({v for unit in values for v in unit})
    if len(categories) < 2:
        return None
    position = {value: i for i, value in enumerate(categories)}
    size = len(categories)
    coincidence = np.zeros((size, size))
    for unit in values:
        counts = np.zeros(size)
        for v in unit:
            counts[position[v]] += 1
        pairs = np.outer(counts, counts) - np.diag(counts)
        coincidence += pairs / (len(unit) - 1)
    marginals = coincidence.sum(axis=1)
    total = marginals.sum()
    delta = _delta(np.array(categories), marginals, metric)
    observed = float((coincidence * delta).sum())
    expected = float((np.outer(marginals, marginals) * delta).sum()) / (total - 1)
    if expected == 0:
        return None
    return 1.0 - observed / expected


def _delta(categories: np.ndarray, marginals: np.ndarray, metric: Metric) -> np.ndarray:
    if metric == "nominal":
        return 1.0 - np.eye(len(categories))
    if metric == "interval":
        return np.asarray((categories[:, None] - categories[None, :]) ** 2, dtype=float)
    # ordinal: the squared count of ratings between two categories (half of each end's)
    cumulative = np.cumsum(marginals)
    size = len(categories)
    delta = np.zeros((size, size))
    for c in range(size):
        for k in range(c + 1, size):
            between = (
                cumulative[k] - cumulative[c] + marginals[c] - (marginals[c] + marginals[k]) / 2
            )
            delta[c, k] = delta[k, c] = between**2
    return delta


def interpret_kappa(value: float | None) -> str:
    """Landis and Koch's (1977) reading of a kappa."""
    if value is None:
        return "undefined (too few or constant ratings)"
    if value < 0:
        return "poor (worse than chance)"
    for bound, words in ((0.2, "slight"), (0.4, "fair"), (0.6, "moderate"), (0.8, "substantial")):
        if value <= bound:
            return words
    return "almost perfect"


def interpret_alpha(value: float | None) -> str:
    """Krippendorff's (2004) reading of an alpha: reliable from 0.800, tentative
    conclusions only from 0.667."""
    if value is None:
        return "undefined (too few or constant ratings)"
    if value >= 0.8:
        return "reliable"
    if value >= 0.667:
        return "tentative (good enough for tentative conclusions only)"
    if value <= 0:
        return "no agreement beyond chance"
    return "unreliable"
