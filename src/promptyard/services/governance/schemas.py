"""Public shapes of the governance capability: change requests, their events and gate
results, lifecycle and impact. Requests are named inputs, answers ``*Public`` (one
object) and ``*sPublic`` (a page); the HTTP API declares them, so ``/openapi.json``
describes every answer. Plain pydantic: no database, no FastAPI.

(The request bodies of a change request and of the policy, and the policy itself, are
older and live with their services: ``change_requests.ChangeRequestCreate``,
``policy.PolicyUpdate`` and ``policy.Policy``.)
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from promptyard.domain.schemas import Input, Timestamp, request_examples
from promptyard.services.governance.lifecycle import LifecycleTarget

ChangeRequestStatus = Literal["open", "changes_requested", "approved", "applied", "closed"]
ChangeRequestEventKind = Literal[
    "opened", "comment", "approve", "request_changes", "apply", "close"
]
LifecycleState = Literal["draft", "in_review", "published", "deprecated", "archived"]


# -- requests -----------------------------------------------------------------------


class CommentBody(Input):
    model_config = request_examples({"body": "Looks good to me."})

    body: str = Field(min_length=1, max_length=20_000)


class ApproveBody(Input):
    model_config = request_examples({"comment": "Approved."})

    comment: str = Field("", max_length=20_000)


class RequestChangesBody(Input):
    model_config = request_examples({"comment": "Please keep the greeting short."})

    comment: str = Field(min_length=1, max_length=20_000)


class LifecycleBody(Input):
    model_config = request_examples({"state": "published"})

    state: LifecycleTarget


# -- change requests ----------------------------------------------------------------


class GateResultPublic(BaseModel):
    gate: str
    ok: bool
    message: str = ""


class ChangeRequestEventPublic(BaseModel):
    id: int
    kind: ChangeRequestEventKind
    actor: str
    body: str
    created_at: Timestamp


class ChangeRequestPublic(BaseModel):
    """A proposal to point ``label`` of ``prompt`` at ``version``."""

    id: int
    project: str
    prompt: str
    version: int
    label: str
    base_version: int | None = Field(
        description="where the label pointed when the request was opened (the reviewed diff "
        "is base_version → version); null if it pointed nowhere, or for requests opened "
        "before this was recorded"
    )
    description: str
    status: ChangeRequestStatus
    author: str
    required_approvals: int
    approvals: list[str] = Field(description="who approved since the last request for changes")
    sample_variables: dict[str, Any]
    gate_results: list[GateResultPublic]
    created_at: Timestamp
    updated_at: Timestamp
    applied_at: Timestamp | None
    applied_by: str | None


class ChangeRequestDetailPublic(ChangeRequestPublic):
    """One change request with its events, oldest first."""

    events: list[ChangeRequestEventPublic]


class ChangeRequestsPublic(BaseModel):
    items: list[ChangeRequestPublic]
    total: int
    limit: int
    offset: int


# -- lifecycle and impact -----------------------------------------------------------


class LifecyclePublic(BaseModel):
    name: str
    lifecycle: LifecycleState
    previous: LifecycleState


class ImpactLabelPublic(BaseModel):
    name: str
    version: int


class DependentPublic(BaseModel):
    """A prompt version that includes this prompt."""

    prompt: str
    version: int
    reference: str = Field(description="the reference as written, e.g. prompt:greeting@production")
    resolves_to: int | None = Field(description="the version it includes today, if any")


class ImpactPublic(BaseModel):
    prompt: str
    version: int | None
    lifecycle: LifecycleState
    labels: list[ImpactLabelPublic]
    dependents: list[DependentPublic]
    change_requests: list[ChangeRequestPublic] = Field(description="the requests still open")
