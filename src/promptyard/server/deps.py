"""Request dependencies: the core, who is calling, with what permission, in which project."""

from __future__ import annotations

import dataclasses
import functools
import hmac
import importlib
import re
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Query, Request
from starlette.concurrency import run_in_threadpool

from promptyard.domain.actor import INSTANCE_PERMISSIONS, Actor, RequestContext
from promptyard.domain.errors import Forbidden, Unauthenticated
from promptyard.domain.schemas import SLUG_PATTERN
from promptyard.server.permissions import (
    AUTHENTICATED,
    PUBLIC,
    declared_permission,
    is_known,
)
from promptyard.services.context import Core
from promptyard.services.identity import auth
from promptyard.services.identity.projects import DEFAULT_SLUG, resolve_project

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
    """The caller: a Bearer API key, or a console session (with its CSRF check).

    Also enforces the route's entry in :data:`ROUTE_PERMISSIONS`, so a route that takes
    only the actor still gets the permission the table declares for it.
    """
    actor = await authenticate(request)
    declared = declared_permission(request.scope)
    if declared is not None and declared not in (PUBLIC, AUTHENTICATED):
        await authorize(request, actor, declared)
    return actor


#: Where the actor of a request is kept once resolved (server/edge.py resolves it for
#: requests with a body, before reading the body; the route's dependencies reuse it).
ACTOR_SCOPE_KEY = "promptyard.actor"


async def authenticate(request: Request) -> Actor:
    """The caller's actor, resolved once per request; :class:`Unauthenticated` if none."""
    cached = request.scope.get(ACTOR_SCOPE_KEY)
    if isinstance(cached, Actor):
        return cached
    actor = await _authenticate(request)
    request.scope[ACTOR_SCOPE_KEY] = actor
    return actor


async def _authenticate(request: Request) -> Actor:
    core = _core(request)
    header = request.headers.get("authorization")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated("use 'Authorization: Bearer <api key>'")
        token = token.strip()
        cached = core.actors.get(auth.hash_secret(token))
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


def _forbidden(actor: Actor, permission: str) -> Forbidden:
    if permission in INSTANCE_PERMISSIONS:
        message = (
            f"only an instance administrator may do this ({permission}); a workspace admin "
            "manages memberships, and each person changes their own password"
        )
    else:
        message = f"your role '{actor.role}' does not allow {permission}"
    return Forbidden(
        message,
        details={"permission": permission, "role": actor.role},
    )


def check_workspace_permission(actor: Actor, permission: str) -> None:
    """:class:`Forbidden` unless the actor's workspace role holds ``permission``.

    Necessary for every route (a project membership only narrows the workspace role), so
    the edge checks it before reading a body; :func:`authorize` checks the rest.
    """
    if not actor.can(permission):
        raise _forbidden(actor, permission)


@functools.cache
def _effective_role_function() -> Callable[[Core, Actor, int], str] | None:
    """``services.accounts.effective_role`` once that module exists, else ``None``."""
    try:
        module = importlib.import_module("promptyard.services.identity.accounts")
    except ModuleNotFoundError as exc:
        if exc.name != "promptyard.services.identity.accounts":
            raise
        return None
    function = getattr(module, "effective_role", None)
    return function if callable(function) else None


def _uses_project(route: object) -> bool:
    """Whether a route takes the ``project`` query parameter (through :data:`ProjectDep`)."""
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return False
    cached = _USES_PROJECT.get(id(dependant))
    if cached is None:
        stack = list(dependant.dependencies)
        cached = False
        while stack:
            sub = stack.pop()
            if sub.call is project_id:
                cached = True
                break
            stack.extend(sub.dependencies)
        _USES_PROJECT[id(dependant)] = cached
    return cached


_USES_PROJECT: dict[int, bool] = {}
_SLUG = re.compile(SLUG_PATTERN)


def _project_slug(request: Request) -> str | None:
    """The project a request is about: the ``{slug}`` path parameter or ``?project=``."""
    slug = request.path_params.get("slug") or request.query_params.get("project")
    if slug is None and _uses_project(request.scope.get("route")):
        slug = DEFAULT_SLUG
    if slug is None or not _SLUG.fullmatch(slug):
        return None  # no project, or an invalid one the route itself rejects with 422
    return str(slug)


async def _effective_actor(request: Request, actor: Actor) -> Actor:
    """The actor with its role narrowed to the request's project, when accounts can."""
    cached = request.scope.get("promptyard.effective_actor")
    if isinstance(cached, Actor):
        return cached
    effective = actor
    narrow = _effective_role_function()
    slug = _project_slug(request) if narrow is not None else None
    if narrow is not None and slug is not None:
        core = _core(request)

        def lookup() -> str:
            assert narrow is not None and slug is not None
            return narrow(core, actor, resolve_project(core, actor, slug))

        role = await run_in_threadpool(lookup)
        if role != actor.role:
            effective = dataclasses.replace(actor, role=role)
    request.scope["promptyard.effective_actor"] = effective
    return effective


async def authorize(request: Request, actor: Actor, permission: str) -> Actor:
    """The (project-narrowed) actor, if it holds ``permission``; else :class:`Forbidden`.

    The route's entry in :data:`ROUTE_PERMISSIONS` is checked as well, so a route whose
    ``require`` drifted from the table is held to both.
    """
    needed = [permission]
    declared = declared_permission(request.scope)
    if declared is not None and declared not in (PUBLIC, AUTHENTICATED, permission):
        needed.append(declared)
    for name in needed:  # the workspace role first: a project only narrows it
        if not actor.can(name):
            raise _forbidden(actor, name)
    effective = await _effective_actor(request, actor)
    for name in needed:
        if not effective.can(name):
            raise _forbidden(effective, name)
    return effective


def require(permission: str) -> Callable[..., Awaitable[RequestContext]]:
    """Dependency: the request context, if the caller holds ``permission``.

    The actor in the context carries the role narrowed to the request's project.
    """
    if not is_known(permission):
        raise ValueError(f"unknown permission {permission!r}")

    async def dependency(request: Request, actor: ActorDep) -> RequestContext:
        effective = await authorize(request, actor, permission)
        client = request.client
        return RequestContext(
            actor=effective,
            request_id=request.scope.get("promptyard.request_id"),
            ip=client.host if client else None,
        )

    dependency.__name__ = f"require_{permission.replace(':', '_')}"
    # Recorded so the docs test and the accounts release can list every route's permission.
    dependency.permission = permission  # type: ignore[attr-defined]
    return dependency


ProjectSlug = Annotated[
    str,
    Query(alias="project", pattern=SLUG_PATTERN, description="project slug", examples=["default"]),
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
