"""Langfuse's prompt API, ``/api/public/v2/prompts``: thin routes over
:mod:`promptyard.services.delivery.langfuse`.

Callers authenticate with a key pair (``Authorization: Basic base64(public:secret)``, as
Langfuse's SDKs send it) or a Bearer API key. The project is the key's own when it is
bound to one; otherwise ``?project=`` (default ``default``). Names may contain ``/``
(Langfuse's folders), which the SDKs send as ``%2F`` and the server sees decoded: the
name is a ``{name:path}`` parameter, and ``.../versions/{version}`` (PATCH only) takes the
last two segments. Errors are in Langfuse's shape (``dialect.py``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, ConfigDict
from starlette.concurrency import run_in_threadpool

from promptyard.domain import DEFAULT_SLUG
from promptyard.domain.actor import RequestContext
from promptyard.domain.errors import Forbidden
from promptyard.domain.schemas import LATEST_LABEL, MAX_VERSION, SLUG_PATTERN
from promptyard.server.deps import ActorDep, CoreDep, check_workspace_permission, project_id
from promptyard.server.permissions import is_known
from promptyard.services.delivery import langfuse
from promptyard.services.identity.accounts import effective_role

router = APIRouter(prefix="/v2/prompts", tags=["langfuse"])


async def public_project(
    request: Request,
    actor: ActorDep,
    project: Annotated[
        str | None,
        Query(
            alias="project",
            pattern=SLUG_PATTERN,
            description="project slug (default: the key's project, else 'default')",
        ),
    ] = None,
) -> int:
    """The key's own project, else ``?project=`` (default ``default``)."""
    if project is None and actor.project_id is not None:
        return actor.project_id
    return await project_id(request, project or DEFAULT_SLUG)


@dataclasses.dataclass(frozen=True)
class PublicContext:
    ctx: RequestContext
    project_id: int


def require_in_project(permission: str) -> Callable[..., Awaitable[PublicContext]]:
    """Dependency: the context and project, if the caller holds ``permission`` there
    (the role narrowed to that project, as ``deps.require`` does for ``?project=``)."""
    if not is_known(permission):
        raise ValueError(f"unknown permission {permission!r}")

    async def dependency(
        request: Request, core: CoreDep, actor: ActorDep, project: PublicProjectDep
    ) -> PublicContext:
        effective = actor
        if actor.type == "user":
            role = await run_in_threadpool(effective_role, core, actor, project)
            effective = dataclasses.replace(actor, role=role)
        check_workspace_permission(effective, permission)
        client = request.client
        ctx = RequestContext(
            actor=effective,
            request_id=request.scope.get("promptyard.request_id"),
            ip=client.host if client else None,
        )
        return PublicContext(ctx=ctx, project_id=project)

    dependency.__name__ = f"require_{permission.replace(':', '_')}_in_project"
    dependency.permission = permission  # type: ignore[attr-defined]
    return dependency


PublicProjectDep = Annotated[int, Depends(public_project)]
ReadIn = Annotated[PublicContext, Depends(require_in_project("prompt:read"))]
WriteIn = Annotated[PublicContext, Depends(require_in_project("prompt:write"))]
LabelIn = Annotated[PublicContext, Depends(require_in_project("prompt:label"))]
PromptPath = Annotated[
    str,
    Path(
        min_length=1,
        max_length=255,
        description="the prompt's name, with its folders ('support/triage'; %2F works too)",
        examples=["greeting"],
    ),
]


class LangfusePrompt(BaseModel):
    """A prompt version, as Langfuse's API returns it."""

    model_config = ConfigDict(extra="allow")
    name: str
    version: int
    type: Literal["text", "chat"]
    prompt: str | list[dict[str, Any]]
    config: Any
    labels: list[str]
    tags: list[str]
    commitMessage: str | None = None
    createdAt: datetime
    updatedAt: datetime
    createdBy: str
    projectId: str
    isActive: bool
    resolutionGraph: dict[str, Any] | None = None


class LangfusePromptMeta(BaseModel):
    name: str
    type: Literal["text", "chat"]
    versions: list[int]
    labels: list[str]
    tags: list[str]
    lastUpdatedAt: datetime
    lastConfig: Any


class LangfuseMeta(BaseModel):
    page: int
    limit: int
    totalItems: int
    totalPages: int


class LangfusePromptList(BaseModel):
    data: list[LangfusePromptMeta]
    meta: LangfuseMeta
    pagination: LangfuseMeta


@router.get("", response_model=LangfusePromptList)
def list_prompts(
    core: CoreDep,
    scope: ReadIn,
    name: Annotated[str | None, Query(min_length=1, max_length=255)] = None,
    label: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    tag: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    page: Annotated[int, Query(ge=1, le=langfuse.MAX_PAGE)] = 1,
    limit: Annotated[int, Query(ge=1, le=langfuse.MAX_LIMIT)] = 10,
    fromUpdatedAt: datetime | None = None,
    toUpdatedAt: datetime | None = None,
) -> dict[str, Any]:
    """Prompts, one entry per name, sorted by name (filters ``name``, ``label``, ``tag``)."""
    return langfuse.list_prompts(
        core,
        project_id=scope.project_id,
        name=name,
        label=label,
        tag=tag,
        page=page,
        limit=limit,
        from_updated_at=fromUpdatedAt,
        to_updated_at=toUpdatedAt,
    )


@router.post("", status_code=201, response_model=LangfusePrompt)
def create_prompt(
    body: langfuse.LangfusePromptCreate, core: CoreDep, scope: WriteIn
) -> dict[str, Any]:
    """A new version of a prompt (a new prompt if the name is new), with its labels."""
    actor = scope.ctx.actor
    if any(label != LATEST_LABEL for label in body.labels) and not actor.can("prompt:label"):
        raise Forbidden(
            f"your role '{actor.role}' does not allow prompt:label (the request sets labels)",
            details={"permission": "prompt:label", "role": actor.role},
        )
    return langfuse.create_prompt(core, ctx=scope.ctx, project_id=scope.project_id, data=body)


@router.get("/{name:path}", response_model=LangfusePrompt)
def get_prompt(
    name: PromptPath,
    core: CoreDep,
    scope: ReadIn,
    version: Annotated[int | None, Query(ge=1, le=MAX_VERSION)] = None,
    label: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    resolve: bool = True,  # accepted for Langfuse's SDKs; nothing to resolve differently
) -> dict[str, Any]:
    """One version, by ``version`` or ``label`` (default ``production``)."""
    return langfuse.get_prompt(
        core, project_id=scope.project_id, name=name, version=version, label=label
    )


@router.patch("/{name:path}/versions/{version}", response_model=LangfusePrompt)
def update_labels(
    name: PromptPath,
    version: Annotated[int, Path(ge=1, le=MAX_VERSION, examples=[1])],
    body: langfuse.LangfuseLabelsUpdate,
    core: CoreDep,
    scope: LabelIn,
) -> dict[str, Any]:
    """Add labels to a version (each moves off the version it was on; ``latest`` is the
    server's)."""
    return langfuse.update_labels(
        core,
        ctx=scope.ctx,
        project_id=scope.project_id,
        name=name,
        version=version,
        new_labels=body.newLabels,
    )
