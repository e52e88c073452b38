"""datasets, evaluators and scores

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 17:00:00
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def _id() -> sa.types.TypeEngine[int]:
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _when(name: str) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False)


def _project() -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["project_id"], ["projects.id"], ondelete="CASCADE")


def upgrade() -> None:
    op.create_table(
        "datasets",
        sa.Column("id", _id(), autoincrement=True, nullable=False),
        sa.Column("project_id", _id(), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("latest_version", sa.Integer(), nullable=False),
        sa.Column("next_position", sa.Integer(), nullable=False),
        _when("created_at"),
        sa.Column("created_by", sa.String(length=400), nullable=False),
        _when("updated_at"),
        sa.Column("updated_by", sa.String(length=400), nullable=False),
        _project(),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("project_id", "name", name="uq_datasets_project_name"),
    )
    op.create_table(
        "dataset_versions",
        sa.Column("id", _id(), autoincrement=True, nullable=False),
        sa.Column("dataset_id", _id(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("case_count", sa.Integer(), nullable=False),
        _when("created_at"),
        sa.Column("created_by", sa.String(length=400), nullable=False),
        sa.ForeignKeyConstraint(["dataset_id"], ["datasets.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("dataset_id", "number", name="uq_dataset_versions_number"),
    )
    op.create_table(
        "dataset_cases",
        sa.Column("pk", _id(), autoincrement=True, nullable=False),
        sa.Column("dataset_id", _id(), nullable=False),
        sa.Column("case_id", sa.String(length=128), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("from_version", sa.Integer(), nullable=False),
        sa.Column("to_version", sa.Integer(), nullable=True),
        sa.Column("input", _json(), nullable=False),
        sa.Column("expected", sa.Text(), nullable=True),
        sa.Column("metadata", _json(), nullable=False),
        sa.Column("source_generation_id", sa.String(length=128), nullable=True),
        sa.ForeignKeyConstraint(["dataset_id"], ["datasets.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("pk"),
    )
    op.create_index(
        "ix_dataset_cases_span", "dataset_cases", ["dataset_id", "from_version", "to_version"]
    )
    op.create_index("ix_dataset_cases_case", "dataset_cases", ["dataset_id", "case_id"])
    op.create_table(
        "scores",
        sa.Column("id", _id(), autoincrement=True, nullable=False),
        sa.Column("project_id", _id(), nullable=False),
        sa.Column("generation_id", sa.String(length=128), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("passed", sa.Boolean(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("cost", sa.Float(), nullable=True),
        sa.Column("run_id", _id(), nullable=True),
        sa.Column("case_id", sa.String(length=128), nullable=True),
        sa.Column("details", _json(), nullable=False),
        sa.Column("created_by", sa.String(length=400), nullable=False),
        _when("created_at"),
        _project(),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_scores_generation", "scores", ["project_id", "generation_id"])
    op.create_index("ix_scores_run", "scores", ["project_id", "run_id"])
    op.create_index("ix_scores_name_time", "scores", ["project_id", "name", "created_at"])
    op.create_table(
        "online_evaluators",
        sa.Column("id", _id(), autoincrement=True, nullable=False),
        sa.Column("project_id", _id(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("prompt_name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("config", _json(), nullable=False),
        sa.Column("sample_rate", sa.Float(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("last_generation_pk", sa.BigInteger(), nullable=False),
        sa.Column("scored", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(length=400), nullable=False),
        _when("created_at"),
        _project(),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("project_id", "name", name="uq_online_evaluators_project_name"),
    )


def downgrade() -> None:
    op.drop_table("online_evaluators")
    op.drop_index("ix_scores_name_time", table_name="scores")
    op.drop_index("ix_scores_run", table_name="scores")
    op.drop_index("ix_scores_generation", table_name="scores")
    op.drop_table("scores")
    op.drop_index("ix_dataset_cases_case", table_name="dataset_cases")
    op.drop_index("ix_dataset_cases_span", table_name="dataset_cases")
    op.drop_table("dataset_cases")
    op.drop_table("dataset_versions")
    op.drop_table("datasets")
