"""A project's retention of raw generations (thin shell over services.telemetry.retention)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from promptyard.domain.actor import RequestContext
from promptyard.server.api.v1.params import ProjectSlugPath
from promptyard.server.deps import CoreDep, require
from promptyard.services.identity.projects import resolve_project
from promptyard.services.telemetry import retention

router = APIRouter(tags=["telemetry"])


@router.get("/projects/{slug}/retention")
def get_retention(
    slug: ProjectSlugPath,
    core: CoreDep,
    ctx: Annotated[RequestContext, Depends(require("generation:read"))],
) -> retention.RetentionSettings:
    """How many days the project keeps raw generations, and before when they were deleted."""
    return retention.get_settings(core, project_id=resolve_project(core, ctx.actor, slug))


@router.put("/projects/{slug}/retention")
def put_retention(
    slug: ProjectSlugPath,
    body: retention.RetentionSettingsUpdate,
    core: CoreDep,
    ctx: Annotated[RequestContext, Depends(require("project:write"))],
) -> retention.RetentionSettings:
    """Keep raw generations for this many whole days (null: forever). The hourly
    ``generation_retention`` job deletes older rows; rollups keep their aggregates."""
    project_id = resolve_project(core, ctx.actor, slug)
    return retention.set_settings(core, ctx=ctx, project_id=project_id, data=body)
