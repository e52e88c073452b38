"""The SQL side of an online experiment's analysis: counts, sums and sums of squares per
variant and day (never the rows).

The built-in metrics (cost, latency, errors) are streaming aggregates over slices of the
partial covering index ``ix_generations_experiment`` (project, experiment, variant,
start time, status, latency, costs): one slice per variant and day, no sort and no table
row read. Units per variant (for the sample ratio check) are distinct counts over
``ix_generations_experiment_users`` / ``_sessions``, in index order. Feedback and online
scores join their (fewer) rows to the generations; a ``meta:<key>`` metric reads the
JSON of every row of the experiment (the one metric that scans)."""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, literal_column, select, type_coerce
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import Float, String

from promptyard.store.models import SqlFeedback, SqlGeneration, SqlScore


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


def _meta_number(session: Session, key: str) -> ColumnElement[Any]:
    """The numeric value of metadata ``key`` (None where missing or not a number)."""
    meta = SqlGeneration.__table__.c.metadata
    if session.get_bind().dialect.name == "sqlite":
        path = '$."' + key + '"'  # the key is checked: letters, digits, . _ -
        return case(
            (func.json_type(meta, path).in_(("integer", "real")), func.json_extract(meta, path)),
            else_=None,
        )
    element = meta.op("->")(type_coerce(key, String))
    return case(
        (
            func.jsonb_typeof(element) == "number",
            type_coerce(meta.op("->>")(type_coerce(key, String)), String).cast(Float),
        ),
        else_=None,
    )


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


def _range_sums(session: Session, where: Any, variant: str, start: datetime, end: datetime) -> Any:
    """One variant's built-in metrics over one time range: a streaming aggregate over a
    slice of the covering index ``ix_generations_experiment`` (no sort, no table rows).
    Kept to the cheapest expressions (SQLite evaluates them per row): ingest takes both
    costs or neither, so the cost is their plain sum."""
    g = SqlGeneration
    cost = g.input_cost + g.output_cost
    if session.get_bind().dialect.name == "sqlite":
        errors: Any = func.total(g.status == "error")
    else:
        errors = func.coalesce(func.sum(case((g.status == "error", 1), else_=0)), 0)
    query = select(
        func.count(),
        errors,
        *_moments(cost),
        *_moments(g.latency_ms),
    ).where(where, g.variant == variant, g.start_time >= start, g.start_time < end)
    return session.execute(query).one()


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
    spans = []
    for variant in variants:
        low, high = session.execute(
            select(func.min(g.start_time), func.max(g.start_time)).where(
                where, g.variant == variant
            )
        ).one()
        if low is not None:
            spans.append((_aware(low), _aware(high)))
    if not spans:
        return cells
    buckets = _buckets(min(s[0] for s in spans), max(s[1] for s in spans))
    for variant in variants:
        for label, start, end in buckets:
            row = _range_sums(session, where, variant, start, end)
            count = int(row[0])
            if not count:
                continue
            cells.generations += count
            cells.put("error_rate", variant, label, Sums(count, float(row[1]), float(row[1])))
            cells.put("cost", variant, label, Sums(int(row[2]), float(row[3]), float(row[4])))
            cells.put("latency", variant, label, Sums(int(row[5]), float(row[6]), float(row[7])))
        unit_column = g.user_id if unit == "user" else g.session_id
        units = select(func.count(func.distinct(unit_column))).where(where, g.variant == variant)
        cells.units[variant] = int(session.execute(units).scalar_one())
    bucket_of = _bucket_lookup(buckets)
    day = _day(session, g.start_time).label("day")
    customs = [m for m in metrics if m.startswith("meta:")]
    if customs:  # a JSON value per row: a scan of the experiment's rows
        columns: list[ColumnElement[Any]] = []
        for metric in customs:
            columns.extend(_moments(_meta_number(session, metric[5:])))
        query = select(g.variant, day, *columns).where(where).group_by(g.variant, day)
        for row in session.execute(query):
            for i, metric in enumerate(customs):
                base = 2 + 3 * i
                sums = Sums(int(row[base]), float(row[base + 1]), float(row[base + 2]))
                _add(cells, metric, row[0] or "", bucket_of(row[1]), sums)
    if "feedback" in metrics:
        f = SqlFeedback
        joined = (
            select(g.variant, day, *_moments(f.value))
            .select_from(f)
            .join(g, and_(g.project_id == f.project_id, g.id == f.generation_id))
            .where(where, f.project_id == project_id, f.value.is_not(None))
            .group_by(g.variant, day)
        )
        for variant, when, n, total, total_sq in session.execute(joined):
            sums = Sums(int(n), float(total), float(total_sq))
            _add(cells, "feedback", variant or "", bucket_of(when), sums)
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


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


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
