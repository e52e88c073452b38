"""Request dependencies: the core, who is calling, with what permission, in which project."""

from __future__ import annotations

import base64
import dataclasses
import hmac
import re
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from promptyard.domain import DEFAULT_SLUG
from promptyard.domain.actor import INSTANCE_PERMISSIONS, Actor, RequestContext
from promptyard.domain.errors import Forbidden, Unauthenticated
from promptyard.domain.schemas import SLUG_PATTERN
from promptyard.server.api.v1.params import ProjectSlugQuery
from promptyard.server.permissions import (
    AUTHENTICATED,
    PUBLIC,
    declared_permission,
    is_known,
)
from promptyard.services.context import Core
from promptyard.services.identity import auth
from promptyard.services.identity.accounts import effective_role
from promptyard.services.identity.projects import cached_project_id, resolve_project

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
    only the actor still gets the permission the table declares for it. Resolved once per
    request: :func:`require` and :func:`project_id` call it themselves rather than through
    a sub-dependency (FastAPI solves a sub-dependency's own parameters on every use, even
    when its value is cached).
    """
    checked = request.scope.get(CHECKED_ACTOR_SCOPE_KEY)
    if isinstance(checked, Actor):
        return checked
    actor = await authenticate(request)
    declared = declared_permission(request.scope)
    if declared is not None and declared not in (PUBLIC, AUTHENTICATED):
        await authorize(request, actor, declared)
    request.scope[CHECKED_ACTOR_SCOPE_KEY] = actor
    return actor


#: Where :func:`current_actor` keeps the actor once the route's declared permission held.
CHECKED_ACTOR_SCOPE_KEY = "promptyard.checked_actor"


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


def bearer_token(authorization: str) -> str | None:
    """The API key of an ``Authorization: Bearer <key>`` header's value; ``None`` for
    another scheme or an empty key. The routes and the read fast path both parse it here."""
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    if not token or scheme.lower() != "bearer":
        return None
    return token


def basic_key_pair(authorization: str) -> tuple[str, str] | None:
    """``(public key, secret key)`` of an ``Authorization: Basic base64(public:secret)``
    header's value (Langfuse's SDKs send their key pair so); ``None`` for anything else."""
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return None
    public_key, _, secret = decoded.partition(":")
    if not public_key or not secret:
        return None
    return public_key, secret


async def _authenticate(request: Request) -> Actor:
    core = _core(request)
    header = request.headers.get("authorization")
    if header:
        token = bearer_token(header)
        if token is None:
            pair = basic_key_pair(header)
            if pair is None:
                raise Unauthenticated(
                    "use 'Authorization: Bearer <api key>' (or Basic with a key pair, "
                    "public:secret)"
                )
            paired = auth.cached_key_pair(core, *pair)
            if paired is not None:
                return paired
            return await run_in_threadpool(auth.authenticate_key_pair, core, *pair)
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


def _project_role(core: Core, actor: Actor, slug: str) -> str:
    return effective_role(core, actor, resolve_project(core, actor, slug))


def _cached_project_role(core: Core, actor: Actor, slug: str) -> str | None:
    """:func:`_project_role` without I/O (for the event loop), or None when it needs the
    database: a key's role is its own (``effective_role``), so a cached project id is all
    it takes; a user's membership is always read."""
    if actor.type == "user" or cached_project_id(core, actor, slug) is None:
        return None
    return actor.role


async def _effective_actor(request: Request, actor: Actor) -> Actor:
    """The actor with its role narrowed to the request's project."""
    cached = request.scope.get("promptyard.effective_actor")
    if isinstance(cached, Actor):
        return cached
    effective = actor
    slug = _project_slug(request)
    if slug is not None:
        role = _cached_project_role(_core(request), actor, slug)
        if role is None:
            role = await run_in_threadpool(_project_role, _core(request), actor, slug)
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

    async def dependency(request: Request) -> RequestContext:
        effective = await authorize(request, await current_actor(request), permission)
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


async def project_id(request: Request, project: ProjectSlugQuery = DEFAULT_SLUG) -> int:
    actor = await current_actor(request)
    core = _core(request)
    cached = cached_project_id(core, actor, project)
    if cached is not None:
        return cached
    return await run_in_threadpool(resolve_project, core, actor, project)


ProjectDep = Annotated[int, Depends(project_id)]
ReadCtx = Annotated[RequestContext, Depends(require("prompt:read"))]
WriteCtx = Annotated[RequestContext, Depends(require("prompt:write"))]
LabelCtx = Annotated[RequestContext, Depends(require("prompt:label"))]
ExecuteCtx = Annotated[RequestContext, Depends(require("prompt:execute"))]
