"""SQLAlchemy tables. Every change to them comes with an Alembic migration.

Own tables for own things: prompts, their immutable versions, labels and every move of
a label, branches, and the audit chain each get a table.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every dialect (SQLite stores naive text)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        # A time without a zone (e.g. from a query string) is taken as UTC.
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


JSONType = JSON().with_variant(JSONB(), "postgresql")
IdType = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSONType, list[Any]: JSONType, Any: JSONType}


class SqlWorkspace(Base):
    __tablename__ = "workspaces"
    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SqlProject(Base):
    __tablename__ = "projects"
    __table_args__ = (UniqueConstraint("workspace_id", "slug"),)
    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    slug: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    settings: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SqlUser(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    #: An instance administrator manages accounts (passwords, disabling) and workspaces.
    is_instance_admin: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class SqlMembership(Base):
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("workspace_id", "user_id"),)
    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SqlApiKey(Base):
    __tablename__ = "api_keys"
    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    project_id: Mapped[int | None] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), nullable=True
    )
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=True
    )
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16), default="api")  # api | langfuse
    prefix: Mapped[str] = mapped_column(String(32))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    public_key: Mapped[str | None] = mapped_column(String(128), unique=True, nullable=True)
    role: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_by: Mapped[str] = mapped_column(String(400), default="system", server_default="system")
    #: Only the operator's PROMPTYARD_INIT_API_KEY acts as an instance administrator.
    is_instance_admin: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class SqlInvitation(Base):
    """An offer of a workspace membership to an email, accepted with a one-time token.

    The answer to the inviter is the same whether or not an account has that email; the
    person accepts with the token and, when the account exists, its current password.
    """

    __tablename__ = "invitations"
    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(320))
    role: Mapped[str] = mapped_column(String(32))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by: Mapped[str] = mapped_column(String(400))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class SqlSession(Base):
    __tablename__ = "sessions"
    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=True
    )
    api_key_id: Mapped[int | None] = mapped_column(
        ForeignKey("api_keys.id", ondelete="CASCADE"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    workspace_id: Mapped[int | None] = mapped_column(Integer, nullable=True)


class SqlProjectMember(Base):
    """A user's role narrowed for one project (never above their workspace role)."""

    __tablename__ = "project_members"
    __table_args__ = (UniqueConstraint("project_id", "user_id"),)
    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SqlLoginThrottle(Base):
    """Failed sign-ins per email and per client address, for slow-down and lockout."""

    __tablename__ = "login_throttle"
    key: Mapped[str] = mapped_column(String(400), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    first_failure_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_failure_at: Mapped[datetime] = mapped_column(UTCDateTime())
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class SqlChangeRequest(Base):
    """A request to point a (protected) label at a version, reviewed before it lands."""

    __tablename__ = "change_requests"
    __table_args__ = (Index("ix_change_requests_project_status", "project_id", "status"),)
    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    prompt_id: Mapped[int] = mapped_column(ForeignKey("prompts.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(64))
    #: the label's version when the request was opened (NULL: not set then, or before 0006)
    base_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(32))
    author: Mapped[str] = mapped_column(String(400))
    required_approvals: Mapped[int] = mapped_column(Integer, default=1)
    sample_variables: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    gate_results: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    applied_by: Mapped[str | None] = mapped_column(String(400), nullable=True)


class SqlChangeRequestEvent(Base):
    """A comment or decision on a change request."""

    __tablename__ = "change_request_events"
    __table_args__ = (Index("ix_cr_events_request", "change_request_id"),)
    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    change_request_id: Mapped[int] = mapped_column(
        ForeignKey("change_requests.id", ondelete="CASCADE")
    )
    actor: Mapped[str] = mapped_column(String(400))
    kind: Mapped[str] = mapped_column(String(32))
    body: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SqlWebhook(Base):
    __tablename__ = "webhooks"
    __table_args__ = (Index("ix_webhooks_workspace", "workspace_id"),)
    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    project_id: Mapped[int | None] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), nullable=True
    )
    url: Mapped[str] = mapped_column(String(2000))
    secret: Mapped[str] = mapped_column(String(200))
    events: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(400))


class SqlWebhookDelivery(Base):
    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_deliveries_due", "status", "next_attempt_at"),)
    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    webhook_id: Mapped[int] = mapped_column(ForeignKey("webhooks.id", ondelete="CASCADE"))
    event: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    status: Mapped[str] = mapped_column(String(16))  # pending | delivered | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class SqlPrompt(Base):
    __tablename__ = "prompts"
    __table_args__ = (
        UniqueConstraint("project_id", "name"),
        Index("ix_prompts_project_folder", "project_id", "folder"),
        Index("ix_prompts_project_updated", "project_id", "updated_at"),
    )
    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(128))
    folder: Mapped[str] = mapped_column(String(512), default="")
    type: Mapped[str] = mapped_column(String(16))
    description: Mapped[str] = mapped_column(Text, default="")
    tags: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    meta: Mapped[dict[str, Any]] = mapped_column("metadata", JSONType, default=dict)
    latest_version: Mapped[int] = mapped_column(Integer, default=0)
    next_version: Mapped[int] = mapped_column(Integer, default=1)
    search_text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(400))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_by: Mapped[str] = mapped_column(String(400))
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    lifecycle: Mapped[str] = mapped_column(String(16), default="draft", server_default="draft")


class SqlPromptTag(Base):
    __tablename__ = "prompt_tags"
    __table_args__ = (Index("ix_prompt_tags_tag", "tag"),)
    prompt_id: Mapped[int] = mapped_column(
        ForeignKey("prompts.id", ondelete="CASCADE"), primary_key=True
    )
    tag: Mapped[str] = mapped_column(String(64), primary_key=True)


class SqlVersion(Base):
    __tablename__ = "prompt_versions"
    __table_args__ = (
        UniqueConstraint("prompt_id", "number"),
        Index("ix_versions_prompt_branch", "prompt_id", "branch", "number"),
    )
    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    prompt_id: Mapped[int] = mapped_column(ForeignKey("prompts.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    branch: Mapped[str] = mapped_column(String(64))
    type: Mapped[str] = mapped_column(String(16))
    content: Mapped[Any] = mapped_column(JSONType)
    config: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    variables: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    references: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    content_hash: Mapped[str] = mapped_column(String(80))
    parent: Mapped[int | None] = mapped_column(Integer, nullable=True)
    merge_parent: Mapped[int | None] = mapped_column(Integer, nullable=True)
    message: Mapped[str] = mapped_column(Text, default="")
    author: Mapped[str] = mapped_column(String(400))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SqlLabel(Base):
    __tablename__ = "labels"
    __table_args__ = (UniqueConstraint("prompt_id", "name"), Index("ix_labels_name", "name"))
    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    prompt_id: Mapped[int] = mapped_column(ForeignKey("prompts.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_by: Mapped[str] = mapped_column(String(400))


class SqlLabelEvent(Base):
    __tablename__ = "label_events"
    __table_args__ = (Index("ix_label_events_prompt", "prompt_id", "label"),)
    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    prompt_id: Mapped[int] = mapped_column(ForeignKey("prompts.id", ondelete="CASCADE"))
    label: Mapped[str] = mapped_column(String(64))
    from_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    to_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    actor: Mapped[str] = mapped_column(String(400))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SqlBranch(Base):
    __tablename__ = "branches"
    __table_args__ = (UniqueConstraint("prompt_id", "name"),)
    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    prompt_id: Mapped[int] = mapped_column(ForeignKey("prompts.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(64))
    base: Mapped[int | None] = mapped_column(Integer, nullable=True)
    head: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(400))
    merged_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class SqlAuditEvent(Base):
    """One link of the tamper-evident audit chain (see services/operations/audit.py)."""

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_workspace_time", "workspace_id", "created_at"),
        Index("ix_audit_object", "object_type", "object_id"),
    )
    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    seq: Mapped[int] = mapped_column(BigInteger, unique=True)
    workspace_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    actor: Mapped[str] = mapped_column(String(400))
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[str] = mapped_column(String(200))
    summary: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    request_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    ip: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class SqlAuditHead(Base):
    """A single row locked by every audit append, so the chain stays linear."""

    __tablename__ = "audit_head"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, default=0)
    hash: Mapped[str] = mapped_column(String(64))


# --- runtime and telemetry: provider connections, prices, generations, feedback ---


class SqlProviderConnection(Base):
    """A workspace's connection to a model provider; the key is stored encrypted."""

    __tablename__ = "provider_connections"
    __table_args__ = (UniqueConstraint("workspace_id", "name"),)
    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    base_url: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    api_key_encrypted: Mapped[str | None] = mapped_column(Text, nullable=True)
    api_key_hint: Mapped[str | None] = mapped_column(String(32), nullable=True)
    models: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    default_params: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    options: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    max_concurrency: Mapped[int] = mapped_column(Integer, default=8)
    created_by: Mapped[str] = mapped_column(String(400))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SqlPriceOverride(Base):
    """A workspace's own price for a model, from a date on (USD per million tokens)."""

    __tablename__ = "price_overrides"
    __table_args__ = (
        Index("ix_price_overrides_lookup", "workspace_id", "model", "effective_from"),
    )
    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    provider: Mapped[str | None] = mapped_column(String(100), nullable=True)
    model: Mapped[str] = mapped_column(String(200))
    input_per_mtok: Mapped[float] = mapped_column(Float)
    output_per_mtok: Mapped[float] = mapped_column(Float)
    cached_input_per_mtok: Mapped[float | None] = mapped_column(Float, nullable=True)
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    effective_from: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(400))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SqlGeneration(Base):
    """One LLM call: run here or reported by an app. Appended, never updated in place
    (except a cost recomputation after a price change)."""

    __tablename__ = "generations"
    __table_args__ = (
        UniqueConstraint("project_id", "id", name="uq_generations_project_id"),
        # Partial: most rows have no external id or trace, and those cost no index entry.
        Index(
            "uq_generations_external_id",
            "project_id",
            "external_id",
            unique=True,
            sqlite_where=text("external_id IS NOT NULL"),
            postgresql_where=text("external_id IS NOT NULL"),
        ),
        Index("ix_generations_time", "project_id", "start_time"),
        Index("ix_generations_prompt", "project_id", "prompt_name", "start_time"),
        Index(
            "ix_generations_trace",
            "project_id",
            "trace_id",
            sqlite_where=text("trace_id IS NOT NULL"),
            postgresql_where=text("trace_id IS NOT NULL"),
        ),  # experiments are analysed from their rollups (SqlExperimentRollup, 0014),
        # which replaced the covering indexes of migration 0012
    )
    pk: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    id: Mapped[str] = mapped_column(String(128))
    external_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    trace_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    parent_span_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    prompt_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    prompt_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    prompt_label: Mapped[str | None] = mapped_column(String(64), nullable=True)
    provider: Mapped[str | None] = mapped_column(String(100), nullable=True)
    model: Mapped[str | None] = mapped_column(String(200), nullable=True)
    input_tokens: Mapped[int | None] = mapped_column(Integer, nullable=True)
    output_tokens: Mapped[int | None] = mapped_column(Integer, nullable=True)
    cached_tokens: Mapped[int | None] = mapped_column(Integer, nullable=True)
    reasoning_tokens: Mapped[int | None] = mapped_column(Integer, nullable=True)
    input_cost: Mapped[float | None] = mapped_column(Float, nullable=True)
    output_cost: Mapped[float | None] = mapped_column(Float, nullable=True)
    currency: Mapped[str | None] = mapped_column(String(3), nullable=True)
    price_source: Mapped[str | None] = mapped_column(String(32), nullable=True)
    latency_ms: Mapped[float | None] = mapped_column(Float, nullable=True)
    ttft_ms: Mapped[float | None] = mapped_column(Float, nullable=True)
    start_time: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(16))
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    user_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    session_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    feature: Mapped[str | None] = mapped_column(String(200), nullable=True)
    agent: Mapped[str | None] = mapped_column(String(200), nullable=True)
    environment: Mapped[str | None] = mapped_column(String(200), nullable=True)
    tags: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    meta: Mapped[dict[str, Any]] = mapped_column("metadata", JSONType, default=dict)
    #: The prompt as sent: plain text, or chat messages as JSON (``input_is_chat``).
    input_text: Mapped[str | None] = mapped_column(Text, nullable=True)
    input_is_chat: Mapped[bool] = mapped_column(Boolean, default=False)
    output_text: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: Why the row is not plain truth: ``estimated_tokens``, ``unknown_model_price``, ...
    flags: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    source: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: The online experiment and variant that served the prompt (migration 0012).
    experiment_id: Mapped[int | None] = mapped_column(IdType, nullable=True)
    variant: Mapped[str | None] = mapped_column(String(64), nullable=True)


class SqlFeedback(Base):
    """An end user's feedback on a generation, a trace or a session."""

    __tablename__ = "feedback"
    __table_args__ = (
        Index("ix_feedback_generation", "project_id", "generation_id"),
        Index("ix_feedback_time", "project_id", "created_at"),
    )
    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    generation_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    trace_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    session_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    kind: Mapped[str] = mapped_column(String(16))
    value: Mapped[float | None] = mapped_column(Float, nullable=True)
    scale: Mapped[str | None] = mapped_column(String(8), nullable=True)
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    user_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    meta: Mapped[dict[str, Any]] = mapped_column("metadata", JSONType, default=dict)
    source: Mapped[str] = mapped_column(String(16))
    created_by: Mapped[str] = mapped_column(String(400))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SqlJobLease(Base):
    """A periodic job of the scheduler: who may run it now (the lease), when it runs
    next and how its last run went (services/operations/scheduler.py)."""

    __tablename__ = "job_leases"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    interval_seconds: Mapped[float] = mapped_column(Float)
    owner: Mapped[str | None] = mapped_column(String(200), nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    next_run_at: Mapped[datetime] = mapped_column(UTCDateTime())
    runs: Mapped[int] = mapped_column(Integer, default=0)
    last_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_outcome: Mapped[str | None] = mapped_column(String(16), nullable=True)
    last_result: Mapped[str | None] = mapped_column(Text, nullable=True)
    last_owner: Mapped[str | None] = mapped_column(String(200), nullable=True)


# -- traces (OTLP ingest): spans that are not LLM calls --------------------------------


class SqlSpan(Base):
    """One step of a trace that is not an LLM call (those are generations): an agent
    step, a tool call, a retrieval. Appended, idempotent by (project, trace, span)."""

    __tablename__ = "spans"
    __table_args__ = (
        UniqueConstraint("project_id", "trace_id", "span_id", name="uq_spans_trace_span"),
        Index("ix_spans_trace", "project_id", "trace_id"),
        Index("ix_spans_time", "project_id", "start_time"),
    )
    pk: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    trace_id: Mapped[str] = mapped_column(String(128))
    span_id: Mapped[str] = mapped_column(String(128))
    parent_span_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    name: Mapped[str] = mapped_column(String(400))
    #: OTLP's span kind: internal, server, client, producer, consumer, unspecified.
    kind: Mapped[str] = mapped_column(String(16))
    start_time: Mapped[datetime] = mapped_column(UTCDateTime())
    end_time: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    duration_ms: Mapped[float | None] = mapped_column(Float, nullable=True)
    #: ``success`` or ``error`` (OTLP's status code ERROR).
    status: Mapped[str] = mapped_column(String(16))
    status_message: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: The resource's ``service.name``.
    service_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    user_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    session_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    environment: Mapped[str | None] = mapped_column(String(200), nullable=True)
    #: The span's attributes (capped in number and size).
    attributes: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    #: Why the row is not plain truth: ``attributes_truncated``, ``no_end_time``, ...
    flags: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    source: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SqlTraceSummary(Base):
    """One trace summed up at ingest, in the transaction that stores its spans and
    generations: ``GET /api/v1/traces`` reads these rows, never the spans."""

    __tablename__ = "trace_summaries"
    __table_args__ = (
        Index("ix_trace_summaries_time", "project_id", "start_time", "trace_id"),
        Index("ix_trace_summaries_user", "project_id", "user_id", "start_time"),
        Index("ix_trace_summaries_session", "project_id", "session_id", "start_time"),
    )
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True
    )
    trace_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    #: The earliest start of its spans and generations, the latest end.
    start_time: Mapped[datetime] = mapped_column(UTCDateTime())
    end_time: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    #: The root's name: the parentless span's (a generation: its model), else the
    #: earliest one's; ``root_has_parent`` and ``root_start`` rank later candidates.
    root_name: Mapped[str | None] = mapped_column(String(400), nullable=True)
    root_has_parent: Mapped[bool] = mapped_column(Boolean, default=True)
    root_start: Mapped[datetime] = mapped_column(UTCDateTime())
    span_count: Mapped[int] = mapped_column(Integer, default=0)
    generation_count: Mapped[int] = mapped_column(Integer, default=0)
    error_count: Mapped[int] = mapped_column(Integer, default=0)
    input_tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    output_tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    #: Sum of the priced generations' cost (``None``: none priced).
    cost: Mapped[float | None] = mapped_column(Float, nullable=True)
    currency: Mapped[str | None] = mapped_column(String(3), nullable=True)
    user_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    session_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    environment: Mapped[str | None] = mapped_column(String(200), nullable=True)


# -- evaluation runs: a prompt's variants over a dataset version, and each call --------


class SqlEvaluationRun(Base):
    """A run: prompt variants (version or label x model) over one dataset version, each
    case repeated ``repetitions`` times, scored by ``evaluators``. Its items are the
    calls; counters and costs are kept up to date while it runs."""

    __tablename__ = "evaluation_runs"
    __table_args__ = (
        Index("ix_evaluation_runs_prompt", "project_id", "prompt_name", "created_at"),
        Index("ix_evaluation_runs_status", "status"),
    )
    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    prompt_name: Mapped[str] = mapped_column(String(200))
    #: ``[{"version", "label", "model", "resolved_version"}]``, in order: an item's
    #: ``variant`` is an index into this list.
    variants: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    dataset_name: Mapped[str] = mapped_column(String(200))
    dataset_version: Mapped[int] = mapped_column(Integer)
    #: ``[{"kind", "name", "config"}]`` (services/evaluation/evaluators.py).
    evaluators: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    repetitions: Mapped[int] = mapped_column(Integer, default=1)
    #: Model parameters over the prompt's own config (``temperature``, ``max_tokens``).
    params: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    #: A parameter sweep: variable name → list of values (their cartesian product).
    sweep: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    use_cache: Mapped[bool] = mapped_column(Boolean, default=True)
    concurrency: Mapped[int] = mapped_column(Integer, default=8)
    #: ``queued``, ``running``, ``cancelled``, ``completed`` or ``failed``.
    status: Mapped[str] = mapped_column(String(16))
    total_items: Mapped[int] = mapped_column(Integer, default=0)
    done_items: Mapped[int] = mapped_column(Integer, default=0)
    failed_items: Mapped[int] = mapped_column(Integer, default=0)
    cached_items: Mapped[int] = mapped_column(Integer, default=0)
    #: The estimate made before the start: tokens, cost, and how they were counted.
    estimate: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    actual_cost: Mapped[float] = mapped_column(Float, default=0.0)
    #: The results' summary, computed once the run is finished (None before).
    summary: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    #: Refreshed by the process executing the run; a stale one lets another take over.
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class SqlEvaluationRunItem(Base):
    """One call of a run: a case (of the expanded dataset) x variant x repetition.
    Unique per run, so a resumed run finishes each exactly once."""

    __tablename__ = "evaluation_run_items"
    __table_args__ = (
        UniqueConstraint(
            "run_id", "case_index", "variant", "repetition", name="uq_evaluation_run_items"
        ),
        Index("ix_evaluation_run_items_status", "run_id", "status"),
        Index("ix_evaluation_run_items_cache", "project_id", "cache_key"),
    )
    pk: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("evaluation_runs.id", ondelete="CASCADE"))
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    case_index: Mapped[int] = mapped_column(Integer)
    case_id: Mapped[str] = mapped_column(String(128))
    variant: Mapped[int] = mapped_column(Integer)
    repetition: Mapped[int] = mapped_column(Integer)
    #: ``pending``, ``done`` or ``failed``.
    status: Mapped[str] = mapped_column(String(16))
    generation_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    output: Mapped[str | None] = mapped_column(Text, nullable=True)
    cached: Mapped[bool] = mapped_column(Boolean, default=False)
    #: sha256 of the rendered messages, model, parameters and repetition number.
    cache_key: Mapped[str | None] = mapped_column(String(64), nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    latency_ms: Mapped[float | None] = mapped_column(Float, nullable=True)
    cost: Mapped[float | None] = mapped_column(Float, nullable=True)
    input_tokens: Mapped[int | None] = mapped_column(Integer, nullable=True)
    output_tokens: Mapped[int | None] = mapped_column(Integer, nullable=True)
    #: Evaluator name → ``{"value", "passed"}`` (the full scores are in ``scores``).
    scores: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


# -- alerts: budgets, alert rules, channels, fired alerts (services/alerts/) -------------


class SqlBudget(Base):
    """A spending limit per day, week or month for a workspace, project, feature or user."""

    __tablename__ = "budgets"
    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    #: None for a workspace budget (and for a feature or user across the workspace).
    project_id: Mapped[int | None] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), nullable=True
    )
    name: Mapped[str] = mapped_column(String(200))
    #: ``workspace``, ``project``, ``feature`` or ``user``.
    scope: Mapped[str] = mapped_column(String(16))
    #: The feature or user name for those scopes.
    scope_value: Mapped[str | None] = mapped_column(String(200), nullable=True)
    amount: Mapped[float] = mapped_column(Float)
    currency: Mapped[str] = mapped_column(String(8))
    #: ``day``, ``week`` (from Monday) or ``month``, in UTC.
    period: Mapped[str] = mapped_column(String(8))
    #: Percentages of the amount that notify when crossed (e.g. [50, 80, 100]).
    thresholds: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    forecast: Mapped[bool] = mapped_column(Boolean, default=True)
    channel_ids: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(400))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SqlAlertRule(Base):
    """A condition on a project's metrics (cost, latency p95, error rate, feedback)."""

    __tablename__ = "alert_rules"
    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    #: ``cost``, ``latency_p95``, ``error_rate``, ``feedback_drop`` (``eval_score`` to come).
    kind: Mapped[str] = mapped_column(String(32))
    #: Narrowing of the project's traffic: ``{"prompt": …, "model": …}``.
    filters: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    window_minutes: Mapped[int] = mapped_column(Integer)
    #: ``gt``, ``gte``, ``lt`` or ``lte``.
    comparison: Mapped[str] = mapped_column(String(8))
    threshold: Mapped[float] = mapped_column(Float)
    #: For a fall: ``previous_window`` or ``fixed`` (then ``baseline_value``).
    baseline: Mapped[str | None] = mapped_column(String(16), nullable=True)
    baseline_value: Mapped[float | None] = mapped_column(Float, nullable=True)
    min_samples: Mapped[int] = mapped_column(Integer, default=1)
    cooldown_minutes: Mapped[int] = mapped_column(Integer)
    channel_ids: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(400))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_evaluated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_value: Mapped[float | None] = mapped_column(Float, nullable=True)


class SqlAlertChannel(Base):
    """Where alerts go besides the signed webhooks: a Slack-style URL or email addresses."""

    __tablename__ = "alert_channels"
    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    #: ``slack`` or ``email``.
    kind: Mapped[str] = mapped_column(String(16))
    #: Safe to show: the masked URL, or the addresses.
    target_hint: Mapped[str] = mapped_column(String(2000))
    #: Not secret: ``{"to": [addresses]}`` for email.
    config: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    #: The incoming-webhook URL, encrypted with the server's key (services/runtime/secrets).
    secret: Mapped[str | None] = mapped_column(Text, nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(400))


class SqlAlert(Base):
    """One incident: fired by a rule or a budget threshold, acknowledged, resolved."""

    __tablename__ = "alerts"
    __table_args__ = (
        Index("ix_alerts_dedup", "dedup_key", "state"),
        Index("ix_alerts_workspace", "workspace_id", "state"),
    )
    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    project_id: Mapped[int | None] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), nullable=True
    )
    rule_id: Mapped[int | None] = mapped_column(
        ForeignKey("alert_rules.id", ondelete="CASCADE"), nullable=True
    )
    budget_id: Mapped[int | None] = mapped_column(
        ForeignKey("budgets.id", ondelete="CASCADE"), nullable=True
    )
    #: What makes two firings the same incident: ``rule:7``, ``budget:3:2026-12-01:80``.
    dedup_key: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    #: ``firing``, ``acknowledged`` or ``resolved``.
    state: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(500))
    details: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    value: Mapped[float | None] = mapped_column(Float, nullable=True)
    threshold: Mapped[float | None] = mapped_column(Float, nullable=True)
    fired_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    acknowledged_by: Mapped[str | None] = mapped_column(String(400), nullable=True)
    silenced_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    #: Times the incident came back within the cool-down instead of opening a new one.
    reopened: Mapped[int] = mapped_column(Integer, default=0)


class SqlAlertDelivery(Base):
    """A notification of an alert through a Slack or email channel (an outbox row)."""

    __tablename__ = "alert_deliveries"
    __table_args__ = (Index("ix_alert_deliveries_due", "status", "next_attempt_at"),)
    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"))
    channel_id: Mapped[int] = mapped_column(ForeignKey("alert_channels.id", ondelete="CASCADE"))
    event: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    #: ``pending``, ``delivered`` or ``failed``.
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


# -- analytics: rollups of the generation record, kept at ingest ------------------------

#: The key columns of a rollup row besides project, grain and bucket ("" / 0 for none).
ROLLUP_DIMENSIONS = (
    "prompt_name",
    "prompt_version",
    "model",
    "provider",
    "feature",
    "agent",
    "environment",
)
#: The key columns of a per-user or per-tag rollup row besides its dimension and value.
DIM_ROLLUP_DIMENSIONS = ("prompt_name", "prompt_version", "model")


class _RollupColumns:
    """Sums of the generations (and their feedback) of one time bucket and one key.

    ``grain`` is ``minute``, ``hour`` or ``day``; ``bucket`` the bucket's start in Unix
    seconds (UTC). Sketches: Apache DataSketches KLL (latency, ttft) and HLL (users).
    """

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)

    @declared_attr
    def project_id(cls) -> Mapped[int]:
        return mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))

    grain: Mapped[str] = mapped_column(String(8))
    bucket: Mapped[int] = mapped_column(BigInteger)
    prompt_name: Mapped[str] = mapped_column(String(200), default="")
    prompt_version: Mapped[int] = mapped_column(Integer, default=0)
    model: Mapped[str] = mapped_column(String(200), default="")
    calls: Mapped[int] = mapped_column(BigInteger, default=0)
    errors: Mapped[int] = mapped_column(BigInteger, default=0)
    input_tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    output_tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    cost_calls: Mapped[int] = mapped_column(BigInteger, default=0)
    cost: Mapped[float] = mapped_column(Float, default=0.0)
    cost_sq: Mapped[float] = mapped_column(Float, default=0.0)
    latency_count: Mapped[int] = mapped_column(BigInteger, default=0)
    latency_sum: Mapped[float] = mapped_column(Float, default=0.0)
    latency_sq: Mapped[float] = mapped_column(Float, default=0.0)
    latency_sketch: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    ttft_count: Mapped[int] = mapped_column(BigInteger, default=0)
    ttft_sum: Mapped[float] = mapped_column(Float, default=0.0)
    ttft_sketch: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    users_sketch: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    score_count: Mapped[int] = mapped_column(BigInteger, default=0)
    score_sum: Mapped[float] = mapped_column(Float, default=0.0)
    score_sq: Mapped[float] = mapped_column(Float, default=0.0)
    thumbs_up: Mapped[int] = mapped_column(BigInteger, default=0)
    thumbs_down: Mapped[int] = mapped_column(BigInteger, default=0)
    nps_promoters: Mapped[int] = mapped_column(BigInteger, default=0)
    nps_passives: Mapped[int] = mapped_column(BigInteger, default=0)
    nps_detractors: Mapped[int] = mapped_column(BigInteger, default=0)


class SqlRollup(_RollupColumns, Base):
    """Generations summed per (grain, bucket, prompt version, model, provider, feature,
    agent, environment)."""

    __tablename__ = "analytics_rollups"
    __table_args__ = (
        Index(
            "uq_analytics_rollups_key",
            "project_id",
            "grain",
            "bucket",
            *ROLLUP_DIMENSIONS,
            unique=True,
        ),
    )
    provider: Mapped[str] = mapped_column(String(100), default="")
    feature: Mapped[str] = mapped_column(String(200), default="")
    agent: Mapped[str] = mapped_column(String(200), default="")
    environment: Mapped[str] = mapped_column(String(200), default="")


class SqlDimRollup(_RollupColumns, Base):
    """The same sums per user or per tag (``dim`` = ``user`` | ``tag``, ``value``), by
    prompt version and model: the high-cardinality dimensions kept apart."""

    __tablename__ = "analytics_dim_rollups"
    __table_args__ = (
        Index(
            "uq_analytics_dim_rollups_key",
            "project_id",
            "dim",
            "grain",
            "bucket",
            "value",
            *DIM_ROLLUP_DIMENSIONS,
            unique=True,
        ),
    )
    dim: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(String(200), default="")


class SqlRollupMark(Base):
    """How far a project's generations are counted in the rollups.

    Ingest sets ``stored_pk`` (the highest generation key after its insert) in its own
    transaction; the rollup writer counts the project's generations with a key in
    ``(rolled_pk, stored_pk]`` and moves ``rolled_pk`` in the transaction that writes
    their sums (services/analytics/rollups.py, "Deferred counting")."""

    __tablename__ = "analytics_rollup_marks"
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True
    )
    rolled_pk: Mapped[int] = mapped_column(BigInteger, default=0)
    stored_pk: Mapped[int] = mapped_column(BigInteger, default=0)


# -- evaluation: datasets (versioned cases), scores, online evaluators ------------------


class SqlDataset(Base):
    """A named dataset of a project. Its cases are versioned: every change makes a new
    version (``latest_version``); old versions never change (services/evaluation/datasets.py)."""

    __tablename__ = "datasets"
    __table_args__ = (UniqueConstraint("project_id", "name", name="uq_datasets_project_name"),)
    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(128))
    description: Mapped[str] = mapped_column(Text, default="")
    latest_version: Mapped[int] = mapped_column(Integer, default=0)
    #: The next case position (cases keep their order across versions).
    next_position: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(400))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_by: Mapped[str] = mapped_column(String(400))


class SqlDatasetVersion(Base):
    """One immutable version of a dataset: who made it, why, and how many cases it has."""

    __tablename__ = "dataset_versions"
    __table_args__ = (UniqueConstraint("dataset_id", "number", name="uq_dataset_versions_number"),)
    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    message: Mapped[str] = mapped_column(Text, default="")
    case_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(400))


class SqlDatasetCase(Base):
    """A revision of a case, part of the versions ``from_version`` up to (not including)
    ``to_version`` (``None``: still in the latest). Editing or deleting a case closes its
    revision; the row's content never changes, so every version reads back as it was."""

    __tablename__ = "dataset_cases"
    __table_args__ = (
        Index("ix_dataset_cases_span", "dataset_id", "from_version", "to_version"),
        Index("ix_dataset_cases_case", "dataset_id", "case_id"),
    )
    pk: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"))
    case_id: Mapped[str] = mapped_column(String(128))
    position: Mapped[int] = mapped_column(Integer)
    from_version: Mapped[int] = mapped_column(Integer)
    to_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    input: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    expected: Mapped[str | None] = mapped_column(Text, nullable=True)
    meta: Mapped[dict[str, Any]] = mapped_column("metadata", JSONType, default=dict)
    #: The generation the case was made from, when it came from production traffic.
    source_generation_id: Mapped[str | None] = mapped_column(String(128), nullable=True)


class SqlScore(Base):
    """One score of a generation (or of a run's case): from an evaluator, an LLM judge, a
    person or online evaluation (services/evaluation/scores.py)."""

    __tablename__ = "scores"
    __table_args__ = (
        Index("ix_scores_generation", "project_id", "generation_id"),
        Index("ix_scores_run", "project_id", "run_id"),
        Index("ix_scores_name_time", "project_id", "name", "created_at"),
    )
    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    generation_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    name: Mapped[str] = mapped_column(String(200))
    value: Mapped[float | None] = mapped_column(Float, nullable=True)
    passed: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: ``evaluator``, ``judge``, ``human`` or ``online``.
    source: Mapped[str] = mapped_column(String(16))
    #: A judge's own cost (its call is a generation of its own).
    cost: Mapped[float | None] = mapped_column(Float, nullable=True)
    run_id: Mapped[int | None] = mapped_column(IdType, nullable=True)
    case_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    details: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_by: Mapped[str] = mapped_column(String(400))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SqlOnlineEvaluator(Base):
    """An evaluator attached to a prompt in production: a background job scores a
    sampled share of its new generations (``last_generation_pk`` is how far it got)."""

    __tablename__ = "online_evaluators"
    __table_args__ = (
        UniqueConstraint("project_id", "name", name="uq_online_evaluators_project_name"),
    )
    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    prompt_name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(64))
    config: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    sample_rate: Mapped[float] = mapped_column(Float)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    last_generation_pk: Mapped[int] = mapped_column(BigInteger, default=0)
    scored: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[str] = mapped_column(String(400))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


# -- annotation queues: people scoring generations by a rubric (evaluation/annotation.py) -


class SqlAnnotationQueue(Base):
    """A queue of items for people to score by a rubric (the LLM judge's rubric schema),
    each by ``annotators_required`` different people; a claim is leased for
    ``lease_seconds``."""

    __tablename__ = "annotation_queues"
    __table_args__ = (UniqueConstraint("project_id", "name", name="uq_annotation_queues_name"),)
    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: ``{"criteria": [...], "scale_min", "scale_max", "pass_threshold", "instructions"}``.
    rubric: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    annotators_required: Mapped[int] = mapped_column(Integer)
    lease_seconds: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[str] = mapped_column(String(400))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SqlAnnotationItem(Base):
    """A generation to score in a queue (a stored generation, or the output of a case of
    an evaluation run: then ``run_id`` and ``case_id`` say which). Once in a queue."""

    __tablename__ = "annotation_items"
    __table_args__ = (
        UniqueConstraint("queue_id", "generation_id", name="uq_annotation_items_generation"),
        Index("ix_annotation_items_status", "queue_id", "status", "id"),
    )
    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    queue_id: Mapped[int] = mapped_column(ForeignKey("annotation_queues.id", ondelete="CASCADE"))
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    generation_id: Mapped[str] = mapped_column(String(128))
    run_id: Mapped[int | None] = mapped_column(IdType, nullable=True)
    case_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    #: ``pending`` until ``annotators_required`` different people submitted, then ``done``.
    status: Mapped[str] = mapped_column(String(16))
    submitted: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class SqlAnnotationClaim(Base):
    """One person's turn at an item: ``locked`` (leased until ``locked_until``),
    ``submitted`` or ``skipped``. A locked or submitted claim holds one of the item's
    ``annotators_required`` slots; the unique slot is what keeps two people from working
    the same slot, on every database."""

    __tablename__ = "annotation_claims"
    __table_args__ = (
        UniqueConstraint("item_id", "annotator", name="uq_annotation_claims_annotator"),
        UniqueConstraint("item_id", "slot", name="uq_annotation_claims_slot"),
        Index("ix_annotation_claims_annotator", "queue_id", "annotator", "status"),
    )
    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("annotation_items.id", ondelete="CASCADE"))
    queue_id: Mapped[int] = mapped_column(ForeignKey("annotation_queues.id", ondelete="CASCADE"))
    #: ``user:<id>`` or ``key:<id>``: who, independent of a renamed account.
    annotator: Mapped[str] = mapped_column(String(64))
    annotator_name: Mapped[str] = mapped_column(String(400))
    #: 0 .. annotators_required - 1 while locked or submitted; NULL once skipped.
    slot: Mapped[int | None] = mapped_column(Integer, nullable=True)
    status: Mapped[str] = mapped_column(String(16))
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


# -- experiments: online A/B tests of a prompt's labels (services/experiments/) ---------


class SqlExperiment(Base):
    """An online experiment on a prompt: live traffic split between labels (the first
    variant is the control) by weight, sticky per user or session; analysed from the
    generations that record it (``generations.experiment_id``, ``variant``)."""

    __tablename__ = "experiments"
    __table_args__ = (
        UniqueConstraint("project_id", "name", name="uq_experiments_name"),
        Index("ix_experiments_prompt", "project_id", "prompt_name", "status"),
        Index("ix_experiments_status", "status"),
    )
    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    prompt_name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: ``draft``, ``running`` or ``stopped``.
    status: Mapped[str] = mapped_column(String(16))
    #: What assignment sticks to: ``user`` or ``session``.
    unit: Mapped[str] = mapped_column(String(16))
    #: ``[{"name", "label", "weight", "stopped"?}]``; the first is the control.
    variants: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    primary_metric: Mapped[str] = mapped_column(String(200))
    metrics: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    guardrails: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    #: Metric -> ``higher`` or ``lower`` (is better), over the built-in defaults.
    directions: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    #: The power calculation it was designed with (baseline, sd, mde, ...).
    design: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    alpha: Mapped[float] = mapped_column(Float)
    power: Mapped[float] = mapped_column(Float)
    #: Units per variant the design needs (from the power calculator).
    sample_size: Mapped[int | None] = mapped_column(Integer, nullable=True)
    stop_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: ``{"variant", "label", "version", "applied", "change_request"}`` once promoted.
    promoted: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class SqlExperimentRollup(Base):
    """An online experiment's generations summed per variant, UTC day and metric, kept in
    the ingest transaction (``services/analytics/experiment_rollups.py``, migration 0014):
    ``n``, ``Σx``, ``Σx²`` of ``cost``, ``latency``, ``error_rate`` (0/1 per generation)
    and each numeric ``meta:<key>``. What the analysis reads instead of the rows."""

    __tablename__ = "experiment_rollups"
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True
    )
    experiment_id: Mapped[int] = mapped_column(IdType, primary_key=True)
    variant: Mapped[str] = mapped_column(String(64), primary_key=True)
    #: ``YYYY-MM-DD`` (UTC) of the generations' start.
    day: Mapped[str] = mapped_column(String(10), primary_key=True)
    metric: Mapped[str] = mapped_column(String(80), primary_key=True)
    n: Mapped[int] = mapped_column(BigInteger, default=0)
    total: Mapped[float] = mapped_column(Float, default=0.0)
    total_sq: Mapped[float] = mapped_column(Float, default=0.0)


class SqlExperimentUnit(Base):
    """Each unit (user or session id) an experiment's variant served, once (migration
    0014): the units per variant of the sample ratio check are counts of these rows."""

    __tablename__ = "experiment_units"
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True
    )
    experiment_id: Mapped[int] = mapped_column(IdType, primary_key=True)
    #: ``user`` or ``session``.
    kind: Mapped[str] = mapped_column(String(8), primary_key=True)
    variant: Mapped[str] = mapped_column(String(64), primary_key=True)
    unit: Mapped[str] = mapped_column(String(200), primary_key=True)


# -- prompt intelligence: stored embeddings, the embedding source, MCP servers -----------


class SqlVersionEmbedding(Base):
    """The embedding of one version's text by one model (services/quality/embeddings.py):
    float32 little-endian bytes, ``dimensions`` of them. ``project_id`` is the version's
    prompt's project, kept here so a project's vectors load with one indexed read."""

    __tablename__ = "version_embeddings"
    __table_args__ = (Index("ix_version_embeddings_project", "project_id", "model", "created_at"),)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("prompt_versions.id", ondelete="CASCADE"), primary_key=True
    )
    model: Mapped[str] = mapped_column(String(200), primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    dimensions: Mapped[int] = mapped_column(Integer)
    vector: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SqlEmbeddingSource(Base):
    """A workspace's choice of embeddings: a provider connection's embeddings endpoint
    and model instead of the local model of the semantic extra."""

    __tablename__ = "embedding_sources"
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True
    )
    connection: Mapped[str] = mapped_column(String(64))
    model: Mapped[str] = mapped_column(String(200))
    updated_by: Mapped[str] = mapped_column(String(400))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SqlMcpServer(Base):
    """An MCP server a workspace declares (streamable HTTP ``url`` or a stdio
    ``command``), with the tools last discovered from it."""

    __tablename__ = "mcp_servers"
    __table_args__ = (UniqueConstraint("workspace_id", "name", name="uq_mcp_servers_name"),)
    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(64))
    #: ``http`` (streamable HTTP) or ``stdio``.
    transport: Mapped[str] = mapped_column(String(16))
    url: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    #: ``[program, arg, ...]`` for ``stdio``.
    command: Mapped[list[Any] | None] = mapped_column(JSONType, nullable=True)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: ``[{"name", "description"}]`` as last discovered (declared by hand when unreachable).
    tools: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    refreshed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    refresh_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_by: Mapped[str] = mapped_column(String(400))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
