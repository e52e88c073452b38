"""A prompt's (or a project's) figures over time, its version and label moves, and a
month-end cost forecast.

Forecast (docs/analytics.md): cost so far this month (rollups) plus the days left times
the mean daily cost of the last 7 whole days (``TRAILING_DAYS``; fewer when the history is
shorter). A trailing mean of whole weeks carries the weekly pattern and follows a change
of traffic within a week. :func:`backtest` measures its error on past days.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from promptyard.services.analytics import queries
from promptyard.services.analytics.schemas import (
    ForecastPublic,
    TrendMarker,
    TrendPoint,
    TrendsPublic,
)
from promptyard.services.context import Core
from promptyard.store.models import SqlLabelEvent, SqlPrompt, SqlVersion

TRAILING_DAYS = 7
METHOD = (
    "month-to-date cost + days left x mean daily cost of the last 7 whole days "
    "(from the day rollups)"
)


def _point(at: int, cell: queries.Cell) -> TrendPoint:
    f = queries.figures(cell)
    return TrendPoint(
        bucket=queries.from_epoch(at),
        calls=f["calls"],
        cost=f["cost"],
        cost_per_call=f["cost_per_call"],
        latency_p50_ms=f["latency_p50_ms"],
        latency_p95_ms=f["latency_p95_ms"],
        error_rate=f["error_rate"],
        feedback_mean=f["feedback_mean"],
        thumbs_ratio=f["thumbs_ratio"],
    )


def month_end_forecast(spent: float, recent_daily: Sequence[float], days_left: float) -> float:
    """The month's expected cost: ``spent`` + ``days_left`` x mean of ``recent_daily``."""
    window = list(recent_daily)[-TRAILING_DAYS:]
    rate = sum(window) / len(window) if window else 0.0
    return spent + rate * max(0.0, days_left)


@dataclass(frozen=True)
class Backtest:
    forecasts: int
    mean_abs_pct_error: float
    max_abs_pct_error: float


def backtest(start: datetime, daily: Sequence[float], *, from_day: int = 8) -> Backtest:
    """Forecast each complete month of ``daily`` (costs of consecutive days from
    ``start``) at the end of every day from ``from_day`` on, with only the days before;
    the absolute percentage errors against the month's actual cost."""
    errors: list[float] = []
    day0 = start.date()
    for index in range(len(daily)):
        today = day0 + timedelta(days=index)
        length = calendar.monthrange(today.year, today.month)[1]
        first = index - (today.day - 1)
        last = first + length
        if first < 0 or last > len(daily) or today.day < from_day or today.day == length:
            continue
        actual = sum(daily[first:last])
        spent = sum(daily[first : index + 1])
        history = daily[max(0, index + 1 - TRAILING_DAYS) : index + 1]
        predicted = month_end_forecast(spent, history, length - today.day)
        if actual > 0:
            errors.append(abs(predicted - actual) / actual)
    if not errors:
        return Backtest(0, 0.0, 0.0)
    return Backtest(len(errors), sum(errors) / len(errors), max(errors))


def forecast(
    core: Core, project_id: int, *, now: datetime, prompt: str | None = None
) -> ForecastPublic:
    """This month's expected cost (of a prompt, or the whole project)."""
    month_start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    length = calendar.monthrange(now.year, now.month)[1]
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    filters = {"prompt": prompt} if prompt else {}
    spent = 0.0
    if now - month_start >= timedelta(minutes=1):
        spent = queries.window_stats(
            core, [project_id], since=month_start, until=now, filters=filters
        ).cost
    trailing_start = today - timedelta(days=TRAILING_DAYS)
    query = queries.Query(
        project_ids=(project_id,),
        since=trailing_start,
        until=today,
        bucket="day",
        filters=filters,
        percentiles=False,
        users=False,
    )
    result = queries.run(core, query)
    cells = result.groups.get((), {})
    daily = [cells[at].total("cost") if at in cells else 0.0 for at in result.buckets]
    first_seen = next((i for i, at in enumerate(result.buckets) if at in cells), None)
    history = daily[first_seen:] if first_seen is not None else []
    month_end = month_start + timedelta(days=length)
    days_left = (month_end - now).total_seconds() / 86400
    rate = sum(history) / len(history) if history else 0.0
    return ForecastPublic(
        month=f"{now.year:04d}-{now.month:02d}",
        spent=spent,
        forecast=month_end_forecast(spent, history, days_left),
        daily_rate=rate,
        days_left=days_left,
        method=METHOD,
    )


def _markers(
    core: Core, project_id: int, prompt: str, since: datetime, until: datetime
) -> list[TrendMarker]:
    markers: list[TrendMarker] = []
    with core.store.read() as session:
        prompt_id = session.scalar(
            select(SqlPrompt.id).where(SqlPrompt.project_id == project_id, SqlPrompt.name == prompt)
        )
        if prompt_id is None:
            return []
        for version in session.execute(
            select(SqlVersion.number, SqlVersion.created_at, SqlVersion.message).where(
                SqlVersion.prompt_id == prompt_id,
                SqlVersion.created_at >= since,
                SqlVersion.created_at < until,
            )
        ):
            markers.append(
                TrendMarker(
                    at=version.created_at,
                    kind="version",
                    version=version.number,
                    text=f"version {version.number} created"
                    + (f": {version.message[:80]}" if version.message else ""),
                )
            )
        for event in session.scalars(
            select(SqlLabelEvent).where(
                SqlLabelEvent.prompt_id == prompt_id,
                SqlLabelEvent.created_at >= since,
                SqlLabelEvent.created_at < until,
            )
        ):
            moved = (
                f"{event.label} moved from {event.from_version} to {event.to_version}"
                if event.from_version is not None
                else f"{event.label} set to {event.to_version}"
            )
            markers.append(
                TrendMarker(
                    at=event.created_at,
                    kind="label",
                    version=event.to_version,
                    label=event.label,
                    from_version=event.from_version,
                    text=moved,
                )
            )
    markers.sort(key=lambda marker: marker.at)
    return markers


def trends(
    core: Core,
    *,
    project_id: int,
    since: datetime,
    until: datetime,
    bucket: str = "day",
    prompt: str | None = None,
    now: datetime | None = None,
) -> TrendsPublic:
    """Cost, latency, errors and feedback over time, overall and per version, with the
    prompt's version and label moves, and the month-end forecast."""
    filters = {"prompt": prompt} if prompt else {}
    overall = queries.run(
        core,
        queries.Query(
            project_ids=(project_id,),
            since=since,
            until=until,
            bucket=bucket,
            filters=filters,
            users=False,
        ),
    )
    empty = queries.Cell()
    cells = overall.groups.get((), {})
    points = [_point(at, cells.get(at, empty)) for at in overall.buckets]
    versions: dict[str, list[TrendPoint]] = {}
    if prompt:
        by_version = queries.run(
            core,
            queries.Query(
                project_ids=(project_id,),
                since=since,
                until=until,
                bucket=bucket,
                group_by=("version",),
                filters=filters,
                users=False,
            ),
        )
        for key, version_cells in sorted(by_version.groups.items()):
            versions[str(key[0])] = [
                _point(at, version_cells.get(at, empty)) for at in by_version.buckets
            ]
    return TrendsPublic(
        prompt=prompt,
        since=since,
        until=until,
        bucket=bucket,  # type: ignore[arg-type]
        points=points,
        versions=versions,
        markers=_markers(core, project_id, prompt, since, until) if prompt else [],
        forecast=forecast(core, project_id, now=now or datetime.now(UTC), prompt=prompt),
    )
