"""instance administrators and workspace invitations

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 10:40:00

Users are global; until now any workspace admin could change any user's password. From
here on only an instance administrator (or the person) changes account state, and a
workspace admin adds people through invitations. Existing installations keep working:
the admins of the oldest workspace become instance administrators, and so does the
operator's bootstrap key (``PROMPTYARD_INIT_API_KEY``, named ``bootstrap-admin``).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column("is_instance_admin", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("api_keys") as batch:
        batch.add_column(
            sa.Column("is_instance_admin", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_table(
        "invitations",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("workspace_id", _ID, nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.String(length=400), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    oldest = "(SELECT MIN(id) FROM workspaces)"
    op.execute(
        "UPDATE users SET is_instance_admin = true WHERE id IN ("
        f"SELECT user_id FROM memberships WHERE role = 'admin' AND workspace_id = {oldest})"
    )
    op.execute(
        "UPDATE api_keys SET is_instance_admin = true "
        f"WHERE name = 'bootstrap-admin' AND user_id IS NULL AND workspace_id = {oldest}"
    )


def downgrade() -> None:
    op.drop_table("invitations")
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_column("is_instance_admin")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("is_instance_admin")
