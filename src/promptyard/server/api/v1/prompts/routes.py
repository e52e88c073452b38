"""Prompt routes: thin shells over the prompts capability (registry, search, versions,
branches, rendering)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query, Request, Response
from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers

from promptyard.domain.errors import ValidationFailed
from promptyard.domain.schemas import (
    BRANCH_PATTERN,
    LABEL_PATTERN,
    MAX_OFFSET,
    MAX_VERSION,
    BranchCreate,
    BranchPublic,
    BulkAction,
    LabelMove,
    LabelPublic,
    ListQuery,
    MergeRequest,
    PromptCreate,
    PromptPublic,
    PromptsPublic,
    PromptUpdate,
    RenderRequest,
    RollbackRequest,
    VersionPublic,
    VersionsPublic,
)
from promptyard.server.api.v1.params import BranchName, LabelName, PromptName, VersionNumber
from promptyard.server.api.v1.prompts.reads import (
    assigned_label,
    cached_prompt,
    etag_matches,
    prompt_read_headers,
)
from promptyard.server.deps import CoreDep, LabelCtx, ProjectDep, ReadCtx, WriteCtx
from promptyard.server.render_pool import RenderPoolDep
from promptyard.services.prompts import branches, registry, rendering, search, versions

router = APIRouter(prefix="/prompts", tags=["prompts"])


def parse_if_match(value: str | None) -> int | None:
    if value is None:
        return None
    # "N", or a read's ETag "N-<digest>": the version number leads
    cleaned = value.strip().removeprefix("W/").strip('"').partition("-")[0]
    if not cleaned.isdigit() or not 1 <= int(cleaned) <= MAX_VERSION:
        raise ValidationFailed('If-Match must be a version number, e.g. If-Match: "3"')
    return int(cleaned)


def model_response(model: BaseModel, headers: dict[str, str] | None = None) -> Response:
    """A 200 with ``model``'s JSON, the bytes FastAPI would send for the route's
    ``response_model`` (which still documents the route), without validating again a
    model the service just built and without the thread hop FastAPI takes to do it."""
    return Response(content=model.model_dump_json(), media_type="application/json", headers=headers)


@router.get("", response_model=PromptsPublic)
def list_prompts(
    request: Request,
    core: CoreDep,
    _ctx: ReadCtx,
    project_id: ProjectDep,
    q: Annotated[str | None, Query(max_length=500)] = None,
    tag: Annotated[list[str] | None, Query()] = None,
    folder: Annotated[str | None, Query(max_length=512)] = None,
    label: Annotated[str | None, Query(pattern=LABEL_PATTERN)] = None,
    author: Annotated[str | None, Query(max_length=400)] = None,
    type: Annotated[Literal["text", "chat"] | None, Query()] = None,
    updated_after: datetime | None = None,
    updated_before: datetime | None = None,
    deleted: Literal["exclude", "include", "only"] = "exclude",
    sort: Literal[
        "name", "-name", "updated_at", "-updated_at", "created_at", "-created_at"
    ] = "-updated_at",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> PromptsPublic:
    """List and search prompts. Filter custom metadata with ``meta.<key>=<value>``."""
    metadata = {
        key[5:]: value for key, value in request.query_params.items() if key.startswith("meta.")
    }
    try:
        query = ListQuery(
            q=q,
            tags=tag or [],
            folder=folder,
            label=label,
            author=author,
            type=type,
            updated_after=updated_after,
            updated_before=updated_before,
            metadata=metadata,
            deleted=deleted,
            sort=sort,
            limit=limit,
            offset=offset,
        )
    except ValidationError as exc:
        raise ValidationFailed(str(exc.errors()[0]["msg"]).removeprefix("Value error, ")) from None
    return search.list_prompts(core, project_id=project_id, query=query)


@router.post("", status_code=201, response_model=PromptPublic)
def create_prompt(
    body: PromptCreate, core: CoreDep, ctx: WriteCtx, project_id: ProjectDep
) -> PromptPublic:
    return registry.create_prompt(core, ctx=ctx, project_id=project_id, data=body)


@router.post("/bulk")
def bulk(body: BulkAction, core: CoreDep, ctx: WriteCtx, project_id: ProjectDep) -> dict[str, int]:
    """Tag, untag, move, label, delete or restore many prompts at once: all or nothing."""
    return {"updated": registry.bulk(core, ctx=ctx, project_id=project_id, action=body)}


@router.get(
    "/{name}",
    response_class=Response,
    responses={200: {"model": PromptPublic, "description": "the prompt with one version"}},
)
async def get_prompt(
    name: PromptName,
    core: CoreDep,
    _ctx: ReadCtx,
    project_id: ProjectDep,
    version: Annotated[int | None, Query(ge=1, le=MAX_VERSION)] = None,
    label: Annotated[str | None, Query(pattern=LABEL_PATTERN)] = None,
    if_none_match: Annotated[str | None, Header()] = None,
    unit: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=200,
            description="a user or session id: when an experiment runs on this label, "
            "the unit's variant is served (headers X-Promptyard-Experiment and "
            "X-Promptyard-Variant name it)",
        ),
    ] = None,
) -> Response:
    """A prompt with ``?version=N`` or ``?label=L`` (default ``latest``). Served from cache.

    ``If-None-Match`` with the ETag of the answer (its version number and a digest of the
    answer) gets ``304``."""
    served: list[tuple[bytes, bytes]] = []
    if unit is not None and version is None and core.prompt_assigners:
        assigned = await run_in_threadpool(assigned_label, core, project_id, name, label, unit)
        if assigned is not None:
            label, served = assigned
    entry = cached_prompt(core, project_id, name, version, label)
    if entry is None:
        entry = await run_in_threadpool(
            registry.get_prompt_json,
            core,
            project_id=project_id,
            name=name,
            version=version,
            label=label,
        )
    raw_headers = prompt_read_headers(entry) + served
    headers = Headers(raw=raw_headers)
    if etag_matches(if_none_match, raw_headers[0][1]):
        return Response(status_code=304, headers=headers)
    return Response(content=entry.body, media_type="application/json", headers=headers)


@router.patch("/{name}", response_model=PromptPublic)
def update_prompt(
    name: PromptName,
    body: PromptUpdate,
    core: CoreDep,
    ctx: WriteCtx,
    project_id: ProjectDep,
    if_match: Annotated[str | None, Header()] = None,
) -> Response:
    """Change a prompt. Content, config or type changes make a new version."""
    result = registry.update_prompt(
        core,
        ctx=ctx,
        project_id=project_id,
        name=name,
        data=body,
        if_match=parse_if_match(if_match),
    )
    etag = None if result.version is None else {"ETag": f'"{result.version.number}"'}
    return model_response(result, etag)


@router.delete("/{name}", status_code=204)
def delete_prompt(name: PromptName, core: CoreDep, ctx: WriteCtx, project_id: ProjectDep) -> None:
    registry.delete_prompt(core, ctx=ctx, project_id=project_id, name=name)


@router.post("/{name}/restore", response_model=PromptPublic)
def restore_prompt(
    name: PromptName, core: CoreDep, ctx: WriteCtx, project_id: ProjectDep
) -> PromptPublic:
    return registry.restore_prompt(core, ctx=ctx, project_id=project_id, name=name)


@router.get("/{name}/versions", response_model=VersionsPublic)
def list_versions(
    name: PromptName,
    core: CoreDep,
    _ctx: ReadCtx,
    project_id: ProjectDep,
    branch: Annotated[str | None, Query(pattern=BRANCH_PATTERN)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> VersionsPublic:
    return versions.list_versions(
        core, project_id=project_id, name=name, branch=branch, limit=limit, offset=offset
    )


@router.get("/{name}/versions/{number}", response_model=VersionPublic)
def get_version(
    name: PromptName,
    number: VersionNumber,
    core: CoreDep,
    _ctx: ReadCtx,
    project_id: ProjectDep,
) -> VersionPublic:
    return versions.get_version(core, project_id=project_id, name=name, number=number)


@router.get("/{name}/diff")
def diff(
    name: PromptName,
    core: CoreDep,
    _ctx: ReadCtx,
    project_id: ProjectDep,
    from_: Annotated[int, Query(alias="from", ge=1, le=MAX_VERSION)],
    to: Annotated[int, Query(ge=1, le=MAX_VERSION)],
) -> dict[str, Any]:
    """Word-level spans, unified text, per-message and config changes between two versions."""
    return versions.diff(core, project_id=project_id, name=name, old=from_, new=to)


@router.post("/{name}/rollback", response_model=PromptPublic)
def rollback(
    name: PromptName, body: RollbackRequest, core: CoreDep, ctx: WriteCtx, project_id: ProjectDep
) -> PromptPublic:
    return versions.rollback(core, ctx=ctx, project_id=project_id, name=name, data=body)


@router.get("/{name}/labels")
def list_labels(
    name: PromptName, core: CoreDep, _ctx: ReadCtx, project_id: ProjectDep
) -> dict[str, list[LabelPublic]]:
    return {"items": versions.list_labels(core, project_id=project_id, name=name)}


@router.put("/{name}/labels/{label}", response_model=LabelPublic)
def set_label(
    name: PromptName,
    label: LabelName,
    body: LabelMove,
    core: CoreDep,
    ctx: LabelCtx,
    project_id: ProjectDep,
) -> Response:
    return model_response(
        versions.set_label(
            core, ctx=ctx, project_id=project_id, name=name, label=label, version=body.version
        )
    )


@router.delete("/{name}/labels/{label}", status_code=204)
def delete_label(
    name: PromptName, label: LabelName, core: CoreDep, ctx: LabelCtx, project_id: ProjectDep
) -> None:
    versions.delete_label(core, ctx=ctx, project_id=project_id, name=name, label=label)


@router.get("/{name}/label-events")
def label_events(
    name: PromptName,
    core: CoreDep,
    _ctx: ReadCtx,
    project_id: ProjectDep,
    label: Annotated[str | None, Query(pattern=LABEL_PATTERN)] = None,
) -> dict[str, Any]:
    return {"items": versions.label_events(core, project_id=project_id, name=name, label=label)}


@router.get("/{name}/branches")
def list_branches(
    name: PromptName, core: CoreDep, _ctx: ReadCtx, project_id: ProjectDep
) -> dict[str, list[BranchPublic]]:
    return {"items": branches.list_branches(core, project_id=project_id, name=name)}


@router.post("/{name}/branches", status_code=201, response_model=BranchPublic)
def create_branch(
    name: PromptName, body: BranchCreate, core: CoreDep, ctx: WriteCtx, project_id: ProjectDep
) -> BranchPublic:
    return branches.create_branch(core, ctx=ctx, project_id=project_id, name=name, data=body)


@router.post("/{name}/branches/{branch}/merge", response_model=PromptPublic)
def merge_branch(
    name: PromptName,
    branch: BranchName,
    body: MergeRequest,
    core: CoreDep,
    ctx: WriteCtx,
    project_id: ProjectDep,
) -> PromptPublic:
    return branches.merge_branch(
        core, ctx=ctx, project_id=project_id, name=name, branch=branch, data=body
    )


@router.delete("/{name}/branches/{branch}", status_code=204)
def delete_branch(
    name: PromptName, branch: BranchName, core: CoreDep, ctx: WriteCtx, project_id: ProjectDep
) -> None:
    branches.delete_branch(core, ctx=ctx, project_id=project_id, name=name, branch=branch)


@router.post("/{name}/render")
async def render(
    name: PromptName,
    body: RenderRequest,
    request: Request,
    core: CoreDep,
    _ctx: ReadCtx,
    project_id: ProjectDep,
    pool: RenderPoolDep,
) -> dict[str, Any]:
    """Render a prompt version; runs in the render pool (503 ``overloaded`` when it is full)."""
    return await pool.run(
        request,
        rendering.render_prompt,
        core,
        project_id=project_id,
        name=name,
        variables=body.variables,
        version=body.version,
        label=body.label,
    )
