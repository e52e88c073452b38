"""rollup marks

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03 21:30:00

Analytics rollups are counted after ingest, not in its transaction (issue 10): one row
per project says which generations are counted (``rolled_pk``) and which are stored
(``stored_pk``). Every generation stored before this revision is already counted, so
both start at the project's highest generation key.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "analytics_rollup_marks",
        sa.Column("project_id", _ID, nullable=False),
        sa.Column("rolled_pk", sa.BigInteger(), nullable=False),
        sa.Column("stored_pk", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("project_id"),
    )
    op.execute(
        "INSERT INTO analytics_rollup_marks (project_id, rolled_pk, stored_pk) "
        "SELECT project_id, max(pk), max(pk) FROM generations GROUP BY project_id"
    )


def downgrade() -> None:
    op.drop_table("analytics_rollup_marks")
