"""The request edge: what a request with a body goes through before any route code runs.

:class:`EdgeMiddleware` (pure ASGI, before FastAPI reads anything):

1. finds the route that will answer (method and path template, from the app's routes);
2. for a route that needs credentials, resolves the caller from the ``Authorization``
   header or the session cookie (``deps.authenticate``, the same code the routes use,
   cheap for a cached API key) and checks the workspace role against the route's
   permission: without valid credentials the answer is 401 (403 without the role or a
   CSRF token) and the body is never read;
3. caps the body by route (:func:`body_limit`): a declared ``Content-Length`` over the cap
   is refused at once, a streamed body as soon as it grows past it, with 413 naming the
   limit and the setting that raises it.

:func:`json_body_guard` (an ``/api/v1`` dependency, so it runs after FastAPI parsed the
body and before it validates it): refuses JSON nested deeper than ``MAX_JSON_DEPTH``
(422 ``json_too_deep``) and anything no database can store, walking bodies larger than
:data:`OFFLOAD_JSON_BYTES` in a worker thread so the event loop keeps answering health
checks and reads. The request model then skips its own walk of that same object.

The parse itself stays FastAPI's: it is one call into C that holds the interpreter lock
for its whole length, so a worker thread would stall the event loop just the same (a
1 MB body of empty lists: ~65 ms of loop lag either way, against ~9 ms for a Python walk
of similar length in a thread). The body caps bound it instead.

A route with a credential scheme of its own (e.g. Langfuse basic auth) must be taught to
``deps.authenticate``, or be marked public in the permission table and check it itself.

Limits are documented in docs/security.md ("Request limits").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import anyio
from anyio.lowlevel import RunVar
from fastapi import FastAPI, Request
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from promptyard.config import Settings
from promptyard.domain.errors import DomainError, JsonTooDeep, ValidationFailed
from promptyard.domain.jsonvalues import MAX_JSON_DEPTH, mark_checked, too_deep_message
from promptyard.domain.schemas import NestedTooDeep, check_storable
from promptyard.server import deps
from promptyard.server.errors import domain_error_response, error_body
from promptyard.server.middleware import send_json
from promptyard.server.permissions import AUTHENTICATED, PUBLIC, ROUTE_PERMISSIONS

BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: The cap of every route not named below (labels, branches, sign-in, accounts, reviews,
#: webhooks): their bodies are a few fields, the longest a 20,000-character comment.
DEFAULT_BODY_BYTES = 256_000
#: JSON bodies larger than this are checked in a worker thread, not on the event loop.
OFFLOAD_JSON_BYTES = 64_000
#: At most this many such checks run at once, so they cannot crowd out other work.
OFFLOAD_THREADS = 2

_V1 = "/api/v1"
RENDER_ROUTES = frozenset(
    {
        ("POST", f"{_V1}/templates/render"),
        ("POST", f"{_V1}/templates/validate"),
        ("POST", f"{_V1}/prompts/execute"),
        ("POST", f"{_V1}/prompts/{{name}}/render"),
        ("POST", f"{_V1}/change-requests"),
        ("POST", "/mcp"),  # MCP messages: prompts/get carries render arguments
    }
)
PROMPT_ROUTES = frozenset(
    {
        ("POST", f"{_V1}/prompts"),
        ("PATCH", f"{_V1}/prompts/{{name}}"),
        ("POST", f"{_V1}/prompts/bulk"),
        ("POST", f"{_V1}/prompts/templates"),
        ("PUT", f"{_V1}/prompts/templates/{{prompt_id}}"),
        ("POST", "/api/public/v2/prompts"),
    }
)
INGEST_ROUTES = frozenset(
    {
        ("POST", f"{_V1}/generations/batch"),
        ("POST", "/v1/traces"),  # OTLP trace exports
        ("POST", "/api/public/otel/v1/traces"),
    }
)
BUNDLE_ROUTES = frozenset(
    {
        ("POST", f"{_V1}/projects/{{slug}}/import"),
        # datasets: file imports and cases in bulk (services/evaluation/datasets_io.py)
        ("POST", f"{_V1}/datasets"),
        ("POST", f"{_V1}/datasets/{{name}}/import"),
        ("POST", f"{_V1}/datasets/{{name}}/cases"),
    }
)


@dataclass(frozen=True)
class BodyLimit:
    max_bytes: int
    #: The environment variable that sets it (None: the fixed default).
    setting: str | None

    def message(self, method: str, path: str) -> str:
        where = f"the setting {self.setting}" if self.setting else "a fixed limit"
        return (
            f"the request body is larger than {self.max_bytes} bytes, the most "
            f"{method} {path} accepts ({where}; see 'Request limits' in docs/security.md)"
        )


def body_limit(settings: Settings, key: tuple[str, str] | None) -> BodyLimit:
    """The body cap of the route ``key`` (``(METHOD, path template)``; None: no route)."""
    if key in BUNDLE_ROUTES or key is None:
        return BodyLimit(settings.max_request_bytes, "PROMPTYARD_MAX_REQUEST_BYTES")
    if key in RENDER_ROUTES:
        wanted = BodyLimit(settings.max_render_request_bytes, "PROMPTYARD_MAX_RENDER_REQUEST_BYTES")
    elif key in INGEST_ROUTES:
        wanted = BodyLimit(settings.max_ingest_request_bytes, "PROMPTYARD_MAX_INGEST_REQUEST_BYTES")
    elif key in PROMPT_ROUTES:
        wanted = BodyLimit(settings.max_prompt_request_bytes, "PROMPTYARD_MAX_PROMPT_REQUEST_BYTES")
    else:
        wanted = BodyLimit(DEFAULT_BODY_BYTES, None)
    if wanted.max_bytes > settings.max_request_bytes:
        return BodyLimit(settings.max_request_bytes, "PROMPTYARD_MAX_REQUEST_BYTES")
    return wanted


class RouteTable:
    """``(METHOD, path template)`` of the route a request will reach, as the router finds it:
    the app's routes in its order (the API is added flat, see ``server.app.api_routes``),
    read once the app serves."""

    def __init__(self, app: FastAPI) -> None:
        self._app = app
        self._routes: list[tuple[frozenset[str], re.Pattern[str], str]] | None = None

    def _build(self) -> list[tuple[frozenset[str], re.Pattern[str], str]]:
        return [
            (frozenset(route.methods), route.path_regex, route.path_format)
            for route in self._app.routes
            if isinstance(route, Route) and route.methods
        ]

    def find(self, scope: Scope) -> tuple[str, str] | None:
        if self._routes is None:
            self._routes = self._build()  # every route exists once the app serves
        method: str = scope["method"]
        path: str = scope["path"]
        root = scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root) :]
        for methods, regex, template in self._routes:
            if method in methods and regex.match(path):
                return method, template
        return None


class EdgeMiddleware:
    """Authentication and per-route body caps before any body is read (see module doc)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        fastapi: FastAPI,
        settings: Settings,
    ) -> None:
        self.app = app
        self.settings = settings
        self.routes = RouteTable(fastapi)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in BODY_METHODS:
            await self.app(scope, receive, send)
            return
        key = self.routes.find(scope)
        if key is not None:
            refused = await self._authorize(scope, key)
            if refused is not None:
                await refused(scope, receive, send)
                return
        limit = body_limit(self.settings, key)
        for name, value in scope["headers"]:
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = 0
                if declared > limit.max_bytes:
                    await _refuse(send, scope, limit)
                    return
        # Read the (bounded) body first, so a streamed body that grows past the limit is
        # refused before any route sees it, then hand the app the same messages again.
        messages: list[Message] = []
        received = 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            received += len(message.get("body", b""))
            if received > limit.max_bytes:
                await _refuse(send, scope, limit)
                return
            if not message.get("more_body", False):
                break
        replay = iter(messages)

        async def replay_receive() -> Message:
            try:
                return next(replay)
            except StopIteration:
                return await receive()

        await self.app(scope, replay_receive, send)

    async def _authorize(self, scope: Scope, key: tuple[str, str]) -> Any:
        """None if the request may go on, else the error response to send instead."""
        permission = ROUTE_PERMISSIONS.get(key)
        if permission is None or permission == PUBLIC:
            return None  # a public route, or one the table misses: the route decides
        try:
            actor = await deps.authenticate(Request(scope))
            if permission != AUTHENTICATED:
                deps.check_workspace_permission(actor, permission)
        except DomainError as exc:
            return domain_error_response(exc)
        return None


async def _refuse(send: Send, scope: Scope, limit: BodyLimit) -> None:
    body = error_body(
        "payload_too_large",
        limit.message(scope["method"], scope["path"]),
        {"max_bytes": limit.max_bytes, "setting": limit.setting},
    )
    await send_json(send, 413, body)


# -- JSON bodies: depth and storability, off the event loop when large ----------------


_OFFLOAD_LIMITER: RunVar[anyio.CapacityLimiter] = RunVar("promptyard_json_offload")


def _offload_limiter() -> anyio.CapacityLimiter:
    try:
        return _OFFLOAD_LIMITER.get()
    except LookupError:
        limiter = anyio.CapacityLimiter(OFFLOAD_THREADS)
        _OFFLOAD_LIMITER.set(limiter)
        return limiter


def _is_json(content_type: str | None) -> bool:
    if not content_type:
        return False
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


def check_json_body(body: Any) -> None:
    """422 ``json_too_deep`` past :data:`MAX_JSON_DEPTH`; 422 for what cannot be stored."""
    try:
        check_storable(body)
    except NestedTooDeep:
        raise JsonTooDeep(too_deep_message(), details={"max_depth": MAX_JSON_DEPTH}) from None
    except ValueError as exc:
        # The same answer the request model would give, without walking the body twice.
        raise ValidationFailed(str(exc), details=[{"loc": [], "message": str(exc)}]) from None


async def json_body_guard(request: Request) -> None:
    """Check the JSON body FastAPI parsed for the route, before the route's model sees it."""
    route = request.scope.get("route")
    if getattr(route, "body_field", None) is None:
        return  # no body parameter: FastAPI did not parse the body
    if not _is_json(request.headers.get("content-type")):
        return
    raw = await request.body()
    if not raw:
        return
    body = await request.json()  # FastAPI's own parse, cached on the request
    if len(raw) > OFFLOAD_JSON_BYTES:
        await anyio.to_thread.run_sync(check_json_body, body, limiter=_offload_limiter())
    else:
        check_json_body(body)
    mark_checked(body)
