"""Template validation and rendering of unsaved content, models and prompt execution."""

from __future__ import annotations

from fastapi import APIRouter, Request

from promptyard.domain.schemas import TemplateInput
from promptyard.server.deps import CoreDep, ExecuteCtx, ProjectDep, ReadCtx
from promptyard.server.render_pool import RenderPoolDep
from promptyard.services.prompts import rendering
from promptyard.services.prompts.schemas import (
    RenderedTemplatePublic,
    TemplateCheckPublic,
    ValidateInput,
)
from promptyard.services.runtime import execution
from promptyard.services.runtime.schemas import ExecuteInput, ExecutionPublic, ModelsPublic

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


@router.get("/models")
def models(_ctx: ReadCtx) -> ModelsPublic:
    return ModelsPublic.model_validate({"items": execution.list_models()})


@router.post("/prompts/execute")
async def execute(
    body: ExecuteInput,
    request: Request,
    core: CoreDep,
    _ctx: ExecuteCtx,
    project_id: ProjectDep,
    pool: RenderPoolDep,
) -> ExecutionPublic:
    """Render a stored prompt (or unsaved content) and run it on a model."""
    result = await pool.run(
        request,
        execution.execute,
        core,
        project_id=project_id,
        model=body.model,
        variables=body.variables,
        prompt=body.prompt,
        version=body.version,
        label=body.label,
        type_=body.type,
        content=body.content,
        config=body.config,
    )
    return ExecutionPublic.model_validate(result)
