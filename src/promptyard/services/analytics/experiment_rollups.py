"""Online experiments' rollups, kept in the ingest transaction: per experiment, variant,
UTC day and metric the count, sum and sum of squares (``experiment_rollups``), and each
unit a variant served, once (``experiment_units``).

Called by :func:`promptyard.services.analytics.rollups.add_generations` (the one ingest
hook) with the rows just stored. A row that no experiment served costs one dict lookup;
an experiment's row adds to a few in-memory sums, and the batch ends in one upsert per
(experiment, variant, day, metric) and one insert-if-absent per distinct unit. The
analysis (``services/experiments/aggregates.py``) reads these instead of the rows.

Metrics: ``error_rate`` (``n`` = generations, ``total`` = errors), ``feedback`` (each
feedback value on a generation, added by :func:`add_feedback` when the feedback is
stored, on its generation's day), ``cost`` (input plus
output cost, where priced), ``latency`` (ms, where measured) and ``meta:<key>`` for each
numeric (not boolean) top-level metadata value (at most :data:`MAX_META_KEYS` a row, keys
of :data:`META_KEY` shape). The sums are exact: Welch's test and the two-proportion test
need nothing else, so the analysis gives the same numbers as over the raw rows (up to the
order of floating-point additions).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, delete, select
from sqlalchemy.engine import Connection

from promptyard.store.models import (
    SqlExperimentRollup,
    SqlExperimentUnit,
    SqlFeedback,
    SqlGeneration,
)

#: Metadata keys summed as ``meta:<key>`` (the experiment API's metric names).
META_KEY = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
#: At most this many numeric metadata values of one row are summed.
MAX_META_KEYS = 20

Cell = tuple[int, int, str, str, str]  # project, experiment, variant, day, metric


def _day(value: Any) -> str:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return f"{value.year:04d}-{value.month:02d}-{value.day:02d}"


def _put(sums: dict[Cell, list[float]], cell: Cell, x: float) -> None:
    acc = sums.get(cell)
    if acc is None:
        sums[cell] = [1, x, x * x]
    else:
        acc[0] += 1
        acc[1] += x
        acc[2] += x * x


def aggregate(
    rows: Iterable[Mapping[str, Any]],
) -> tuple[dict[Cell, list[float]], set[tuple[int, int, str, str, str]]]:
    """The sums per cell and the distinct units of the experiments' rows among ``rows``."""
    sums: dict[Cell, list[float]] = {}
    units: set[tuple[int, int, str, str, str]] = set()
    days: dict[Any, str] = {}
    for row in rows:
        experiment = row.get("experiment_id")
        if experiment is None:
            continue
        project, variant = int(row["project_id"]), str(row.get("variant") or "")
        start = row["start_time"]
        day = days.get(start)
        if day is None:
            day = days[start] = _day(start)
        key = (project, int(experiment), variant, day)
        _put(sums, (*key, "error_rate"), 1.0 if row.get("status") == "error" else 0.0)
        cost_in, cost_out = row.get("input_cost"), row.get("output_cost")
        if cost_in is not None and cost_out is not None:
            _put(sums, (*key, "cost"), float(cost_in) + float(cost_out))
        latency = row.get("latency_ms")
        if latency is not None:
            _put(sums, (*key, "latency"), float(latency))
        meta = row.get("meta")
        if meta:
            _meta(sums, key, meta)
        for kind, column in (("user", "user_id"), ("session", "session_id")):
            unit = row.get(column)
            if unit:
                units.add((project, int(experiment), kind, variant, str(unit)))
    return sums, units


def _meta(sums: dict[Cell, list[float]], key: tuple[int, int, str, str], meta: Any) -> None:
    if not isinstance(meta, Mapping):
        return
    taken = 0
    for name, value in meta.items():
        if isinstance(value, bool) or not isinstance(value, int | float):
            continue
        if not META_KEY.match(name) or not math.isfinite(value):
            continue
        _put(sums, (*key, "meta:" + name), float(value))
        taken += 1
        if taken == MAX_META_KEYS:
            return


def _upsert_sql(sqlite: bool) -> str:
    mark = "?" if sqlite else "%s"
    table = SqlExperimentRollup.__tablename__
    return (
        f"INSERT INTO {table} (project_id, experiment_id, variant, day, metric, n, total, "
        f"total_sq) VALUES ({', '.join([mark] * 8)}) "
        "ON CONFLICT (project_id, experiment_id, variant, day, metric) DO UPDATE SET "
        f"n = {table}.n + excluded.n, total = {table}.total + excluded.total, "
        f"total_sq = {table}.total_sq + excluded.total_sq"
    )


def _units_sql(sqlite: bool) -> str:
    mark = "?" if sqlite else "%s"
    return (
        f"INSERT INTO {SqlExperimentUnit.__tablename__} (project_id, experiment_id, kind, "
        f"variant, unit) VALUES ({', '.join([mark] * 5)}) ON CONFLICT DO NOTHING"
    )


def write(
    connection: Connection,
    sums: Mapping[Cell, list[float]],
    units: Iterable[tuple[int, int, str, str, str]],
) -> None:
    sqlite = connection.dialect.name == "sqlite"
    if sums:
        values = [(*cell, int(acc[0]), acc[1], acc[2]) for cell, acc in sorted(sums.items())]
        connection.exec_driver_sql(_upsert_sql(sqlite), values)
    listed = sorted(units)
    if listed:
        connection.exec_driver_sql(_units_sql(sqlite), listed)


def add_generations(connection: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    """Add the rows just stored (the ingest hook, under its project lock)."""
    sums, units = aggregate(rows)
    if sums:
        write(connection, sums, units)


def add_feedback(connection: Connection, row: Mapping[str, Any]) -> None:
    """Add one feedback value to the ``feedback`` metric of the experiment that served its
    generation, on the generation's day (the feedback hook; one index lookup; feedback
    stored before its generation is not counted, as in the analytics rollups)."""
    value = row.get("value")
    if row.get("generation_id") is None or value is None:
        return
    g = SqlGeneration
    found = connection.execute(
        select(g.experiment_id, g.variant, g.start_time).where(
            g.project_id == row["project_id"], g.id == row["generation_id"]
        )
    ).first()
    if found is None or found[0] is None:
        return
    cell = (int(row["project_id"]), int(found[0]), str(found[1] or ""), _day(found[2]))
    x = float(value)
    write(connection, {(*cell, "feedback"): [1, x, x * x]}, ())


def rebuild(connection: Connection, project_id: int, experiment_id: int) -> int:
    """Recompute one experiment's rollups from its raw rows (those retention kept);
    returns the rows read."""
    for table in (SqlExperimentRollup, SqlExperimentUnit):
        connection.execute(
            delete(table).where(
                table.project_id == project_id, table.experiment_id == experiment_id
            )
        )
    g = SqlGeneration
    columns = (
        g.project_id, g.experiment_id, g.variant, g.start_time, g.status, g.input_cost,
        g.output_cost, g.latency_ms, g.meta, g.user_id, g.session_id,
    )  # fmt: skip
    names = [c.key for c in columns]
    count, after = 0, 0
    while True:  # in primary-key order, a chunk at a time
        chunk = connection.execute(
            select(g.pk, *columns)
            .where(g.project_id == project_id, g.experiment_id == experiment_id, g.pk > after)
            .order_by(g.pk)
            .limit(5000)
        ).all()
        if not chunk:
            break
        after = chunk[-1][0]
        rows = [dict(zip(names, row[1:], strict=True)) for row in chunk]
        count += len(rows)
        add_generations(connection, rows)
    f = SqlFeedback
    joined = (
        select(g.variant, g.start_time, f.value)
        .select_from(f)
        .join(g, and_(g.project_id == f.project_id, g.id == f.generation_id))
        .where(
            f.project_id == project_id,
            g.experiment_id == experiment_id,
            f.value.is_not(None),
        )
    )
    sums: dict[Cell, list[float]] = {}
    for variant, start, value in connection.execute(joined):
        cell = (project_id, experiment_id, str(variant or ""), _day(start), "feedback")
        _put(sums, cell, float(value or 0.0))  # never None: the query leaves those out
    write(connection, sums, ())
    return count
