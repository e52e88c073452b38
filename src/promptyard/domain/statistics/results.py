"""The result types every test returns."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike


@dataclass(frozen=True)
class Summary:
    """A sample's size, mean and (unbiased) variance: what a SQL ``GROUP BY`` gives
    (``count``, ``sum``, ``sum of squares``) without the rows."""

    n: int
    mean: float
    variance: float

    @classmethod
    def from_sums(cls, n: int, total: float, total_sq: float) -> Summary:
        """From ``n``, ``Σx`` and ``Σx²`` (variance 0 below two observations)."""
        if n <= 0:
            return cls(0, math.nan, math.nan)
        mean = total / n
        if n < 2:
            return cls(n, mean, 0.0)
        variance = max(0.0, (total_sq - n * mean * mean) / (n - 1))
        return cls(n, mean, variance)

    @classmethod
    def of(cls, values: ArrayLike) -> Summary:
        data = np.asarray(values, dtype=float)
        n = int(data.size)
        if n == 0:
            return cls(0, math.nan, math.nan)
        return cls(n, float(data.mean()), float(data.var(ddof=1)) if n > 1 else 0.0)

    @property
    def sd(self) -> float:
        return math.sqrt(self.variance) if self.variance == self.variance else math.nan


@dataclass(frozen=True)
class Comparison:
    """Treatment against control.

    ``estimate`` is the difference treatment - control in the metric's units (a mean,
    a rate, a median or a location shift, by ``test``), with its ``1 - alpha``
    confidence interval ``[ci_low, ci_high]``; ``p_value`` is two-sided;
    ``effect_size`` is standardised (Cohen's d or d_z, Cohen's h, rank-biserial r, or
    an odds ratio for McNemar: ``effect_name`` says which) with its interval.
    """

    test: str
    estimate: float
    ci_low: float
    ci_high: float
    p_value: float
    statistic: float
    n_control: int
    n_treatment: int
    control_value: float
    treatment_value: float
    effect_name: str
    effect_size: float
    effect_ci_low: float
    effect_ci_high: float
    alpha: float = 0.05

    @property
    def significant(self) -> bool:
        return self.p_value < self.alpha

    @property
    def relative(self) -> float:
        """The estimate relative to the control's value (NaN when that is 0)."""
        if not self.control_value:
            return math.nan
        return self.estimate / abs(self.control_value)


def finite(value: float) -> float | None:
    """``value``, or ``None`` when it is NaN or infinite (for JSON answers)."""
    return value if math.isfinite(value) else None
