"""Pure ASGI middleware (no BaseHTTPMiddleware: it costs time on every request)."""

from __future__ import annotations

import logging
import re
import secrets
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from promptyard.domain import DEFAULT_SLUG
from promptyard.domain.schemas import LABEL_PATTERN, NAME_PATTERN, SLUG_PATTERN
from promptyard.server.api.v1.prompts.reads import (
    cached_prompt,
    etag_matches,
    prompt_read_headers,
)
from promptyard.server.deps import bearer_token
from promptyard.server.errors import error_body, internal_error_response
from promptyard.services.identity.auth import hash_secret
from promptyard.services.identity.projects import cached_project_id
from promptyard.services.prompts.registry import PromptJson

log = logging.getLogger("promptyard.server")


async def send_json(
    send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    """Answer with a JSON body straight from ASGI, without a route."""
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *(headers or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class RequestIdMiddleware:
    """Give every request an id (or keep the caller's ``X-Request-ID``) and echo it back."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = None
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                request_id = value.decode("latin-1")[:64]
                break
        request_id = request_id or secrets.token_hex(8)
        scope["promptyard.request_id"] = request_id
        raw_id = request_id.encode("latin-1")

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", raw_id))
                message["headers"] = headers
            await send(message)

        if "\x00" in scope["path"] or b"%00" in scope["query_string"].lower():
            # No database can store or compare text with NUL in it: refuse it at the door
            # for every route, rather than filter by filter.
            message = "the URL contains a NUL character (%00), which is not allowed"
            await send_json(send_with_id, 400, error_body("bad_request", message))
            return
        await self.app(scope, receive, send_with_id)


class UnhandledErrorMiddleware:
    """Answer an unexpected exception with the JSON 500, and keep the connection open.

    Starlette's outermost error middleware sends the 500 and then re-raises, and the
    server closes a kept-alive connection over an exception it sees. Caught here, inside
    it, the exception is logged once and the client's connection stays usable. An
    exception after the answer started cannot be answered and still goes up.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception:
            if started:
                raise
            log.exception("unexpected error on %s %s", scope["method"], scope["path"])
            response = internal_error_response(scope.get("promptyard.request_id"))
            await response(scope, receive, send)


class PromptReadFastPath:
    """Answer cache hits of ``GET /api/v1/prompts/{name}`` before FastAPI's machinery.

    Agents fetch prompts by name and label far more often than anything else. When the
    Bearer key's actor, the project and the serialized prompt are all in the caches the
    regular route fills (``core.actors``, ``core.cache``), this answers at once with the
    same bytes and the same permission check. Anything else (a miss, another parameter,
    a cookie session, bad input) goes to the regular route, which is the one place that
    reads the database, validates and reports errors. The Bearer parsing, the project
    lookup, the cache lookup and the headers are the route's own functions.
    """

    def __init__(self, app: ASGIApp, core: Any) -> None:
        self.app = app
        self.core = core

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            hit = self._hit(scope)
            if hit is not None:
                scope["promptyard.fast_path"] = True  # counted by server/metrics.py
                headers = prompt_read_headers(hit)
                if etag_matches(_header(scope, b"if-none-match"), headers[0][1]):
                    await send({"type": "http.response.start", "status": 304, "headers": headers})
                    await send({"type": "http.response.body", "body": b""})
                    return
                await send_json(send, 200, hit.body, headers)
                return
        await self.app(scope, receive, send)

    def _hit(self, scope: Scope) -> PromptJson | None:
        path: str = scope["path"]
        if not path.startswith(_PREFIX):
            return None
        name = path[len(_PREFIX) :]
        if not _NAME.fullmatch(name) or name == "changes":  # the change stream's route
            return None
        token = None
        for header, value in scope["headers"]:
            if header == b"authorization":
                token = bearer_token(value.decode("latin-1"))
                break
        if token is None:
            return None
        actor = self.core.actors.get(hash_secret(token))
        if actor is None or not actor.can("prompt:read"):
            return None
        version: int | None = None
        label: str | None = None
        project = DEFAULT_SLUG
        for key, value in parse_qsl(scope["query_string"].decode("latin-1")):
            if key == "version" and value.isdigit() and version is None and int(value) >= 1:
                version = int(value)
            elif key == "label" and _LABEL.fullmatch(value) and label is None:
                label = value
            elif key == "project" and _SLUG.fullmatch(value):
                project = value
            else:
                return None
        project_id = cached_project_id(self.core, actor, project)
        if project_id is None:
            return None
        return cached_prompt(self.core, project_id, name, version, label)


_PREFIX = "/api/v1/prompts/"
_NAME = re.compile(NAME_PATTERN.strip("^$"))
_LABEL = re.compile(LABEL_PATTERN.strip("^$"))
_SLUG = re.compile(SLUG_PATTERN.strip("^$"))


def _header(scope: Scope, name: bytes) -> str | None:
    for header, value in scope["headers"]:
        if header == name:
            return str(value.decode("latin-1"))
    return None
