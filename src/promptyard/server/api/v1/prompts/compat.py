"""The original specification's routes: prompts addressed by numeric id.

``/api/v1/prompts/templates`` lists and creates, ``PUT /prompts/templates/{id}`` updates,
``GET /prompts/templates/{id}/versions`` lists versions. They call the same services as
the name-based routes.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query

from promptyard.domain.schemas import (
    MAX_OFFSET,
    ListQuery,
    PromptCreate,
    PromptPublic,
    PromptsPublic,
    PromptUpdate,
    VersionsPublic,
)
from promptyard.server.api.v1.params import ObjectId
from promptyard.server.api.v1.prompts.routes import parse_if_match
from promptyard.server.deps import CoreDep, ProjectDep, ReadCtx, WriteCtx
from promptyard.services.prompts import registry, search, versions

router = APIRouter(prefix="/prompts/templates", tags=["templates (original routes)"])
PromptId = ObjectId


@router.get("", response_model=PromptsPublic)
def list_templates(
    core: CoreDep,
    _ctx: ReadCtx,
    project_id: ProjectDep,
    q: Annotated[str | None, Query(max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> PromptsPublic:
    query = ListQuery(q=q, limit=limit, offset=offset)
    return search.list_prompts(core, project_id=project_id, query=query)


@router.post("", status_code=201, response_model=PromptPublic)
def create_template(
    body: PromptCreate, core: CoreDep, ctx: WriteCtx, project_id: ProjectDep
) -> PromptPublic:
    return registry.create_prompt(core, ctx=ctx, project_id=project_id, data=body)


@router.put("/{prompt_id}", response_model=PromptPublic)
def update_template(
    prompt_id: PromptId,
    body: PromptUpdate,
    core: CoreDep,
    ctx: WriteCtx,
    if_match: Annotated[str | None, Header()] = None,
) -> PromptPublic:
    project_id, name = registry.get_prompt_by_id(
        core, workspace_id=ctx.actor.workspace_id, prompt_id=prompt_id
    )
    return registry.update_prompt(
        core,
        ctx=ctx,
        project_id=project_id,
        name=name,
        data=body,
        if_match=parse_if_match(if_match),
    )


@router.get("/{prompt_id}/versions", response_model=VersionsPublic)
def template_versions(prompt_id: PromptId, core: CoreDep, ctx: ReadCtx) -> VersionsPublic:
    project_id, name = registry.get_prompt_by_id(
        core, workspace_id=ctx.actor.workspace_id, prompt_id=prompt_id
    )
    return versions.list_versions(core, project_id=project_id, name=name)
