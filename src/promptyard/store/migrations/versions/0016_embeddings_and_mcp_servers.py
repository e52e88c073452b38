"""embeddings and mcp servers

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 06:20:00

Stored embeddings, clusters and declared MCP servers (issue 12): one row per version and
embedding model (float32 bytes), a workspace's embeddings source (a provider connection
instead of the local model), and the MCP servers a workspace declares.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TIME = sa.DateTime(timezone=True)
_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "version_embeddings",
        sa.Column("version_id", _ID, nullable=False),
        sa.Column("model", sa.String(length=200), nullable=False),
        sa.Column("project_id", _ID, nullable=False),
        sa.Column("dimensions", sa.Integer(), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.ForeignKeyConstraint(["version_id"], ["prompt_versions.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("version_id", "model"),
    )
    op.create_index(
        "ix_version_embeddings_project",
        "version_embeddings",
        ["project_id", "model", "created_at"],
    )
    op.create_table(
        "embedding_sources",
        sa.Column("workspace_id", _ID, nullable=False),
        sa.Column("connection", sa.String(length=64), nullable=False),
        sa.Column("model", sa.String(length=200), nullable=False),
        sa.Column("updated_by", sa.String(length=400), nullable=False),
        sa.Column("updated_at", _TIME, nullable=False),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("workspace_id"),
    )
    op.create_table(
        "mcp_servers",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("workspace_id", _ID, nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("transport", sa.String(length=16), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=True),
        sa.Column("command", _JSON, nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("tools", _JSON, nullable=False),
        sa.Column("refreshed_at", _TIME, nullable=True),
        sa.Column("refresh_error", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(length=400), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("updated_at", _TIME, nullable=False),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("workspace_id", "name", name="uq_mcp_servers_name"),
    )


def downgrade() -> None:
    op.drop_table("mcp_servers")
    op.drop_table("embedding_sources")
    op.drop_index("ix_version_embeddings_project", table_name="version_embeddings")
    op.drop_table("version_embeddings")
