"""Request dependencies: the core, who is calling, with what permission, in which project."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Query, Request
from starlette.concurrency import run_in_threadpool

from promptyard.domain.actor import Actor, RequestContext
from promptyard.domain.errors import Forbidden, Unauthenticated
from promptyard.services import auth
from promptyard.services.core import Core
from promptyard.services.projects import resolve_project

SESSION_COOKIE = "promptyard_session"
CSRF_COOKIE = "promptyard_csrf"
CSRF_HEADER = "x-csrf-token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


async def get_core(request: Request) -> Core:
    # async on purpose: FastAPI runs plain-def dependencies in its thread pool.
    return _core(request)


def _core(request: Request) -> Core:
    core: Core = request.app.state.core
    return core


CoreDep = Annotated[Core, Depends(get_core)]


async def current_actor(request: Request) -> Actor:
    """The caller: a Bearer API key, or a console session (with its CSRF check)."""
    core = _core(request)
    header = request.headers.get("authorization")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated("use 'Authorization: Bearer <api key>'")
        token = token.strip()
        cached = core.actors.get(hashlib.sha256(token.encode()).hexdigest())
        if isinstance(cached, Actor):
            return cached
        return await run_in_threadpool(auth.authenticate_api_key, core, token)
    session_token = request.cookies.get(SESSION_COOKIE)
    if session_token:
        actor, csrf = await run_in_threadpool(auth.authenticate_session, core, session_token)
        if request.method in UNSAFE_METHODS:
            sent = request.headers.get(CSRF_HEADER, "")
            if not sent or not hmac.compare_digest(sent, csrf):
                raise Forbidden(
                    "missing or wrong CSRF token: send the promptyard_csrf cookie's value in "
                    "the X-CSRF-Token header",
                    code="csrf_failed",
                )
        return actor
    raise Unauthenticated("sign in, or send 'Authorization: Bearer <api key>'")


ActorDep = Annotated[Actor, Depends(current_actor)]


def require(permission: str) -> Callable[..., Awaitable[RequestContext]]:
    """Dependency: the request context, if the caller holds ``permission``."""

    async def dependency(request: Request, actor: ActorDep) -> RequestContext:
        if not actor.can(permission):
            raise Forbidden(
                f"your role '{actor.role}' does not allow {permission}",
                details={"permission": permission, "role": actor.role},
            )
        client = request.client
        return RequestContext(
            actor=actor,
            request_id=request.scope.get("promptyard.request_id"),
            ip=client.host if client else None,
        )

    dependency.__name__ = f"require_{permission.replace(':', '_')}"
    # Recorded so the docs test and the accounts release can list every route's permission.
    dependency.permission = permission  # type: ignore[attr-defined]
    return dependency


ProjectSlug = Annotated[
    str, Query(alias="project", pattern=r"^[a-z0-9][a-z0-9-]{0,63}$", description="project slug")
]


async def project_id(request: Request, actor: ActorDep, project: ProjectSlug = "default") -> int:
    core = _core(request)
    cached = core.actors.get(("project", actor.workspace_id, project))
    if cached is not None and actor.project_id in (None, cached):
        return int(cached)
    return await run_in_threadpool(resolve_project, core, actor, project)


ProjectDep = Annotated[int, Depends(project_id)]
ReadCtx = Annotated[RequestContext, Depends(require("prompt:read"))]
WriteCtx = Annotated[RequestContext, Depends(require("prompt:write"))]
LabelCtx = Annotated[RequestContext, Depends(require("prompt:label"))]
ExecuteCtx = Annotated[RequestContext, Depends(require("prompt:execute"))]
