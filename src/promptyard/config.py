"""Settings, read from the environment (prefix ``PROMPTYARD_``).

Settings are built by :func:`load_settings` when a process starts, never at import time,
and passed explicitly to whatever needs them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every setting of the server. Each is documented in ``docs/deployment.md``."""

    model_config = SettingsConfigDict(env_prefix="PROMPTYARD_", extra="ignore")

    data_dir: Path = Field(
        default=Path(".promptyard"),
        description="Folder for the embedded SQLite database and other local state.",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; default: SQLite file promptyard.db in data_dir. "
        "PostgreSQL: postgresql+psycopg://user@host:5432/db.",
    )
    init_admin_email: str | None = Field(
        default=None, description="Email of an admin user created at start-up if absent."
    )
    init_admin_password: str | None = Field(
        default=None, description="Password for init_admin_email (only used when creating)."
    )
    init_api_key: str | None = Field(
        default=None, description="An admin API key created at start-up if absent."
    )
    init_public_key: str | None = Field(
        default=None,
        description="Langfuse-style public key for the default project, created if absent.",
    )
    init_secret_key: str | None = Field(
        default=None, description="Secret key paired with init_public_key."
    )
    max_request_bytes: int = Field(
        default=5_000_000,
        description="Largest request body of any route; import bundles may use all of it.",
    )
    max_render_request_bytes: int = Field(
        default=1_000_000,
        description="Largest body of a render, validate or execute request (content plus "
        "variables) and of a change request (sample variables).",
    )
    max_prompt_request_bytes: int = Field(
        default=1_000_000,
        description="Largest body of a prompt write (create, update, bulk): content up to "
        "max_content_chars, however it is escaped, plus metadata.",
    )
    max_ingest_request_bytes: int = Field(
        default=5_000_000,
        description="Largest body of a generation report (POST /generations/batch: up to "
        "1,000 generations with their text).",
    )
    otlp_max_unpacked_bytes: int = Field(
        default=64_000_000,
        ge=1_000,
        description="Largest OTLP trace export once gzip is unpacked (POST /v1/traces); a "
        "larger one is refused with 413. The packed body is capped by "
        "PROMPTYARD_MAX_INGEST_REQUEST_BYTES.",
    )
    otlp_ingest_workers: int = Field(
        default=2,
        ge=1,
        le=64,
        description="OTLP trace exports decoded and stored at once; more wait their turn.",
    )
    otlp_ingest_queue: int = Field(
        default=16,
        ge=0,
        le=10_000,
        description="OTLP trace exports that may wait for a worker; past this the server "
        "answers 503 with Retry-After (the exporter retries), never accepts and drops.",
    )
    max_content_chars: int = Field(
        default=100_000, description="Largest prompt content (text or all messages together)."
    )
    workspace_creation: Literal["instance_admins", "any_user"] = Field(
        default="instance_admins",
        description="Who may create workspaces: only instance administrators (default), "
        "or any signed-in user.",
    )
    invitation_days: int = Field(
        default=7, ge=1, le=90, description="Days a workspace invitation stays valid."
    )
    session_days: int = Field(default=14, description="Lifetime of a console sign-in session.")
    secure_cookies: bool = Field(
        default=False, description="Mark session cookies Secure (turn on behind HTTPS)."
    )
    render_timeout_seconds: float = Field(
        default=1.0,
        gt=0,
        description="Wall-clock budget of one render request (all its messages and "
        "references together); also the longest a render waits for a free worker.",
    )
    render_workers: int = Field(
        default=2,
        ge=1,
        le=64,
        description="Threads that run template renders (a pool separate from other routes).",
    )
    render_queue: int = Field(
        default=16,
        ge=0,
        description="Renders that may wait for a worker; beyond workers + queue a render "
        "request is answered 503 overloaded with Retry-After.",
    )
    webhook_worker: bool = Field(
        default=True,
        description="Run background jobs (webhook delivery, audit checkpoints) in this "
        "process (turn off in all but one process).",
    )
    cors_origins: list[str] = Field(
        default_factory=list, description="Origins allowed to call the API from a browser."
    )
    audit_signing_key_file: Path | None = Field(
        default=None,
        description="Ed25519 private key (unencrypted PEM) signing audit checkpoints; "
        "default: audit-signing.key in data_dir, created on first use (mode 0600).",
    )
    audit_checkpoint_events: int = Field(
        default=1000,
        ge=0,
        description="Publish an audit checkpoint once this many events were appended "
        "since the last one (0: not by count).",
    )
    audit_checkpoint_minutes: float = Field(
        default=60.0,
        ge=0,
        description="Publish an audit checkpoint at least this often while events are "
        "appended (0: not by time).",
    )
    change_poll_seconds: float = Field(
        default=0.2,
        gt=0,
        description="How often each server process reads new changes (the change stream "
        "and cache invalidation across processes).",
    )
    change_heartbeat_seconds: float = Field(
        default=15.0,
        gt=0,
        description="Idle change-stream connections get a ': ping' comment this often.",
    )
    change_replay_events: int = Field(
        default=10_000,
        ge=0,
        description="A change-stream client resuming further back than this many audit "
        "events gets 'reset' (drop your cache) instead of a replay.",
    )

    metrics_token: str | None = Field(
        default=None,
        description="When set, GET /metrics answers only requests with "
        "'Authorization: Bearer <this token>' (Prometheus: authorization.credentials).",
    )
    health_latency_target_ms: float = Field(
        default=250.0,
        gt=0,
        description="Target for the 95th percentile of request latency over the last 15 "
        "minutes (GET /api/v1/system/health: yellow above it, red above twice it).",
    )
    health_error_rate_target: float = Field(
        default=0.01,
        gt=0,
        le=1,
        description="Target share of requests answered 5xx over the last 15 minutes "
        "(health: yellow above it, red above five times it).",
    )
    otel_endpoint: str | None = Field(
        default=None,
        max_length=2000,
        description="Trace Promptyard itself with OpenTelemetry: the OTLP/HTTP traces URL "
        "spans are sent to (e.g. http://collector:4318/v1/traces). Unset: no tracing.",
    )
    otel_headers: str | None = Field(
        default=None,
        max_length=8000,
        description="Headers for the OTLP exporter as 'key=value,key2=value2' "
        "(e.g. 'Authorization=Bearer <key>').",
    )
    otel_service_name: str = Field(
        default="promptyard",
        min_length=1,
        max_length=200,
        description="service.name of Promptyard's own spans.",
    )
    otel_sample_ratio: float = Field(
        default=1.0,
        ge=0,
        le=1,
        description="Share of traces recorded (a request whose caller sent a sampled "
        "traceparent is always recorded).",
    )

    secret_key_file: Path | None = Field(
        default=None,
        description="Key (Fernet, base64) encrypting provider API keys at rest; default: "
        "secret.key in data_dir, created on first use (mode 0600). Keep it with backups: "
        "without it stored provider keys cannot be read.",
    )
    generation_text_max_chars: int = Field(
        default=32_000,
        ge=0,
        le=10_000_000,
        description="A generation's input and output text are each stored up to this many "
        "characters (the rest is cut and the row flagged); 0 stores no text.",
    )
    execute_timeout_seconds: float = Field(
        default=120.0,
        gt=0,
        le=3600,
        description="Longest a provider call from execute may take, retries included.",
    )
    evaluation_max_items: int = Field(
        default=100_000,
        ge=1,
        le=10_000_000,
        description="Most calls one evaluation run may make (cases x sweep combinations x "
        "variants x repetitions); a larger run is refused (422 run_too_large).",
    )
    evaluation_parallel_runs: int = Field(
        default=2,
        ge=1,
        le=64,
        description="Evaluation runs one server process executes at the same time (each "
        "in its own thread, with its own concurrency limit); more wait, queued.",
    )

    backup_url: str | None = Field(
        default=None,
        description="Where `promptyard backup` and scheduled backups write: a folder, or "
        "an S3-compatible store as s3://bucket/prefix (needs promptyard[s3]; credentials "
        "from the usual AWS_* variables); default: the backups folder in data_dir.",
    )
    backup_s3_endpoint_url: str | None = Field(
        default=None,
        description="Endpoint of an S3-compatible store other than AWS (MinIO, Ceph, …), "
        "e.g. http://127.0.0.1:9000.",
    )
    backup_interval_hours: float = Field(
        default=0.0,
        ge=0,
        description="Take a backup this often from the server's scheduler (0: off).",
    )
    backup_keep: int = Field(
        default=7,
        ge=1,
        description="Backups kept at backup_url after each new one; older ones are deleted.",
    )
    backup_pg_dump: str = Field(
        default="pg_dump",
        description="pg_dump used for PostgreSQL backups (its major version must be at "
        "least the server's).",
    )
    backup_pg_restore: str = Field(
        default="pg_restore",
        description="pg_restore used to restore PostgreSQL backups.",
    )
    db_check_interval_hours: float = Field(
        default=0.0,
        ge=0,
        description="Run the integrity check (`promptyard db check`) this often from the "
        "server's scheduler (0: off; 24 is a good choice).",
    )
    semantic_search: bool = Field(
        default=False,
        description="Embed prompts in the background (the process running background "
        "jobs) and serve semantic search; needs the promptyard[semantic] extra.",
    )
    webhook_allow_private: bool = Field(
        default=False,
        description="Let webhooks post to private, loopback and link-local addresses (a "
        "receiver inside your network); off: such URLs are refused when saved and sent.",
    )
    mcp_allow_private: bool = Field(
        default=False,
        description="Let declared MCP servers use private, loopback and link-local URLs "
        "(an MCP server inside your network); off: such URLs are refused.",
    )
    mcp_allow_stdio: bool = Field(
        default=False,
        description="Let instance admins declare MCP servers started as a local command "
        "(stdio); the server then runs that command to list its tools. Off: only "
        "streamable HTTP servers can be declared.",
    )
    analytics_minute_retention_hours: int = Field(
        default=48,
        ge=2,
        le=24 * 366,
        description="Minute-resolution analytics rollups older than this are deleted by "
        "the `rollup_retention` job (hour and day rollups stay); queries older than this "
        "read whole hours.",
    )
    # -- alerts: budgets and alert rules (services/alerts/, docs/alerting.md) ----------
    alert_eval_seconds: float = Field(
        default=60.0,
        ge=5,
        le=86_400,
        description="How often budgets and alert rules are evaluated (one server process "
        "at a time, through the scheduler's lease).",
    )
    alert_channel_allow_private: bool = Field(
        default=False,
        description="Let Slack-style alert channels post to private, loopback and "
        "link-local addresses (an internal chat server); off: such URLs are refused.",
    )
    smtp_host: str | None = Field(
        default=None, description="SMTP server for email alert channels (unset: no email)."
    )
    smtp_port: int = Field(default=587, ge=1, le=65_535, description="SMTP server port.")
    smtp_user: str | None = Field(default=None, description="SMTP user name, if it needs one.")
    smtp_password: str | None = Field(default=None, description="SMTP password.")
    smtp_from: str = Field(
        default="promptyard@localhost", description="From address of alert emails."
    )
    smtp_starttls: bool = Field(
        default=True, description="Upgrade the SMTP connection with STARTTLS before sending."
    )

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'promptyard.db').resolve()}"


def load_settings(**overrides: object) -> Settings:
    """Build settings from the environment, with explicit overrides winning."""
    return Settings(**overrides)  # type: ignore[arg-type]
