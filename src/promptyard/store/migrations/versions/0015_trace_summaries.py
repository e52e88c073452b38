"""trace summaries

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 06:20:00

Trace summaries and rollup retention (issue 10).

``trace_summaries``: one row per trace (root name, start and end, span/generation/error
counts, tokens, cost, user, session, environment), kept at ingest so that the trace list
never aggregates spans per request. The traces stored before this revision are summed
here once. Minute rollups' retention is a setting and a scheduler job: no schema.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TIME = sa.DateTime(timezone=True)
_TIMES = ("start_time", "end_time", "root_start")


def upgrade() -> None:
    op.create_table(
        "trace_summaries",
        sa.Column("project_id", _ID, nullable=False),
        sa.Column("trace_id", sa.String(length=128), nullable=False),
        sa.Column("start_time", _TIME, nullable=False),
        sa.Column("end_time", _TIME, nullable=True),
        sa.Column("root_name", sa.String(length=400), nullable=True),
        sa.Column("root_has_parent", sa.Boolean(), nullable=False),
        sa.Column("root_start", _TIME, nullable=False),
        sa.Column("span_count", sa.Integer(), nullable=False),
        sa.Column("generation_count", sa.Integer(), nullable=False),
        sa.Column("error_count", sa.Integer(), nullable=False),
        sa.Column("input_tokens", sa.BigInteger(), nullable=False),
        sa.Column("output_tokens", sa.BigInteger(), nullable=False),
        sa.Column("cost", sa.Float(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("user_id", sa.String(length=200), nullable=True),
        sa.Column("session_id", sa.String(length=200), nullable=True),
        sa.Column("environment", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("project_id", "trace_id"),
    )
    op.create_index(
        "ix_trace_summaries_time",
        "trace_summaries",
        ["project_id", "start_time", "trace_id"],
        unique=False,
    )
    op.create_index(
        "ix_trace_summaries_user",
        "trace_summaries",
        ["project_id", "user_id", "start_time"],
        unique=False,
    )
    op.create_index(
        "ix_trace_summaries_session",
        "trace_summaries",
        ["project_id", "session_id", "start_time"],
        unique=False,
    )
    _backfill()


def downgrade() -> None:
    op.drop_index("ix_trace_summaries_session", table_name="trace_summaries")
    op.drop_index("ix_trace_summaries_user", table_name="trace_summaries")
    op.drop_index("ix_trace_summaries_time", table_name="trace_summaries")
    op.drop_table("trace_summaries")


def _aware(value: Any) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _backfill() -> None:
    """Sum the stored spans and generations per trace (the rule ingest keeps)."""
    bind = op.get_bind()
    traces: dict[tuple[int, str], dict[str, Any]] = {}

    def add(
        key: tuple[int, str],
        start: datetime,
        end: datetime | None,
        name: str,
        parent: Any,
        status: str,
        user: Any,
        session: Any,
        environment: Any,
    ) -> dict[str, Any]:
        row = traces.get(key)
        if row is None:
            row = traces[key] = {
                "project_id": key[0],
                "trace_id": key[1],
                "start_time": start,
                "end_time": None,
                "root_name": name,
                "root_has_parent": parent is not None,
                "root_start": start,
                "span_count": 0,
                "generation_count": 0,
                "error_count": 0,
                "input_tokens": 0,
                "output_tokens": 0,
                "cost": None,
                "currency": None,
                "user_id": None,
                "session_id": None,
                "environment": None,
            }
        row["start_time"] = min(row["start_time"], start)
        end = end or start
        if row["end_time"] is None or end > row["end_time"]:
            row["end_time"] = end
        if (parent is not None, start) < (row["root_has_parent"], row["root_start"]):
            row["root_name"], row["root_has_parent"] = name, parent is not None
            row["root_start"] = start
        row["error_count"] += status == "error"
        row["user_id"] = row["user_id"] or user
        row["session_id"] = row["session_id"] or session
        row["environment"] = row["environment"] or environment
        return row

    spans = bind.execute(
        sa.text(
            "SELECT project_id, trace_id, parent_span_id, name, start_time, end_time, status, "
            "user_id, session_id, environment FROM spans"
        )
    )
    for s in spans:
        start = _aware(s.start_time)
        end = _aware(s.end_time) if s.end_time is not None else None
        row = add(
            (s.project_id, s.trace_id),
            start,
            end,
            s.name,
            s.parent_span_id,
            s.status,
            s.user_id,
            s.session_id,
            s.environment,
        )
        row["span_count"] += 1
    generations = bind.execute(
        sa.text(
            "SELECT project_id, trace_id, parent_span_id, model, start_time, latency_ms, "
            "status, input_tokens, output_tokens, input_cost, output_cost, currency, user_id, "
            "session_id, environment FROM generations WHERE trace_id IS NOT NULL"
        )
    )
    for g in generations:
        start = _aware(g.start_time)
        end = start + timedelta(milliseconds=g.latency_ms) if g.latency_ms is not None else None
        row = add(
            (g.project_id, g.trace_id),
            start,
            end,
            g.model or "generation",
            g.parent_span_id,
            g.status,
            g.user_id,
            g.session_id,
            g.environment,
        )
        row["generation_count"] += 1
        row["input_tokens"] += g.input_tokens or 0
        row["output_tokens"] += g.output_tokens or 0
        if g.input_cost is not None and g.output_cost is not None:
            row["cost"] = (row["cost"] or 0.0) + g.input_cost + g.output_cost
            row["currency"] = row["currency"] or g.currency
    if traces:
        table = sa.table(
            "trace_summaries",
            *(
                sa.column(name, _TIME if name in _TIMES else None)
                for name in next(iter(traces.values()))
            ),
        )
        values = list(traces.values())
        for offset in range(0, len(values), 1000):
            op.bulk_insert(table, values[offset : offset + 1000])
