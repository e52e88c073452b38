"""analytics rollups

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 17:00:00

Generations summed per time bucket (minute, hour and day grains) and key (prompt
version, model, provider, feature, agent, environment), and per user and per tag (by
prompt version and model); kept up to date in the ingest transaction
(services/analytics/rollups.py).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_DIMENSIONS = (
    "prompt_name",
    "prompt_version",
    "model",
    "provider",
    "feature",
    "agent",
    "environment",
)
_DIM_DIMENSIONS = ("prompt_name", "prompt_version", "model")


def _columns(keys: list[sa.Column[object]]) -> list[sa.Column[object]]:
    def text(name: str, length: int = 200) -> sa.Column[object]:
        return sa.Column(name, sa.String(length=length), nullable=False)

    def count(name: str) -> sa.Column[object]:
        return sa.Column(name, sa.BigInteger(), nullable=False)

    def total(name: str) -> sa.Column[object]:
        return sa.Column(name, sa.Float(), nullable=False)

    return [
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("project_id", _ID, nullable=False),
        text("grain", 8),
        count("bucket"),
        text("prompt_name"),
        sa.Column("prompt_version", sa.Integer(), nullable=False),
        text("model"),
        *keys,
        count("calls"),
        count("errors"),
        count("input_tokens"),
        count("output_tokens"),
        count("cost_calls"),
        total("cost"),
        total("cost_sq"),
        count("latency_count"),
        total("latency_sum"),
        total("latency_sq"),
        sa.Column("latency_sketch", sa.LargeBinary(), nullable=True),
        count("ttft_count"),
        total("ttft_sum"),
        sa.Column("ttft_sketch", sa.LargeBinary(), nullable=True),
        sa.Column("users_sketch", sa.LargeBinary(), nullable=True),
        count("score_count"),
        total("score_sum"),
        total("score_sq"),
        count("thumbs_up"),
        count("thumbs_down"),
        count("nps_promoters"),
        count("nps_passives"),
        count("nps_detractors"),
    ]


def _text(name: str, length: int = 200) -> sa.Column[object]:
    return sa.Column(name, sa.String(length=length), nullable=False)


def upgrade() -> None:
    tables = (
        (
            "analytics_rollups",
            [_text("provider", 100), _text("feature"), _text("agent"), _text("environment")],
            ["project_id", "grain", "bucket", *_DIMENSIONS],
        ),
        (
            # a dimension's rows are one contiguous range of the index
            "analytics_dim_rollups",
            [_text("dim", 16), _text("value")],
            ["project_id", "dim", "grain", "bucket", "value", *_DIM_DIMENSIONS],
        ),
    )
    for table, keys, unique in tables:
        op.create_table(
            table,
            *_columns(keys),
            sa.ForeignKeyConstraint(["project_id"], ["projects.id"], ondelete="CASCADE"),
            sa.PrimaryKeyConstraint("id"),
        )
        op.create_index(f"uq_{table}_key", table, unique, unique=True)


def downgrade() -> None:
    for table in ("analytics_dim_rollups", "analytics_rollups"):
        op.drop_index(f"uq_{table}_key", table_name=table)
        op.drop_table(table)
