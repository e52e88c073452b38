"""experiments

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 17:00:00

Online experiments on a prompt (variants are labels with weights), and which experiment
and variant each generation was served from (analysed by GROUP BY variant over the
partial index on (project, experiment)).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TIME = sa.DateTime(timezone=True)
_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
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


def upgrade() -> None:
    op.create_table(
        "experiments",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("project_id", _ID, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("prompt_name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("unit", sa.String(length=16), nullable=False),
        sa.Column("variants", _JSON, nullable=False),
        sa.Column("primary_metric", sa.String(length=200), nullable=False),
        sa.Column("metrics", _JSON, nullable=False),
        sa.Column("guardrails", _JSON, nullable=False),
        sa.Column("directions", _JSON, nullable=False),
        sa.Column("design", _JSON, nullable=False),
        sa.Column("alpha", sa.Float(), nullable=False),
        sa.Column("power", sa.Float(), nullable=False),
        sa.Column("sample_size", sa.Integer(), nullable=True),
        sa.Column("stop_reason", sa.Text(), nullable=True),
        sa.Column("promoted", _JSON, nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("updated_at", _TIME, nullable=False),
        sa.Column("started_at", _TIME, nullable=True),
        sa.Column("stopped_at", _TIME, nullable=True),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("project_id", "name", name="uq_experiments_name"),
    )
    op.create_index("ix_experiments_prompt", "experiments", ["project_id", "prompt_name", "status"])
    op.create_index("ix_experiments_status", "experiments", ["status"])
    # plain ADD COLUMN (nullable, no default): no table rewrite on either database
    op.add_column("generations", sa.Column("experiment_id", _ID, nullable=True))
    op.add_column("generations", sa.Column("variant", sa.String(length=64), nullable=True))
    # covering, partial: an experiment's analysis reads these slices, never the rows
    for name, columns in _GENERATION_INDEXES.items():
        op.create_index(
            name,
            "generations",
            ["project_id", "experiment_id", "variant", *columns],
            sqlite_where=sa.text("experiment_id IS NOT NULL"),
            postgresql_where=sa.text("experiment_id IS NOT NULL"),
        )


def downgrade() -> None:
    for name in _GENERATION_INDEXES:
        op.drop_index(name, table_name="generations")
    with op.batch_alter_table("generations") as batch:
        batch.drop_column("variant")
        batch.drop_column("experiment_id")
    op.drop_index("ix_experiments_status", table_name="experiments")
    op.drop_index("ix_experiments_prompt", table_name="experiments")
    op.drop_table("experiments")
