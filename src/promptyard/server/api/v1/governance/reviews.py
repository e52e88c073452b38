"""Routes of governance: policy, change requests, lifecycle, impact; and webhooks."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from starlette.concurrency import run_in_threadpool

from promptyard.domain.actor import RequestContext
from promptyard.domain.schemas import MAX_VERSION, NAME_PATTERN
from promptyard.server.api.v1.params import ObjectId, ProjectSlugPath, PromptName
from promptyard.server.deps import CoreDep, ProjectDep, ReadCtx, WriteCtx, require
from promptyard.services.governance import change_requests, impact, lifecycle, policy
from promptyard.services.governance.schemas import (
    ApproveBody,
    ChangeRequestDetailPublic,
    ChangeRequestsPublic,
    ChangeRequestStatus,
    CommentBody,
    ImpactPublic,
    LifecycleBody,
    LifecyclePublic,
    RequestChangesBody,
)
from promptyard.services.operations import webhooks
from promptyard.services.operations.schemas import (
    DeliveriesPublic,
    DeliveryPublic,
    WebhookCreated,
    WebhooksPublic,
)

router = APIRouter(tags=["reviews"])

RequestId = ObjectId
Slug = ProjectSlugPath
ReviewRead = Annotated[RequestContext, Depends(require("review:read"))]
ReviewOpen = Annotated[RequestContext, Depends(require("review:open"))]
ReviewComment = Annotated[RequestContext, Depends(require("review:comment"))]
ReviewApprove = Annotated[RequestContext, Depends(require("review:approve"))]
ReviewApply = Annotated[RequestContext, Depends(require("review:apply"))]
PolicyManage = Annotated[RequestContext, Depends(require("policy:manage"))]
WebhookManage = Annotated[RequestContext, Depends(require("webhook:manage"))]


# -- policy --------------------------------------------------------------------------


@router.get("/projects/{slug}/policy", response_model=policy.Policy)
def get_policy(slug: Slug, core: CoreDep, ctx: ReviewRead) -> policy.Policy:
    """The project's review policy (defaults when never set)."""
    project_id = policy.project_for(core, ctx.actor, slug)
    return policy.get_policy(core, project_id=project_id)


@router.put("/projects/{slug}/policy", response_model=policy.Policy)
def put_policy(
    slug: Slug, body: policy.PolicyUpdate, core: CoreDep, ctx: PolicyManage
) -> policy.Policy:
    """Change the review policy; fields left out keep their value."""
    project_id = policy.project_for(core, ctx.actor, slug)
    return policy.set_policy(core, ctx=ctx, project_id=project_id, data=body)


# -- change requests -----------------------------------------------------------------


@router.post("/change-requests", status_code=201)
def open_change_request(
    body: change_requests.ChangeRequestCreate,
    core: CoreDep,
    ctx: ReviewOpen,
    project_id: ProjectDep,
) -> ChangeRequestDetailPublic:
    """Ask to point a label at a version; the quality gates run first (422 gate_failed)."""
    opened = change_requests.open_request(core, ctx=ctx, project_id=project_id, data=body)
    return ChangeRequestDetailPublic.model_validate(opened)


@router.get("/change-requests")
def list_change_requests(
    core: CoreDep,
    _ctx: ReviewRead,
    project_id: ProjectDep,
    status: ChangeRequestStatus | None = None,
    prompt: Annotated[str | None, Query(pattern=NAME_PATTERN)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> ChangeRequestsPublic:
    page = change_requests.list_requests(
        core, project_id=project_id, status=status, prompt=prompt, limit=limit, offset=offset
    )
    return ChangeRequestsPublic.model_validate(page)


@router.get("/change-requests/{request_id}")
def get_change_request(
    request_id: RequestId, core: CoreDep, ctx: ReviewRead
) -> ChangeRequestDetailPublic:
    """One change request with its events and gate results."""
    return ChangeRequestDetailPublic.model_validate(
        change_requests.get_request(core, actor=ctx.actor, request_id=request_id)
    )


@router.post("/change-requests/{request_id}/comments", status_code=201)
def comment(
    request_id: RequestId, body: CommentBody, core: CoreDep, ctx: ReviewComment
) -> ChangeRequestDetailPublic:
    return ChangeRequestDetailPublic.model_validate(
        change_requests.comment(core, ctx=ctx, request_id=request_id, body=body.body)
    )


@router.post("/change-requests/{request_id}/approve")
def approve(
    request_id: RequestId, core: CoreDep, ctx: ReviewApprove, body: ApproveBody | None = None
) -> ChangeRequestDetailPublic:
    """Approve (not your own request); the gates run again."""
    comment_text = body.comment if body is not None else ""
    return ChangeRequestDetailPublic.model_validate(
        change_requests.approve(core, ctx=ctx, request_id=request_id, body=comment_text)
    )


@router.post("/change-requests/{request_id}/request-changes")
def request_changes(
    request_id: RequestId, body: RequestChangesBody, core: CoreDep, ctx: ReviewApprove
) -> ChangeRequestDetailPublic:
    return ChangeRequestDetailPublic.model_validate(
        change_requests.request_changes(core, ctx=ctx, request_id=request_id, body=body.comment)
    )


@router.post("/change-requests/{request_id}/apply")
def apply(request_id: RequestId, core: CoreDep, ctx: ReviewApply) -> ChangeRequestDetailPublic:
    """Move the label of an approved request and publish the prompt."""
    return ChangeRequestDetailPublic.model_validate(
        change_requests.apply(core, ctx=ctx, request_id=request_id)
    )


@router.post("/change-requests/{request_id}/close")
def close(
    request_id: RequestId, core: CoreDep, ctx: ReviewOpen, body: ApproveBody | None = None
) -> ChangeRequestDetailPublic:
    """Withdraw (author) or reject (reviewer) a request that was not applied."""
    comment_text = body.comment if body is not None else ""
    return ChangeRequestDetailPublic.model_validate(
        change_requests.close(core, ctx=ctx, request_id=request_id, body=comment_text)
    )


# -- lifecycle and impact ----------------------------------------------------------


@router.post("/prompts/{name}/lifecycle")
def set_lifecycle(
    name: PromptName, body: LifecycleBody, core: CoreDep, ctx: WriteCtx, project_id: ProjectDep
) -> LifecyclePublic:
    """Mark a prompt draft, published, deprecated (still served, flagged) or archived."""
    changed = lifecycle.set_lifecycle(
        core, ctx=ctx, project_id=project_id, name=name, state=body.state
    )
    return LifecyclePublic.model_validate(changed)


@router.get("/prompts/{name}/impact")
async def prompt_impact(
    name: PromptName,
    core: CoreDep,
    _ctx: ReadCtx,
    project_id: ProjectDep,
    version: Annotated[int | None, Query(ge=1, le=MAX_VERSION)] = None,
) -> ImpactPublic:
    """What moving a label of this prompt affects: labels, dependents, open requests."""
    found = await run_in_threadpool(
        impact.impact, core, project_id=project_id, name=name, version=version
    )
    return ImpactPublic.model_validate(found)


# -- webhooks ------------------------------------------------------------------------


@router.post("/webhooks", status_code=201)
def create_webhook(
    body: webhooks.WebhookCreate, core: CoreDep, ctx: WebhookManage, project_id: ProjectDep
) -> WebhookCreated:
    """Subscribe a URL to events; the signing secret is shown only in this answer."""
    created = webhooks.create_webhook(core, ctx=ctx, project_id=project_id, data=body)
    return WebhookCreated.model_validate(created)


@router.get("/webhooks")
def list_webhooks(core: CoreDep, _ctx: WebhookManage, project_id: ProjectDep) -> WebhooksPublic:
    items = webhooks.list_webhooks(core, project_id=project_id)
    return WebhooksPublic.model_validate({"items": items})


@router.delete("/webhooks/{webhook_id}", status_code=204)
def delete_webhook(webhook_id: RequestId, core: CoreDep, ctx: WebhookManage) -> None:
    webhooks.delete_webhook(core, ctx=ctx, webhook_id=webhook_id)


@router.get("/webhooks/{webhook_id}/deliveries")
def list_deliveries(
    webhook_id: RequestId,
    core: CoreDep,
    ctx: WebhookManage,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> DeliveriesPublic:
    items = webhooks.list_deliveries(core, actor=ctx.actor, webhook_id=webhook_id, limit=limit)
    return DeliveriesPublic.model_validate({"items": items})


@router.post("/webhooks/{webhook_id}/test")
def test_webhook(webhook_id: RequestId, core: CoreDep, ctx: WebhookManage) -> DeliveryPublic:
    """Send a signed ``ping`` delivery now, through the normal delivery path, and answer
    how it went (``delivered``, or ``failed`` with the endpoint's answer; not retried)."""
    delivery = webhooks.send_test(core, ctx=ctx, webhook_id=webhook_id)
    return DeliveryPublic.model_validate(delivery)
