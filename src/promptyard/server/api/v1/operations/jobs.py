"""The scheduler's periodic jobs (thin shell over services.operations.scheduler)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from promptyard.domain.actor import RequestContext
from promptyard.server.deps import CoreDep, require
from promptyard.services.operations import scheduler

router = APIRouter(prefix="/system", tags=["operations"])

AdminCtx = Annotated[RequestContext, Depends(require("audit:read"))]


@router.get("/jobs")
def list_jobs(core: CoreDep, _ctx: AdminCtx) -> scheduler.JobsPublic:
    """The scheduled jobs (backups, the integrity check): interval, whether one runs now
    and where, next run, and the last run's time, outcome and result. Admins."""
    return scheduler.list_jobs(core)
