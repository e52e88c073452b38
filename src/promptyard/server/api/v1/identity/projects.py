"""Projects, and import/export of a project bundle."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request, Response

from promptyard.domain import DEFAULT_SLUG
from promptyard.domain.actor import RequestContext
from promptyard.domain.schemas import ProjectCreate, ProjectPublic, ProjectsPublic
from promptyard.server.api.v1.params import ProjectSlugPath
from promptyard.server.deps import CoreDep, ReadCtx, require
from promptyard.services.identity import projects
from promptyard.services.prompts import bundles
from promptyard.services.prompts.schemas import ImportPublic

router = APIRouter(prefix="/projects", tags=["projects"])
Slug = ProjectSlugPath


@router.get("")
def list_projects(core: CoreDep, ctx: ReadCtx) -> ProjectsPublic:
    return ProjectsPublic(items=projects.list_projects(core, ctx.actor))


@router.post("", status_code=201, response_model=ProjectPublic)
def create_project(
    body: ProjectCreate,
    core: CoreDep,
    ctx: Annotated[RequestContext, Depends(require("project:write"))],
) -> ProjectPublic:
    return projects.create_project(core, ctx=ctx, data=body)


@router.get(
    "/{slug}/export", responses={200: {"content": {"application/json": {}, "application/yaml": {}}}}
)
def export_project(
    slug: Slug,
    core: CoreDep,
    ctx: Annotated[RequestContext, Depends(require("project:export"))],
    format: Literal["json", "yaml"] = "json",
) -> Response:
    """The whole project as one bundle file (every prompt, version, label and branch)."""
    project_id = projects.resolve_project(core, ctx.actor, slug)
    body = bundles.dump_bundle(bundles.export_project(core, project_id=project_id), format)
    media = "application/yaml" if format == "yaml" else "application/json"
    return Response(
        content=body,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{slug}.promptyard.{format}"'},
    )


@router.post(
    "/{slug}/import",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {"type": "object"},
                    "example": {
                        "format": "promptyard-bundle",
                        "format_version": 1,
                        "project": {"slug": DEFAULT_SLUG, "name": "Default project"},
                        "prompts": [],
                    },
                },
                "application/yaml": {"schema": {"type": "string"}},
            },
        }
    },
)
async def import_project(
    slug: Slug,
    request: Request,
    core: CoreDep,
    ctx: Annotated[RequestContext, Depends(require("project:import"))],
    on_conflict: Literal["fail", "skip"] = "fail",
) -> ImportPublic:
    """Import a bundle. With ``on_conflict=fail`` an existing name stops the whole import."""
    from starlette.concurrency import run_in_threadpool

    raw = await request.body()
    content_type = request.headers.get("content-type", "application/json")

    def run() -> ImportPublic:
        project_id = projects.resolve_project(core, ctx.actor, slug)
        data = bundles.load_bundle(raw, content_type)
        result = bundles.import_project(
            core, ctx=ctx, project_id=project_id, data=data, on_conflict=on_conflict
        )
        return ImportPublic.model_validate(result)

    return await run_in_threadpool(run)
