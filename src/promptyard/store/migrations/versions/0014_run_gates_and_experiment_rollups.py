"""run gates and experiment rollups

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 06:20:00

Evaluation-run gates on change requests and per-variant experiment rollups (issue 11).

The gate keeps its settings in the project's policy (``projects.settings``): no table.
An online experiment is analysed from ``experiment_rollups`` (count, sum, sum of squares
per experiment, variant, UTC day and metric) and ``experiment_units`` (each unit a variant
served, once), kept at ingest; they replace the covering indexes on ``generations`` of
0012. The rows stored before this revision are summed here once.
"""

from __future__ import annotations

import json
import math
import re
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_GENERATION_INDEXES = {
    "ix_generations_experiment": [
        "start_time",
        "status",
        "latency_ms",
        "input_cost",
        "output_cost",
    ],
    "ix_generations_experiment_users": ["user_id"],
    "ix_generations_experiment_sessions": ["session_id"],
}
_READ = (
    "id",
    "project_id",
    "experiment_id",
    "variant",
    "start_time",
    "status",
    "input_cost",
    "output_cost",
    "latency_ms",
    "metadata",
    "user_id",
    "session_id",
)
_ROLLUP = ("project_id", "experiment_id", "variant", "day", "metric", "n", "total", "total_sq")
_META_KEY = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def upgrade() -> None:
    op.create_table(
        "experiment_rollups",
        sa.Column("project_id", _ID, nullable=False),
        sa.Column("experiment_id", _ID, nullable=False),
        sa.Column("variant", sa.String(length=64), nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("metric", sa.String(length=80), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.Column("total", sa.Float(), nullable=False),
        sa.Column("total_sq", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("project_id", "experiment_id", "variant", "day", "metric"),
    )
    op.create_table(
        "experiment_units",
        sa.Column("project_id", _ID, nullable=False),
        sa.Column("experiment_id", _ID, nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("variant", sa.String(length=64), nullable=False),
        sa.Column("unit", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("project_id", "experiment_id", "kind", "variant", "unit"),
    )
    _backfill(op.get_bind())
    for name in _GENERATION_INDEXES:
        op.drop_index(name, table_name="generations")


def _day(value: Any) -> str:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%d")


def _backfill(connection: sa.Connection) -> None:
    """The sums of the experiments' rows already stored (the same as the ingest hook,
    ``services/analytics/experiment_rollups.py``, computes; written out here so that this
    revision does not change when that module does)."""
    g = sa.table("generations", *(sa.column(name) for name in _READ))
    sums: dict[tuple[Any, ...], list[float]] = {}
    units: set[tuple[Any, ...]] = set()

    def put(cell: tuple[Any, ...], x: float) -> None:
        acc = sums.setdefault(cell, [0, 0.0, 0.0])
        acc[0] += 1
        acc[1] += x
        acc[2] += x * x

    query = sa.select(g).where(g.c.experiment_id.is_not(None))
    for row in connection.execute(query).mappings():
        variant = row["variant"] or ""
        key = (row["project_id"], row["experiment_id"], variant, _day(row["start_time"]))
        put((*key, "error_rate"), 1.0 if row["status"] == "error" else 0.0)
        if row["input_cost"] is not None and row["output_cost"] is not None:
            put((*key, "cost"), float(row["input_cost"]) + float(row["output_cost"]))
        if row["latency_ms"] is not None:
            put((*key, "latency"), float(row["latency_ms"]))
        meta = row["metadata"]
        if isinstance(meta, str):
            meta = json.loads(meta)
        taken = 0
        for name, value in (meta or {}).items() if isinstance(meta, dict) else ():
            if isinstance(value, bool) or not isinstance(value, int | float):
                continue
            if taken == 20 or not _META_KEY.match(name) or not math.isfinite(value):
                continue
            put((*key, "meta:" + name), float(value))
            taken += 1
        for kind, column in (("user", "user_id"), ("session", "session_id")):
            if row[column]:
                units.add((row["project_id"], row["experiment_id"], kind, variant, row[column]))
    f = sa.table("feedback", *(sa.column(n) for n in ("project_id", "generation_id", "value")))
    joined = (
        sa.select(g.c.project_id, g.c.experiment_id, g.c.variant, g.c.start_time, f.c.value)
        .select_from(f)
        .join(
            g,
            sa.and_(g.c.project_id == f.c.project_id, g.c.id == f.c.generation_id),
        )
        .where(g.c.experiment_id.is_not(None), f.c.value.is_not(None))
    )
    for project, experiment, variant, start, value in connection.execute(joined):
        put((project, experiment, variant or "", _day(start), "feedback"), float(value))
    rollups = sa.table("experiment_rollups", *(sa.column(n) for n in _ROLLUP))
    unit_table = sa.table(
        "experiment_units",
        *(sa.column(n) for n in ("project_id", "experiment_id", "kind", "variant", "unit")),
    )
    names = ("project_id", "experiment_id", "variant", "day", "metric")
    values = [
        {**dict(zip(names, cell, strict=True)), "n": int(a[0]), "total": a[1], "total_sq": a[2]}
        for cell, a in sums.items()
    ]
    unit_names = ("project_id", "experiment_id", "kind", "variant", "unit")
    unit_values = [dict(zip(unit_names, u, strict=True)) for u in units]
    for start in range(0, len(values), 5000):
        connection.execute(rollups.insert(), values[start : start + 5000])
    for start in range(0, len(unit_values), 5000):
        connection.execute(unit_table.insert(), unit_values[start : start + 5000])


def downgrade() -> None:
    for name, columns in _GENERATION_INDEXES.items():
        op.create_index(
            name,
            "generations",
            ["project_id", "experiment_id", "variant", *columns],
            sqlite_where=sa.text("experiment_id IS NOT NULL"),
            postgresql_where=sa.text("experiment_id IS NOT NULL"),
        )
    op.drop_table("experiment_units")
    op.drop_table("experiment_rollups")
