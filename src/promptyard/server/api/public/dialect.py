"""Langfuse's error shape for every error answered under ``/api/public``.

Langfuse answers ``{"message": "...", "error": "<ErrorName>"}`` and its SDKs read the
status code and that body. Errors come from many places here (the edge's 401/403/413
before a body is read, route validation, domain errors, unknown routes), so rather than
teach each of them a second dialect, :class:`LangfuseErrorDialect` rewrites the one
Promptyard error body (``{"error": {"code", "message", "details"}}``) on the way out.
``code`` and ``details`` stay alongside, and a 422 becomes Langfuse's 400 for bad input.
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PREFIX = "/api/public/"

#: Langfuse's error names (packages/shared/src/errors) by status code.
ERROR_NAMES = {
    400: "InvalidRequestError",
    401: "UnauthorizedError",
    403: "ForbiddenError",
    404: "LangfuseNotFoundError",
    405: "MethodNotAllowedError",
    409: "LangfuseConflictError",
    413: "PayloadTooLargeError",
    429: "TooManyRequestsError",
    500: "InternalServerError",
    503: "ServiceUnavailableError",
}


def langfuse_error(status: int, body: bytes) -> tuple[int, bytes] | None:
    """The Langfuse form ``(status, body)`` of a Promptyard error body (None: not one)."""
    try:
        parsed: Any = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    error = parsed.get("error") if isinstance(parsed, dict) else None
    if not isinstance(error, dict) or "message" not in error:
        return None
    if status == 422:
        status = 400
    name = ERROR_NAMES.get(status, "ApiError")
    return status, orjson.dumps(
        {
            "message": error["message"],
            "error": name,
            "code": error.get("code"),
            "details": error.get("details"),
        }
    )


class LangfuseErrorDialect:
    """Pure ASGI: rewrites error answers under :data:`PREFIX` (see the module doc)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(PREFIX):
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        chunks: list[bytes] = []

        async def rewrite(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                if message["status"] < 400:
                    await send(message)
                    return
                start = message
                return
            if start is None or message["type"] != "http.response.body":
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            status, body = start["status"], b"".join(chunks)
            converted = langfuse_error(status, body)
            if converted is not None:
                status, body = converted
            replaced = (b"content-length", b"content-type") if converted else (b"content-length",)
            headers = [
                (name, value)
                for name, value in start.get("headers", [])
                if name.lower() not in replaced
            ]
            if converted is not None:
                headers.append((b"content-type", b"application/json"))
            headers.append((b"content-length", str(len(body)).encode()))
            await send({**start, "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, rewrite)
