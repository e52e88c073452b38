"""Template validation and rendering of unsaved content, models and prompt execution."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import Field

from promptyard.domain.schemas import (
    LABEL_PATTERN,
    MAX_VERSION,
    NAME_PATTERN,
    Input,
    PromptType,
    TemplateInput,
    request_examples,
)
from promptyard.server.deps import CoreDep, ExecuteCtx, ProjectDep, ReadCtx
from promptyard.server.render_pool import RenderPoolDep
from promptyard.services.prompts import rendering
from promptyard.services.runtime import execution

router = APIRouter(tags=["templates"])


class ValidateInput(Input):
    model_config = request_examples({"type": "text", "content": "Hello {{ name }}"})

    type: PromptType = "text"
    content: str | list[dict[str, Any]]


class ExecuteInput(Input):
    model_config = request_examples(
        {
            "model": "fake/echo",
            "prompt": "greeting",
            "label": "production",
            "variables": {"name": "Ada"},
        }
    )

    model: str = Field(min_length=1, max_length=200, examples=["fake/echo"])
    variables: dict[str, Any] = Field(default_factory=dict)
    prompt: str | None = Field(default=None, pattern=NAME_PATTERN)
    version: int | None = Field(default=None, ge=1, le=MAX_VERSION)
    label: str | None = Field(default=None, pattern=LABEL_PATTERN)
    type: PromptType | None = None
    content: str | list[dict[str, Any]] | None = None
    config: dict[str, Any] | None = None


@router.post("/templates/validate")
def validate(
    body: ValidateInput, core: CoreDep, _ctx: ReadCtx, project_id: ProjectDep
) -> dict[str, Any]:
    """Check a template as saving would: variables, references and errors with positions."""
    return rendering.validate_template(
        core, project_id=project_id, type_=body.type, content=body.content
    )


@router.post("/templates/render")
async def render(
    body: TemplateInput,
    request: Request,
    core: CoreDep,
    _ctx: ReadCtx,
    project_id: ProjectDep,
    pool: RenderPoolDep,
) -> dict[str, Any]:
    """Render unsaved content (includes resolve in the project), in the render pool."""
    return await pool.run(
        request,
        rendering.render_template,
        core,
        project_id=project_id,
        type_=body.type,
        content=body.content,
        variables=body.variables,
    )


@router.get("/models")
def models(_ctx: ReadCtx) -> dict[str, Any]:
    return {"items": execution.list_models()}


@router.post("/prompts/execute")
async def execute(
    body: ExecuteInput,
    request: Request,
    core: CoreDep,
    _ctx: ExecuteCtx,
    project_id: ProjectDep,
    pool: RenderPoolDep,
) -> dict[str, Any]:
    """Render a stored prompt (or unsaved content) and run it on a model."""
    return await pool.run(
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
