"""The SQL side of an online experiment's analysis: counts, sums and sums of squares per
variant and day (never the rows).

The built-in metrics (cost, latency, errors) and custom ``meta:<key>`` metrics are read
from the experiment's rollups (``experiment_rollups``: one row per variant, UTC day and
metric, kept at ingest by ``services/analytics/experiment_rollups.py``), and the units per
variant (for the sample ratio check) are counts of ``experiment_units``: the cost of the
analysis depends on the days and variants, not on how many generations were logged.
Feedback is in the rollups too (added when it is stored, on its generation's day); online
scores (``score:<name>``) join their (fewer) rows to the generations."""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, literal_column, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from promptyard.store.models import (
    SqlExperimentRollup,
    SqlExperimentUnit,
    SqlGeneration,
    SqlScore,
)

#: The metrics every experiment generation adds to its rollups.
BUILT_IN = ("error_rate", "cost", "latency")


@dataclass
class Sums:
    """``n``, ``Σx``, ``Σx²`` of one metric in one cell (variant x day); for a rate,
    ``total`` is the successes."""

    n: int = 0
    total: float = 0.0
    total_sq: float = 0.0

    def add(self, other: Sums) -> None:
        self.n += other.n
        self.total += other.total
        self.total_sq += other.total_sq


@dataclass
class Cells:
    """``metric → variant → day → Sums``, and the units per variant."""

    by_metric: dict[str, dict[str, dict[str, Sums]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(dict))
    )
    units: dict[str, int] = field(default_factory=dict)
    generations: int = 0

    def put(self, metric: str, variant: str, day: str, sums: Sums) -> None:
        self.by_metric[metric][variant][day] = sums


def _day(session: Session, column: Any) -> ColumnElement[str]:
    if session.get_bind().dialect.name == "sqlite":
        return func.substr(column, 1, 10)  # stored as 'YYYY-MM-DD HH:MM:SS[.ffffff]'
    return func.to_char(func.timezone("UTC", column), literal_column("'YYYY-MM-DD'"))


def _moments(x: Any) -> list[ColumnElement[Any]]:
    return [func.count(x), func.coalesce(func.sum(x), 0.0), func.coalesce(func.sum(x * x), 0.0)]


#: At most this many buckets in the series (longer experiments get wider buckets).
MAX_BUCKETS = 120


def _buckets(first: datetime, last: datetime) -> list[tuple[str, datetime, datetime]]:
    """``(label, start, end)`` of UTC days from ``first`` to ``last`` (several days per
    bucket past :data:`MAX_BUCKETS`)."""
    day0 = datetime(first.year, first.month, first.day, tzinfo=UTC)
    days = (last - day0).days + 1
    width = max(1, -(-days // MAX_BUCKETS))
    out = []
    at = day0
    while at <= last:
        end = at + timedelta(days=width)
        out.append((at.date().isoformat(), at, end))
        at = end
    return out


def collect(
    session: Session,
    *,
    project_id: int,
    experiment_id: int,
    unit: str,
    metrics: list[str],
    variants: list[str],
) -> Cells:
    """Counts, sums and sums of squares per metric, variant and day."""
    g = SqlGeneration
    cells = Cells()
    where = and_(g.project_id == project_id, g.experiment_id == experiment_id)
    r = SqlExperimentRollup
    wanted = [*BUILT_IN, *(m for m in metrics if m.startswith("meta:") or m == "feedback")]
    stored = session.execute(
        select(r.variant, r.day, r.metric, r.n, r.total, r.total_sq).where(
            r.project_id == project_id,
            r.experiment_id == experiment_id,
            r.variant.in_(variants),
            r.metric.in_(wanted),
        )
    ).all()
    if not stored:
        return cells
    first = min(row.day for row in stored)
    last = max(row.day for row in stored)
    buckets = _buckets(_as_day(first), _as_day(last))
    bucket_of = _bucket_lookup(buckets)
    for variant, when, metric, n, total, total_sq in stored:
        if metric == "error_rate":
            cells.generations += int(n)
        _add(cells, metric, variant, bucket_of(when), Sums(int(n), float(total), float(total_sq)))
    u = SqlExperimentUnit
    counted = session.execute(
        select(u.variant, func.count())
        .where(
            u.project_id == project_id,
            u.experiment_id == experiment_id,
            u.kind == unit,
            u.variant.in_(variants),
        )
        .group_by(u.variant)
    ).all()
    cells.units = {variant: int(count) for variant, count in counted}
    day = _day(session, g.start_time).label("day")
    for metric in (m for m in metrics if m.startswith("score:")):
        sc = SqlScore
        value = func.coalesce(
            sc.value, case((sc.passed.is_(True), 1.0), (sc.passed.is_(False), 0.0), else_=None)
        )
        joined = (
            select(g.variant, day, *_moments(value))
            .select_from(sc)
            .join(g, and_(g.project_id == sc.project_id, g.id == sc.generation_id))
            .where(where, sc.project_id == project_id, sc.name == metric[6:])
            .group_by(g.variant, day)
        )
        for variant, when, n, total, total_sq in session.execute(joined):
            sums = Sums(int(n), float(total), float(total_sq))
            _add(cells, metric, variant or "", bucket_of(when), sums)
    return cells


def _as_day(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=UTC)


def _bucket_lookup(buckets: list[tuple[str, datetime, datetime]]) -> Callable[[str | None], str]:
    """The bucket label of a ``YYYY-MM-DD`` day."""
    starts = [b[1].date().isoformat() for b in buckets]

    def find(day: str | None) -> str:
        index = max(0, bisect.bisect_right(starts, day or "") - 1)
        return buckets[index][0]

    return find


def _add(cells: Cells, metric: str, variant: str, label: str, sums: Sums) -> None:
    cell = cells.by_metric[metric][variant].get(label)
    if cell is None:
        cells.put(metric, variant, label, sums)
    else:
        cell.add(sums)
