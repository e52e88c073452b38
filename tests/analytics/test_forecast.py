"""The month-end forecast's error measured on past days (docs/analytics.md)."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime

from promptyard.services.analytics.trends import backtest, month_end_forecast

START = datetime(2026, 5, 1, tzinfo=UTC)


def series(days: int, *, growth: float, noise: float, seed: int = 1) -> list[float]:
    rng = random.Random(seed)
    out = []
    for day in range(days):
        weekly = 0.6 if (START.weekday() + day) % 7 >= 5 else 1.0
        trend = (1 + growth) ** (day / 30)
        out.append(100 * weekly * trend * max(0.0, rng.gauss(1, noise)))
    return out


def test_the_forecast_adds_the_trailing_mean_for_the_days_left() -> None:
    assert month_end_forecast(300.0, [10, 20, 30], 10) == 300 + 10 * 20
    assert month_end_forecast(50.0, [], 5) == 50.0
    assert month_end_forecast(50.0, [7] * 20, 2) == 64.0  # the last 7 days only


def test_backtest_error_on_a_weekly_noisy_growing_series() -> None:
    result = backtest(START, series(123, growth=0.3, noise=0.2))
    # measured: 91 forecasts, mean 5.3 %, largest 19.5 % (early in a month of growth)
    assert result.forecasts > 60
    assert result.mean_abs_pct_error < 0.07
    assert result.max_abs_pct_error < 0.25
    steady = backtest(START, series(123, growth=0.0, noise=0.2))
    # measured: mean 3.1 %, largest 11.9 %
    assert steady.mean_abs_pct_error < 0.045
    assert steady.max_abs_pct_error < 0.16


def test_backtest_is_exact_on_flat_whole_weeks() -> None:
    flat = [100.0 if (START.weekday() + d) % 7 < 5 else 60.0 for d in range(92)]
    result = backtest(START, flat)
    assert result.forecasts > 0
    assert result.max_abs_pct_error < 0.05
    assert not math.isnan(result.mean_abs_pct_error)
