"""Point-in-time restore of a project's prompts (thin shell over services.recovery)."""

from __future__ import annotations

from fastapi import APIRouter

from promptyard.server.api.v1.params import ProjectSlugPath
from promptyard.server.deps import CoreDep, WriteCtx
from promptyard.services.recovery import point_in_time
from promptyard.services.recovery.schemas import PointInTimeRestoreRequest, RecoveryReportPublic

router = APIRouter(tags=["operations"])


@router.post("/projects/{slug}/point-in-time-restore")
def point_in_time_restore(
    slug: ProjectSlugPath, body: PointInTimeRestoreRequest, core: CoreDep, ctx: WriteCtx
) -> RecoveryReportPublic:
    """Bring the project's prompts (or one) back to their state at ``at``: rollbacks to
    the versions of then, label moves back, deletes and undeletes, each recorded in the
    audit trail. ``dry_run`` (the default) only lists the changes. Editors and above."""
    projects = point_in_time.projects_in(core, workspace_id=ctx.actor.workspace_id, slugs=[slug])
    report = point_in_time.point_in_time_restore(
        core, ctx=ctx, projects=projects, at=body.at, prompt=body.prompt, dry_run=body.dry_run
    )
    return RecoveryReportPublic.model_validate(report.to_dict())
