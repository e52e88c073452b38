"""Public shapes of the operations capability: the audit trail (events, verification,
signed checkpoints) and webhooks (subscriptions, deliveries). Answers are ``*Public``
(one object) and ``*sPublic`` (a list); the HTTP API declares them, so ``/openapi.json``
describes every answer. Plain pydantic: no database, no FastAPI.

(``webhooks.WebhookCreate`` and ``audit_signing.Checkpoint`` are older and live with
their services.)
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from promptyard.domain.schemas import Input, Timestamp
from promptyard.services.operations.audit_signing import Checkpoint

# -- audit ----------------------------------------------------------------------------


class AuditEventPublic(BaseModel):
    """One event of the chain: ``hash`` is the SHA-256 of its canonical content, and
    ``prev_hash`` the hash of the event before it (``created_at`` is hashed as written)."""

    seq: int
    id: int
    created_at: Timestamp
    actor: str
    action: str
    object_type: str
    object_id: str
    summary: dict[str, Any]
    request_id: str | None
    ip: str | None
    prev_hash: str
    hash: str
    object_project: str | None = Field(
        None, description="the project of a prompt or change request the event acted on"
    )
    object_name: str | None = Field(None, description="the prompt's name, for a prompt")


class AuditEventsPublic(BaseModel):
    items: list[AuditEventPublic]
    total: int


class VerifiedCheckpointPublic(BaseModel):
    """The checkpoint a verification checked the chain against, as it was read: a
    rejected checkpoint's fields are shown unchecked."""

    seq: Any = Field(description="sequence number of the event it signed")
    hash: Any = Field(description="that event's hash")
    created_at: Any = Field(description="when it was signed")
    key_id: Any = Field(description="which key signed it")
    source: Literal["file", "caller"] = Field(
        description="the server's checkpoint file, or the checkpoint sent with the request"
    )


class AuditVerifyPublic(BaseModel):
    """The result of re-walking the chain: the first event that does not fit, if any."""

    ok: bool
    checked: int = Field(description="events checked")
    first_broken_seq: int | None
    first_broken_id: int | None
    reason: str | None
    head_seq: int | None = Field(description="the verified chain's last sequence number")
    head_hash: str | None
    checkpoint: VerifiedCheckpointPublic | None


class VerifyBody(Input):
    checkpoint: Checkpoint


class CheckpointsPublic(BaseModel):
    key_id: str
    public_key: str = Field(description="the server's Ed25519 public key, raw, base64")
    items: list[Checkpoint]


class CheckpointCreated(BaseModel):
    checkpoint: Checkpoint
    created: bool = Field(description="false when the chain had not moved since the last one")


# -- webhooks -------------------------------------------------------------------------


class WebhookPublic(BaseModel):
    id: int
    url: str
    events: list[str]
    active: bool
    created_at: Timestamp
    created_by: str


class WebhookCreated(WebhookPublic):
    secret: str = Field(description="the signing secret; in this answer only, never again")


class WebhooksPublic(BaseModel):
    items: list[WebhookPublic]


class DeliveryPublic(BaseModel):
    """One event sent (or to be sent) to a webhook, with its attempts so far."""

    id: int
    webhook_id: int
    event: str
    status: Literal["pending", "delivered", "failed"]
    attempts: int
    next_attempt_at: Timestamp | None
    last_status_code: int | None
    last_error: str | None
    created_at: Timestamp
    delivered_at: Timestamp | None


class DeliveriesPublic(BaseModel):
    items: list[DeliveryPublic]
