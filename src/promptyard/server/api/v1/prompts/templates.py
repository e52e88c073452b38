"""Template validation and rendering of unsaved content."""

from __future__ import annotations

from fastapi import APIRouter, Request

from promptyard.domain.schemas import TemplateInput
from promptyard.server.deps import CoreDep, ProjectDep, ReadCtx
from promptyard.server.render_pool import RenderPoolDep
from promptyard.services.prompts import rendering
from promptyard.services.prompts.schemas import (
    RenderedTemplatePublic,
    TemplateCheckPublic,
    ValidateInput,
)

router = APIRouter(tags=["templates"])


@router.post("/templates/validate")
def validate(
    body: ValidateInput, core: CoreDep, _ctx: ReadCtx, project_id: ProjectDep
) -> TemplateCheckPublic:
    """Check a template as saving would: variables, references and errors with positions."""
    found = rendering.validate_template(
        core, project_id=project_id, type_=body.type, content=body.content
    )
    return TemplateCheckPublic.model_validate(found)


@router.post("/templates/render")
async def render(
    body: TemplateInput,
    request: Request,
    core: CoreDep,
    _ctx: ReadCtx,
    project_id: ProjectDep,
    pool: RenderPoolDep,
) -> RenderedTemplatePublic:
    """Render unsaved content (includes resolve in the project), in the render pool."""
    rendered = await pool.run(
        request,
        rendering.render_template,
        core,
        project_id=project_id,
        type_=body.type,
        content=body.content,
        variables=body.variables,
    )
    return RenderedTemplatePublic.model_validate(rendered)
