"""The audit trail: search, verify, export and signed checkpoints (thin shells over
services.audit and services.audit_checkpoints)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from fastapi.responses import StreamingResponse

from promptyard.domain.actor import RequestContext
from promptyard.domain.schemas import MAX_OFFSET
from promptyard.server.deps import CoreDep, require
from promptyard.services.operations import audit, audit_checkpoints
from promptyard.services.operations.schemas import (
    AuditEventsPublic,
    AuditVerifyPublic,
    CheckpointCreated,
    CheckpointsPublic,
    VerifyBody,
)

router = APIRouter(prefix="/audit", tags=["audit"])
AuditCtx = Annotated[RequestContext, Depends(require("audit:read"))]

_MEDIA = {"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson"}


def _filter(
    ctx: AuditCtx,
    actor: Annotated[str | None, Query(max_length=400, description="who acted")] = None,
    action: Annotated[
        str | None, Query(max_length=64, description="an action, or a prefix ending in *")
    ] = None,
    object_type: Annotated[str | None, Query(max_length=32)] = None,
    object_id: Annotated[str | None, Query(max_length=200)] = None,
    since: Annotated[datetime | None, Query(description="from this time (inclusive)")] = None,
    until: Annotated[datetime | None, Query(description="until this time (exclusive)")] = None,
) -> audit.AuditFilter:
    return audit.AuditFilter(
        workspace_id=ctx.actor.workspace_id,
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=object_id,
        since=since,
        until=until,
    )


FilterDep = Annotated[audit.AuditFilter, Depends(_filter)]


@router.get("")
def list_events(
    core: CoreDep,
    where: FilterDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> AuditEventsPublic:
    """The workspace's audit events, newest first, with their chain hashes."""
    page = audit.search_events(core, where=where, limit=limit, offset=offset)
    return AuditEventsPublic.model_validate(page)


@router.get("/verify")
def verify(core: CoreDep, _ctx: AuditCtx) -> AuditVerifyPublic:
    """Re-walk the whole chain (every workspace's events) and name the first broken one;
    then check that it still reaches the latest signed checkpoint of the server's file.

    The answer names events only by sequence number and id, never by content.
    """
    return AuditVerifyPublic.model_validate(audit.verify(core).to_dict())


@router.post("/verify")
def verify_against(body: VerifyBody, core: CoreDep, _ctx: AuditCtx) -> AuditVerifyPublic:
    """Like ``GET /audit/verify``, against a checkpoint kept elsewhere (a webhook
    delivery, an export, a copy of the checkpoint file) instead of the server's file."""
    result = audit.verify(core, checkpoint=body.checkpoint.model_dump())
    return AuditVerifyPublic.model_validate(result.to_dict())


@router.get("/checkpoints")
def list_checkpoints(
    core: CoreDep, _ctx: AuditCtx, limit: Annotated[int, Query(ge=1, le=1000)] = 20
) -> CheckpointsPublic:
    """The server's public key and its latest signed checkpoints, newest first."""
    return CheckpointsPublic.model_validate(audit_checkpoints.list_checkpoints(core, limit=limit))


@router.post(
    "/checkpoints",
    status_code=201,
    response_model=CheckpointCreated,
    responses={
        200: {"model": CheckpointCreated, "description": "the chain has not moved"},
        409: {"description": "the chain is broken or the latest checkpoint is rejected"},
    },
)
def create_checkpoint(core: CoreDep, _ctx: AuditCtx, response: Response) -> CheckpointCreated:
    """Sign the chain's head now and publish it (file, webhooks): 201, or 200 with the
    latest checkpoint when the chain has not moved; 409 when the chain is broken."""
    checkpoint, created = audit_checkpoints.create_checkpoint(core)
    response.status_code = 201 if created else 200
    return CheckpointCreated.model_validate({"checkpoint": checkpoint, "created": created})


@router.get(
    "/export",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}, "application/x-ndjson": {}}}},
)
def export(
    core: CoreDep,
    where: FilterDep,
    format: Annotated[audit.ExportFormat, Query()] = "jsonl",
) -> StreamingResponse:
    """The matching events, oldest first, as CSV or JSON Lines, streamed."""
    stamp = core.clock().strftime("%Y%m%dT%H%M%SZ")
    return StreamingResponse(
        audit.export_events(core, where=where, format=format),
        media_type=_MEDIA[format],
        headers={"Content-Disposition": f'attachment; filename="audit-{stamp}.{format}"'},
    )
