"""Dashboard queries over the rollups (never over raw generations).

A time range is cut into whole days, then whole hours at its edges, then whole minutes
at its very edges (:func:`segments`), and each piece reads its own grain: a month reads
~30 day buckets per key plus at most 46 hour and 118 minute buckets. A requested bucket
(minute, hour, day, week) is always a whole number of the grains it reads, so every
rollup row falls into exactly one output bucket. Times are taken to the minute
(``since`` rounded down, ``until`` rounded down).

Sums are added in SQL (``GROUP BY`` output bucket and group); sketches, when the figure
needs them (percentiles, unique users), are read and merged here.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from datasketches import hll_union, kll_floats_sketch
from sqlalchemy import func, literal_column, select

from promptyard.domain.errors import ValidationFailed
from promptyard.services.analytics import rollups
from promptyard.services.context import Core
from promptyard.store.models import SqlDimRollup, SqlRollup

#: API name of a dimension -> rollup column (``user`` and ``tag`` live in the dim table).
DIMENSIONS: dict[str, str] = {
    "prompt": "prompt_name",
    "version": "prompt_version",
    "model": "model",
    "provider": "provider",
    "feature": "feature",
    "agent": "agent",
    "environment": "environment",
    "user": "user",
    "tag": "tag",
}
#: Dimensions kept apart (``analytics_dim_rollups``), combinable only with these others.
SIDE_DIMENSIONS = ("user", "tag")
SIDE_COMPANIONS = ("prompt", "version", "model")
BUCKETS: dict[str, int] = {"minute": 60, "hour": 3600, "day": 86400, "week": 7 * 86400}
#: Weeks start on Monday 00:00 UTC (the Unix epoch was a Thursday).
_WEEK_OFFSET = 4 * 86400
#: At most this many buckets x groups in one answer.
MAX_CELLS = 400
#: At most this many groups are returned (the top ones by calls).
MAX_GROUPS = 400


@dataclass(frozen=True)
class WindowStats:
    calls: int
    errors: int
    cost: float
    input_tokens: int
    output_tokens: int
    latency_p95_ms: float | None
    feedback_mean: float | None  # mean of score feedback normalised to 0..1
    feedback_count: int


@dataclass(frozen=True)
class Query:
    project_ids: tuple[int, ...]
    since: datetime
    until: datetime
    #: ``None``: the whole range is one bucket.
    bucket: str | None = None
    group_by: tuple[str, ...] = ()
    filters: Mapping[str, str] = field(default_factory=dict)
    #: Read the latency/ttft sketches (percentiles) and the users sketch.
    percentiles: bool = True
    users: bool = True


@dataclass
class Cell:
    """The merged rollups of one output bucket and group."""

    sums: dict[str, float] = field(default_factory=dict)
    latency: kll_floats_sketch | None = None
    ttft: kll_floats_sketch | None = None
    users: hll_union | None = None
    one_user: bool = False

    def total(self, name: str) -> float:
        return self.sums.get(name, 0.0)

    def quantile(self, which: str, q: float) -> float | None:
        sketch = self.latency if which == "latency" else self.ttft
        if sketch is None or sketch.is_empty():
            return None
        return float(sketch.get_quantile(q))

    def unique_users(self) -> int | None:
        if self.one_user:  # rows of one user each
            return 1 if self.sums.get("calls") else 0
        if self.users is None:
            return 0
        return round(self.users.get_result().get_estimate())


@dataclass
class Result:
    buckets: list[int]
    group_by: tuple[str, ...]
    #: group values -> bucket start -> cell
    groups: dict[tuple[Any, ...], dict[int, Cell]]
    totals: dict[tuple[Any, ...], Cell]
    groups_dropped: int = 0


# -- time -------------------------------------------------------------------------------


def epoch(value: datetime) -> int:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return int(value.timestamp())


def from_epoch(value: int) -> datetime:
    return datetime.fromtimestamp(value, tz=UTC)


def floor_bucket(at: int, bucket: str) -> int:
    size = BUCKETS[bucket]
    offset = _WEEK_OFFSET if bucket == "week" else 0
    return at - (at - offset) % size


#: The coarsest grain each requested bucket may read (a bucket holds whole grains).
COARSEST = {None: "day", "week": "day", "day": "day", "hour": "hour", "minute": "minute"}
_LEVELS = ("day", "hour", "minute")


def segments(since: int, until: int, coarsest: str = "day") -> list[tuple[str, int, int]]:
    """``[since, until)`` (whole minutes) as (grain, start, end) pieces, coarsest inside
    (never coarser than ``coarsest``)."""
    pieces: list[tuple[str, int, int]] = []

    def cut(start: int, end: int, level: int) -> None:
        if start >= end:
            return
        grain = _LEVELS[level]
        size = rollups.GRAINS[grain]
        if grain == "minute":
            pieces.append((grain, start, end))
            return
        inner_start = -(-start // size) * size
        inner_end = end // size * size
        if inner_start >= inner_end:
            cut(start, end, level + 1)
            return
        cut(start, inner_start, level + 1)
        pieces.append((grain, inner_start, inner_end))
        cut(inner_end, end, level + 1)

    cut(since, until, _LEVELS.index(coarsest))
    return pieces


def bucket_starts(since: int, until: int, bucket: str | None) -> list[int]:
    if bucket is None:
        return [since]
    starts = []
    at = floor_bucket(since, bucket)
    size = BUCKETS[bucket]
    while at < until:
        starts.append(at)
        at += size
    return starts


# -- validation -------------------------------------------------------------------------


def check(query: Query) -> None:
    """A ValidationFailed naming what is wrong with the query, if anything is."""
    if query.until <= query.since:
        raise ValidationFailed("until: must be after since")
    if query.bucket is not None and query.bucket not in BUCKETS:
        raise ValidationFailed(f"bucket: one of {', '.join(BUCKETS)}")
    for name in (*query.group_by, *query.filters):
        if name not in DIMENSIONS:
            raise ValidationFailed(
                f"{name!r} is not a dimension: one of {', '.join(DIMENSIONS)}",
                details={"dimensions": list(DIMENSIONS)},
            )
    if len(set(query.group_by)) != len(query.group_by) or len(query.group_by) > 2:
        raise ValidationFailed("group_by: at most two different dimensions")
    version = query.filters.get("version")
    if version is not None and not (version.isdigit() and 0 < int(version) < 2**31):
        raise ValidationFailed("version: a version number (1, 2, 3 ...)")
    named = {*query.group_by, *query.filters}
    side = named & set(SIDE_DIMENSIONS)
    if len(side) > 1:
        raise ValidationFailed("user and tag cannot be combined in one query")
    if side and not named - side <= set(SIDE_COMPANIONS):
        raise ValidationFailed(
            f"{side.pop()} combines only with prompt, version and model "
            "(users and tags are summed apart from the other dimensions)"
        )
    since, until = _minutes(query)
    if until <= since:
        raise ValidationFailed("since and until must be at least a minute apart")
    count = len(bucket_starts(since, until, query.bucket))
    if count > MAX_CELLS:
        raise ValidationFailed(
            f"{count} {query.bucket} buckets: at most {MAX_CELLS} buckets x groups per "
            "query; choose a larger bucket or a shorter range",
            details={"buckets": count, "max_cells": MAX_CELLS},
        )


def _minutes(query: Query) -> tuple[int, int]:
    return epoch(query.since) // 60 * 60, epoch(query.until) // 60 * 60


def _kept_grains(core: Core, query: Query, since: int, until: int) -> tuple[int, int]:
    """Minute rollups are kept ``analytics_minute_retention_hours``: an edge older than
    that is taken out to its whole hour (``since`` down, ``until`` up); minute buckets
    there are refused."""
    hours = core.settings.analytics_minute_retention_hours
    cutoff = rollups.minute_cutoff(core.clock(), hours)
    if since >= cutoff:
        return since, until
    if query.bucket == "minute":
        raise ValidationFailed(
            f"minute buckets are kept for {hours} hours: since must be after "
            f"{from_epoch(cutoff).isoformat()}; use hour buckets for older ranges",
            details={"minute_retention_hours": hours},
        )
    if until < cutoff:
        until = -(-until // 3600) * 3600
    return since - since % 3600, until


# -- reading ----------------------------------------------------------------------------


def _table(query: Query) -> tuple[Any, str | None]:
    """The rollups that answer: per user or tag, the ``all`` rows when only prompt,
    version and model are named (the small table), else the main one."""
    named = {*query.group_by, *query.filters}
    if named == {"user"}:
        return SqlDimRollup, "user_total"
    for side in SIDE_DIMENSIONS:
        if side in named:
            return SqlDimRollup, side
    if not named:
        return SqlDimRollup, "total"
    if len(named) == 1 and next(iter(named)) in rollups.SINGLE_DIMENSIONS:
        return SqlDimRollup, next(iter(named))
    if named <= set(SIDE_COMPANIONS):
        return SqlDimRollup, "all"
    return SqlRollup, None


def _column(model: Any, name: str, side: str | None) -> Any:
    if name == side or (name, side) == ("user", "user_total"):  # the dim rows' own
        return model.value
    return getattr(model, DIMENSIONS[name])


def _bucket_expr(model: Any, bucket: str | None, since: int) -> Any:
    if bucket is None:
        return literal_column(str(int(since)))
    size = BUCKETS[bucket]
    offset = _WEEK_OFFSET if bucket == "week" else 0
    return model.bucket - (model.bucket - offset) % size


def _conditions(
    query: Query, model: Any, side: str | None, grain: str, start: int, end: int
) -> list[Any]:
    conditions: list[Any] = [
        model.project_id.in_(query.project_ids),
        model.grain == grain,
        model.bucket >= start,
        model.bucket < end,
    ]
    if side is not None:
        conditions.append(model.dim == side)
    for name, value in query.filters.items():
        column = _column(model, name, side)
        conditions.append(column == (int(value) if name == "version" else value))
    return conditions


def run(core: Core, query: Query) -> Result:
    """Answer a checked query from the rollups: one indexed range read per time segment,
    once the query's projects' generations stored so far are counted (:func:`rollups.roll_up`:
    one read of their marks when they are)."""
    check(query)
    rollups.roll_up(core, query.project_ids)
    table, table_side = _table(query)
    since, until = _kept_grains(core, query, *_minutes(query))
    starts = bucket_starts(since, until, query.bucket)
    result = Result(buckets=starts, group_by=query.group_by, groups={}, totals={})
    names = (*rollups.SUMS, *rollups.FEEDBACK)
    pieces = segments(since, until, COARSEST[query.bucket])
    plans = []
    for grain, start, end in pieces:
        model, side = table, table_side
        if grain == "minute" and side == "user_total":  # hour/day only: per-user rows
            side = "user"
        elif grain == "minute" and side not in SIDE_DIMENSIONS:  # hour/day only: main rows
            model, side = SqlRollup, None
        bucket = _bucket_expr(model, query.bucket, since).label("out_bucket")
        groups = [
            _column(model, name, side).label(f"g{i}") for i, name in enumerate(query.group_by)
        ]
        plans.append((model, bucket, groups, _conditions(query, model, side, grain, start, end)))
    with core.store.read() as session:
        for model, bucket, groups, conditions in plans:
            sums = [func.sum(getattr(model, name)).label(name) for name in names]
            statement = select(bucket, *groups, *sums).where(*conditions)
            grouping = [*groups] if query.bucket is None else [bucket, *groups]
            if grouping:
                statement = statement.group_by(*grouping)
            first = 1 + len(groups)  # the sums follow the bucket and the group values
            calls = first + names.index("calls")
            # Core, not the ORM session: rows of plain values, no ORM loading per row
            for row in session.connection().execute(statement).tuples():
                if not row[calls]:
                    continue
                cells = result.groups.setdefault(tuple(row[1:first]), {})
                at = int(row[0])
                values = [float(value or 0) for value in row[first:]]
                cell = cells.get(at)
                if cell is None:  # most cells come from one segment: no sums to add to
                    cells[at] = Cell(dict(zip(names, values, strict=True)))
                    continue
                added = cell.sums
                for name, value in zip(names, values, strict=True):
                    added[name] = added.get(name, 0.0) + value
        _limit_groups(result, len(starts))
        per_user = table_side in ("user", "user_total")
        if per_user:
            for cells in result.groups.values():
                for cell in cells.values():
                    cell.one_user = True  # one user named or grouped by
        need_users = query.users and not per_user
        if query.percentiles or need_users:
            for model, bucket, groups, conditions in plans:
                blobs = [
                    model.latency_sketch if query.percentiles else literal_column("NULL"),
                    model.ttft_sketch if query.percentiles else literal_column("NULL"),
                    model.users_sketch if need_users else literal_column("NULL"),
                ]
                sketches = select(bucket, *groups, *blobs).where(*conditions)
                if result.groups_dropped and len(groups) == 1:  # only the groups kept
                    sketches = sketches.where(groups[0].element.in_([k[0] for k in result.groups]))
                for row in session.execute(sketches):
                    kept = result.groups.get(tuple(row[1 : 1 + len(groups)]))
                    if kept is None:
                        continue
                    found = kept.get(int(row[0]))
                    if found is not None:
                        _merge(found, row[-3], row[-2], row[-1], query)
    for key, cells in result.groups.items():
        result.totals[key] = _total(cells.values(), query)
    return result


def _limit_groups(result: Result, bucket_count: int) -> None:
    """Keep the groups with most calls, at most ``MAX_CELLS`` buckets x groups."""
    keep = max(1, min(MAX_GROUPS, MAX_CELLS // max(1, bucket_count)))
    if len(result.groups) <= keep:
        return
    ranked = sorted(
        result.groups.items(),
        key=lambda item: -sum(cell.total("calls") for cell in item[1].values()),
    )
    result.groups_dropped = len(ranked) - keep
    result.groups = dict(ranked[:keep])


def _merge(cell: Cell, latency: Any, ttft: Any, users: Any, query: Query) -> None:
    if query.percentiles:
        for attribute, blob in (("latency", latency), ("ttft", ttft)):
            sketch = rollups.load_sketch(blob)
            if sketch is None:
                continue
            mine = getattr(cell, attribute)
            if mine is None:
                setattr(cell, attribute, sketch)
            else:
                mine.merge(sketch)
    if query.users and users is not None:
        if cell.users is None:
            cell.users = hll_union(rollups.HLL_LG_K)
        loaded = rollups.load_users(users)
        if loaded is not None:
            cell.users.update(loaded)


def _total(cells: Iterable[Cell], query: Query) -> Cell:
    total = Cell()
    for cell in cells:
        total.one_user = total.one_user or cell.one_user
        for name, value in cell.sums.items():
            total.sums[name] = total.sums.get(name, 0.0) + value
        for attribute in ("latency", "ttft"):
            sketch = getattr(cell, attribute)
            if sketch is None:
                continue
            mine = getattr(total, attribute)
            if mine is None:
                mine = rollups.new_sketch()
                setattr(total, attribute, mine)
            mine.merge(sketch)
        if cell.users is not None:
            if total.users is None:
                total.users = hll_union(rollups.HLL_LG_K)
            total.users.update(cell.users.get_result())
    return total


# -- derived figures -------------------------------------------------------------------


def ratio(numerator: float, denominator: float) -> float | None:
    return None if denominator <= 0 else numerator / denominator


def figures(cell: Cell) -> dict[str, Any]:
    """Every figure of a cell (the API's point), ``None`` where undefined."""
    calls = cell.total("calls")
    thumbs = cell.total("thumbs_up") + cell.total("thumbs_down")
    nps_count = (
        cell.total("nps_promoters") + cell.total("nps_passives") + cell.total("nps_detractors")
    )
    nps = ratio(100 * (cell.total("nps_promoters") - cell.total("nps_detractors")), nps_count)
    cost = cell.total("cost")
    return {
        "calls": int(calls),
        "errors": int(cell.total("errors")),
        "error_rate": ratio(cell.total("errors"), calls),
        "input_tokens": int(cell.total("input_tokens")),
        "output_tokens": int(cell.total("output_tokens")),
        "total_tokens": int(cell.total("input_tokens") + cell.total("output_tokens")),
        "cost": cost,
        "cost_per_call": ratio(cost, cell.total("cost_calls")),
        "cost_per_1k_calls": None if not calls else 1000 * cost / calls,
        "latency_mean_ms": ratio(cell.total("latency_sum"), cell.total("latency_count")),
        "latency_p50_ms": cell.quantile("latency", 0.5),
        "latency_p95_ms": cell.quantile("latency", 0.95),
        "latency_p99_ms": cell.quantile("latency", 0.99),
        "ttft_p50_ms": cell.quantile("ttft", 0.5),
        "ttft_p95_ms": cell.quantile("ttft", 0.95),
        "ttft_p99_ms": cell.quantile("ttft", 0.99),
        "feedback_mean": ratio(cell.total("score_sum"), cell.total("score_count")),
        "feedback_count": int(cell.total("score_count")),
        "thumbs_up": int(cell.total("thumbs_up")),
        "thumbs_down": int(cell.total("thumbs_down")),
        "thumbs_ratio": ratio(cell.total("thumbs_up"), thumbs),
        "nps": nps,
        "nps_count": int(nps_count),
        "unique_users": cell.unique_users(),
    }


# -- the budget/alert view ------------------------------------------------------------


def window_stats(
    core: Core,
    project_ids: Sequence[int],
    *,
    since: datetime,
    until: datetime,
    filters: Mapping[str, str] | None = None,
) -> WindowStats:
    """Totals of ``[since, until)`` (to the minute) over the projects, from the rollups.

    ``filters``: prompt, version, model, provider, user, feature, agent, environment.
    """
    if not project_ids or until <= since or epoch(until) // 60 <= epoch(since) // 60:
        return WindowStats(0, 0, 0.0, 0, 0, None, None, 0)
    query = Query(
        project_ids=tuple(project_ids),
        since=since,
        until=until,
        filters=dict(filters or {}),
        users=False,
    )
    result = run(core, query)
    cell = result.totals.get((), Cell())
    p95 = cell.quantile("latency", 0.95)
    return WindowStats(
        calls=int(cell.total("calls")),
        errors=int(cell.total("errors")),
        cost=cell.total("cost"),
        input_tokens=int(cell.total("input_tokens")),
        output_tokens=int(cell.total("output_tokens")),
        latency_p95_ms=None if p95 is None or math.isnan(p95) else p95,
        feedback_mean=ratio(cell.total("score_sum"), cell.total("score_count")),
        feedback_count=int(cell.total("score_count")),
    )


__all__ = [
    "BUCKETS",
    "DIMENSIONS",
    "MAX_CELLS",
    "Cell",
    "Query",
    "Result",
    "WindowStats",
    "figures",
    "run",
    "window_stats",
]
