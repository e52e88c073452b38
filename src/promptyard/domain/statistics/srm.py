"""Sample ratio mismatch: do the variants' counts match the configured weights?"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from promptyard.domain.statistics.lazy_scipy import stats

#: The usual threshold: a mismatch this unlikely means the split is broken, not unlucky.
SRM_ALPHA = 0.001


@dataclass(frozen=True)
class SrmResult:
    observed: list[int]
    expected: list[float]
    statistic: float
    p_value: float
    mismatch: bool


def sample_ratio_mismatch(
    observed: Sequence[int], weights: Sequence[float], *, alpha: float = SRM_ALPHA
) -> SrmResult:
    """The chi-square goodness-of-fit test of ``observed`` counts against ``weights``
    (``scipy.stats.chisquare``); ``mismatch`` when p < ``alpha`` (default 0.001)."""
    if len(observed) != len(weights) or len(observed) < 2:
        raise ValueError("one count per weight, at least two")
    total = sum(observed)
    weight_sum = float(sum(weights))
    if weight_sum <= 0 or any(w < 0 for w in weights):
        raise ValueError("weights must be non-negative with a positive sum")
    expected = [total * w / weight_sum for w in weights]
    if total == 0:
        return SrmResult(list(observed), expected, 0.0, 1.0, False)
    pairs = [(o, e) for o, e in zip(observed, expected, strict=True) if e > 0]
    stray = sum(o for o, e in zip(observed, expected, strict=True) if e == 0)
    if stray:  # traffic in a variant weighted 0 is a mismatch by itself
        return SrmResult(list(observed), expected, math.inf, 0.0, True)
    if len(pairs) < 2:
        return SrmResult(list(observed), expected, 0.0, 1.0, False)
    result = stats.chisquare([o for o, _ in pairs], [e for _, e in pairs])
    p = float(result.pvalue)
    return SrmResult(list(observed), expected, float(result.statistic), p, p < alpha)
