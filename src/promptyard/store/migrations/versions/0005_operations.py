"""scheduler leases and backups

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 13:10:00

One row per periodic job of the scheduler (backups, the integrity check): the lease a
server process takes to run it (so that of several processes only one runs a job at a
time), when it runs next, and how its last run went.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "job_leases",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("interval_seconds", sa.Float(), nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=True),
        sa.Column("lease_until", _TIME, nullable=True),
        sa.Column("next_run_at", _TIME, nullable=False),
        sa.Column("runs", sa.Integer(), nullable=False),
        sa.Column("last_started_at", _TIME, nullable=True),
        sa.Column("last_finished_at", _TIME, nullable=True),
        sa.Column("last_outcome", sa.String(length=16), nullable=True),
        sa.Column("last_result", sa.Text(), nullable=True),
        sa.Column("last_owner", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    op.drop_table("job_leases")
