"""evaluation runs

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 17:00:00

A run (prompt variants x a dataset version x repetitions, scored by evaluators) and its
items, one per call, unique per (run, case, variant, repetition).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TIME = sa.DateTime(timezone=True)
_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "evaluation_runs",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("project_id", _ID, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("prompt_name", sa.String(length=200), nullable=False),
        sa.Column("variants", _JSON, nullable=False),
        sa.Column("dataset_name", sa.String(length=200), nullable=False),
        sa.Column("dataset_version", sa.Integer(), nullable=False),
        sa.Column("evaluators", _JSON, nullable=False),
        sa.Column("repetitions", sa.Integer(), nullable=False),
        sa.Column("params", _JSON, nullable=False),
        sa.Column("sweep", _JSON, nullable=False),
        sa.Column("use_cache", sa.Boolean(), nullable=False),
        sa.Column("concurrency", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("total_items", sa.Integer(), nullable=False),
        sa.Column("done_items", sa.Integer(), nullable=False),
        sa.Column("failed_items", sa.Integer(), nullable=False),
        sa.Column("cached_items", sa.Integer(), nullable=False),
        sa.Column("estimate", _JSON, nullable=False),
        sa.Column("actual_cost", sa.Float(), nullable=False),
        sa.Column("summary", _JSON, nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("started_at", _TIME, nullable=True),
        sa.Column("finished_at", _TIME, nullable=True),
        sa.Column("heartbeat_at", _TIME, nullable=True),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_evaluation_runs_prompt",
        "evaluation_runs",
        ["project_id", "prompt_name", "created_at"],
        unique=False,
    )
    op.create_index("ix_evaluation_runs_status", "evaluation_runs", ["status"], unique=False)
    op.create_table(
        "evaluation_run_items",
        sa.Column("pk", _ID, autoincrement=True, nullable=False),
        sa.Column("run_id", _ID, nullable=False),
        sa.Column("project_id", _ID, nullable=False),
        sa.Column("case_index", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.String(length=128), nullable=False),
        sa.Column("variant", sa.Integer(), nullable=False),
        sa.Column("repetition", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("generation_id", sa.String(length=128), nullable=True),
        sa.Column("output", sa.Text(), nullable=True),
        sa.Column("cached", sa.Boolean(), nullable=False),
        sa.Column("cache_key", sa.String(length=64), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("latency_ms", sa.Float(), nullable=True),
        sa.Column("cost", sa.Float(), nullable=True),
        sa.Column("input_tokens", sa.Integer(), nullable=True),
        sa.Column("output_tokens", sa.Integer(), nullable=True),
        sa.Column("scores", _JSON, nullable=False),
        sa.Column("finished_at", _TIME, nullable=True),
        sa.ForeignKeyConstraint(["run_id"], ["evaluation_runs.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("pk"),
        sa.UniqueConstraint(
            "run_id", "case_index", "variant", "repetition", name="uq_evaluation_run_items"
        ),
    )
    op.create_index(
        "ix_evaluation_run_items_status",
        "evaluation_run_items",
        ["run_id", "status"],
        unique=False,
    )
    op.create_index(
        "ix_evaluation_run_items_cache",
        "evaluation_run_items",
        ["project_id", "cache_key"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_evaluation_run_items_cache", table_name="evaluation_run_items")
    op.drop_index("ix_evaluation_run_items_status", table_name="evaluation_run_items")
    op.drop_table("evaluation_run_items")
    op.drop_index("ix_evaluation_runs_status", table_name="evaluation_runs")
    op.drop_index("ix_evaluation_runs_prompt", table_name="evaluation_runs")
    op.drop_table("evaluation_runs")
