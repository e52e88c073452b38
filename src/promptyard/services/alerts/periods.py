"""Budget periods and the forecast of a period's spend (pure functions).

Periods are calendar periods in UTC: a day from midnight, a week from Monday midnight,
a month from the first. The forecast is a linear projection: the spend so far divided
by the share of the period that has passed, ``spend * (period length / elapsed)``. It is
only made once :data:`MIN_ELAPSED_SHARE` of the period has passed (before that, one
early call would project a huge month).
"""

from __future__ import annotations

from datetime import datetime, timedelta

#: The share of a period that must pass before its spend is projected (5 %: 72 minutes
#: of a day, about 8 hours of a week, 1.5 days of a month).
MIN_ELAPSED_SHARE = 0.05


def period_bounds(period: str, now: datetime) -> tuple[datetime, datetime]:
    """``[start, end)`` of the period containing ``now`` (UTC)."""
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "day":
        return day, day + timedelta(days=1)
    if period == "week":
        start = day - timedelta(days=day.weekday())
        return start, start + timedelta(days=7)
    if period == "month":
        start = day.replace(day=1)
        end = (start + timedelta(days=32)).replace(day=1)
        return start, end
    raise ValueError(f"unknown period {period!r}")


def forecast(spend: float, start: datetime, end: datetime, now: datetime) -> float | None:
    """The period's spend projected linearly from ``spend`` at ``now``; ``None`` before
    :data:`MIN_ELAPSED_SHARE` of the period has passed."""
    total = (end - start).total_seconds()
    elapsed = (now - start).total_seconds()
    if total <= 0 or elapsed < MIN_ELAPSED_SHARE * total:
        return None
    return spend * total / min(elapsed, total)
