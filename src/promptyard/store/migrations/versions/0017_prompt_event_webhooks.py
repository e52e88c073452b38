"""prompt event webhooks

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03 06:20:00

Prompt-event webhooks (issue 14): every prompt write now looks up the webhooks of its
workspace, so that lookup gets an index.
"""

from __future__ import annotations

from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_webhooks_workspace", "webhooks", ["workspace_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_webhooks_workspace", table_name="webhooks")
