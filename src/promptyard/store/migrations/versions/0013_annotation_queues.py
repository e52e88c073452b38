"""annotation queues

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 06:20:00

Annotation queues: items, locks and reviewers' scores (issue 11). The scores themselves
go to the existing ``scores`` table (source ``human``); these tables hold the queues,
their items and each person's claim on an item (the lease and its slot).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TIME = sa.DateTime(timezone=True)
_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "annotation_queues",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("project_id", _ID, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("rubric", _JSON, nullable=False),
        sa.Column("annotators_required", sa.Integer(), nullable=False),
        sa.Column("lease_seconds", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(length=400), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("updated_at", _TIME, nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("project_id", "name", name="uq_annotation_queues_name"),
    )
    op.create_table(
        "annotation_items",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("queue_id", _ID, nullable=False),
        sa.Column("project_id", _ID, nullable=False),
        sa.Column("generation_id", sa.String(length=128), nullable=False),
        sa.Column("run_id", _ID, nullable=True),
        sa.Column("case_id", sa.String(length=128), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("submitted", sa.Integer(), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("done_at", _TIME, nullable=True),
        sa.ForeignKeyConstraint(["queue_id"], ["annotation_queues.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("queue_id", "generation_id", name="uq_annotation_items_generation"),
    )
    op.create_index("ix_annotation_items_status", "annotation_items", ["queue_id", "status", "id"])
    op.create_table(
        "annotation_claims",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("item_id", _ID, nullable=False),
        sa.Column("queue_id", _ID, nullable=False),
        sa.Column("annotator", sa.String(length=64), nullable=False),
        sa.Column("annotator_name", sa.String(length=400), nullable=False),
        sa.Column("slot", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("locked_until", _TIME, nullable=True),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("finished_at", _TIME, nullable=True),
        sa.ForeignKeyConstraint(["item_id"], ["annotation_items.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["queue_id"], ["annotation_queues.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("item_id", "annotator", name="uq_annotation_claims_annotator"),
        sa.UniqueConstraint("item_id", "slot", name="uq_annotation_claims_slot"),
    )
    op.create_index(
        "ix_annotation_claims_annotator",
        "annotation_claims",
        ["queue_id", "annotator", "status"],
    )


def downgrade() -> None:
    op.drop_index("ix_annotation_claims_annotator", table_name="annotation_claims")
    op.drop_table("annotation_claims")
    op.drop_index("ix_annotation_items_status", table_name="annotation_items")
    op.drop_table("annotation_items")
    op.drop_table("annotation_queues")
