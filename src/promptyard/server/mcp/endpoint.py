"""``/mcp``: the MCP server over streamable HTTP, in process, as the request's actor.

Every request (``POST`` messages, the ``GET`` notification stream, ``DELETE``) is
authenticated with the Bearer API key (or the console session) before the SDK sees it:
401 without credentials, 403 without ``prompt:read`` in the project, 404 for a project
the caller may not see. The project is ``?project=<slug>``; without it the key's own
project (a project-scoped key) or ``default``. The body is capped by the edge like a
render request (``PROMPTYARD_MAX_RENDER_REQUEST_BYTES``). An MCP session belongs to
the actor and project that opened it: the SDK answers another caller's request for it
as if it did not exist.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from contextlib import AsyncExitStack
from typing import Any

import anyio
from mcp.server import ServerRequestContext
from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser
from mcp.server.auth.provider import AccessToken
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from promptyard.domain import DEFAULT_SLUG
from promptyard.domain.actor import Actor
from promptyard.domain.errors import DomainError, NotFound
from promptyard.domain.schemas import SLUG_PATTERN
from promptyard.mcp import ChangeHub, build_server
from promptyard.mcp.changes import DEFAULT_INTERVAL
from promptyard.server import deps
from promptyard.server.errors import domain_error_response, error_response
from promptyard.server.mcp.notifier import StreamNotifier
from promptyard.server.mcp.source import ServiceSource
from promptyard.server.render_pool import RenderPool
from promptyard.services.context import Core
from promptyard.services.delivery.stream import ChangeHub as ChangeStream
from promptyard.services.identity.accounts import effective_role
from promptyard.services.identity.projects import resolve_project

PATH = "/mcp"
METHODS = ("GET", "POST", "DELETE")
PERMISSION = "prompt:read"
#: Where the mount leaves ``(actor, project id)`` for the handlers (``ctx.request.scope``).
SCOPE_KEY = "promptyard.mcp"
_SLUG = re.compile(SLUG_PATTERN)

log = logging.getLogger("promptyard.server.mcp")


class MCPEndpoint:
    """The ASGI app of ``/mcp``; :meth:`start` and :meth:`stop` in the app's lifespan."""

    def __init__(
        self,
        core: Core,
        pool: RenderPool,
        changes: ChangeStream | None = None,
        *,
        poll_seconds: float = DEFAULT_INTERVAL,
    ) -> None:
        self.core = core
        self.pool = pool
        # list_changed: pushed from the server's change stream when there is one, else
        # by comparing each watched project's prompt list every poll_seconds.
        self.notifier = StreamNotifier(changes) if changes is not None else None
        self.hub = ChangeHub(interval=poll_seconds)
        self.server = build_server(self._source_for, self.notifier or self.hub)
        self.manager: StreamableHTTPSessionManager | None = None
        self._stack: AsyncExitStack | None = None
        self._tasks: anyio.abc.TaskGroup | None = None

    def route(self) -> Route:
        """``GET|POST|DELETE /mcp``, listed in the permission table like any route."""
        return Route(PATH, self, methods=list(METHODS), include_in_schema=False)

    async def start(self) -> None:
        # A session manager runs once: a new one for each start (an app may be started
        # again, as tests do).
        self.manager = StreamableHTTPSessionManager(
            app=self.server, max_request_body_size=self.core.settings.max_render_request_bytes
        )
        stack = AsyncExitStack()
        await stack.enter_async_context(self.manager.run())
        self._tasks = await stack.enter_async_context(anyio.create_task_group())
        if self.notifier is not None:
            self.notifier.bind(self._tasks)
        else:
            self._tasks.start_soon(self.hub.run)
        self._stack = stack

    async def stop(self) -> None:
        stack, self._stack = self._stack, None
        if stack is None:
            return
        if self._tasks is not None:
            self._tasks.cancel_scope.cancel()
        await stack.aclose()
        if self.notifier is not None:
            self.notifier.reset()

    def _source_for(self, ctx: ServerRequestContext[Any, Any]) -> ServiceSource:
        request = ctx.request
        bound = request.scope.get(SCOPE_KEY) if isinstance(request, Request) else None
        if bound is None:  # cannot happen behind __call__; never serve without an actor
            raise RuntimeError("an MCP request reached the server without its actor")
        actor, project_id = bound
        return ServiceSource(self.core, actor, project_id, self.pool)

    def _resolve(self, actor: Actor, slug: str | None) -> tuple[Actor, int]:
        """The project's id and the actor narrowed to it; Forbidden without read."""
        if slug is None and actor.project_id is not None:
            project_id = actor.project_id
        else:
            project_id = resolve_project(self.core, actor, slug or DEFAULT_SLUG)
        role = effective_role(self.core, actor, project_id)
        if role != actor.role:
            actor = dataclasses.replace(actor, role=role)
        deps.check_workspace_permission(actor, PERMISSION)
        return actor, project_id

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope)
        slug = request.query_params.get("project")
        try:
            actor = await deps.authenticate(request)
            deps.check_workspace_permission(actor, PERMISSION)
            if slug is not None and not _SLUG.fullmatch(slug):
                raise NotFound(f"project {slug!r} not found")
            actor, project_id = await run_in_threadpool(self._resolve, actor, slug)
        except DomainError as exc:
            await domain_error_response(exc)(scope, receive, send)
            return
        if self._stack is None or self.manager is None:
            response = error_response(503, "not_ready", "the MCP endpoint is not running")
            await response(scope, receive, send)
            return
        scope[SCOPE_KEY] = (actor, project_id)
        # The SDK binds a session to the credential that opened it (client_id, subject).
        scope["user"] = AuthenticatedUser(
            AccessToken(
                token="-",
                client_id=f"{actor.type}:{actor.id}",
                scopes=[],
                subject=f"workspace:{actor.workspace_id}/project:{project_id}",
            )
        )
        await self.manager.handle_request(scope, receive, send)


__all__ = ["METHODS", "PATH", "MCPEndpoint"]
