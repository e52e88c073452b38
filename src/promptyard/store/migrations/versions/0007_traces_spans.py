"""traces: the spans of a trace that are not LLM calls

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 17:00:00

OTLP ingest stores LLM spans as generations; every other span of a trace (an agent
step, a tool call, a retrieval) is a row here, idempotent by (project, trace, span).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TIME = sa.DateTime(timezone=True)
_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "spans",
        sa.Column("pk", _ID, autoincrement=True, nullable=False),
        sa.Column("project_id", _ID, nullable=False),
        sa.Column("trace_id", sa.String(length=128), nullable=False),
        sa.Column("span_id", sa.String(length=128), nullable=False),
        sa.Column("parent_span_id", sa.String(length=128), nullable=True),
        sa.Column("name", sa.String(length=400), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("start_time", _TIME, nullable=False),
        sa.Column("end_time", _TIME, nullable=True),
        sa.Column("duration_ms", sa.Float(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("status_message", sa.Text(), nullable=True),
        sa.Column("service_name", sa.String(length=200), nullable=True),
        sa.Column("user_id", sa.String(length=200), nullable=True),
        sa.Column("session_id", sa.String(length=200), nullable=True),
        sa.Column("environment", sa.String(length=200), nullable=True),
        sa.Column("attributes", _JSON, nullable=False),
        sa.Column("flags", _JSON, nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("pk"),
        sa.UniqueConstraint("project_id", "trace_id", "span_id", name="uq_spans_trace_span"),
    )
    op.create_index("ix_spans_trace", "spans", ["project_id", "trace_id"], unique=False)
    op.create_index("ix_spans_time", "spans", ["project_id", "start_time"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_spans_time", table_name="spans")
    op.drop_index("ix_spans_trace", table_name="spans")
    op.drop_table("spans")
