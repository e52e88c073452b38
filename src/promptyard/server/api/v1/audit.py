"""The audit trail: search, verify and export (thin shells over services.audit)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse

from promptyard.domain.actor import RequestContext
from promptyard.domain.schemas import MAX_OFFSET
from promptyard.server.deps import CoreDep, require
from promptyard.services import audit

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
) -> dict[str, Any]:
    """The workspace's audit events, newest first, with their chain hashes."""
    return audit.search_events(core, where=where, limit=limit, offset=offset)


@router.get("/verify")
def verify(core: CoreDep, _ctx: AuditCtx) -> dict[str, Any]:
    """Re-walk the whole chain (every workspace's events) and name the first broken one.

    The answer names events only by sequence number and id, never by content.
    """
    return audit.verify(core).to_dict()


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
