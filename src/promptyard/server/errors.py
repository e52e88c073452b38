"""One error shape for every failure: ``{"error": {"code", "message", "details"}}``."""

from __future__ import annotations

import logging
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from promptyard.domain.errors import DomainError
from promptyard.domain.jsonvalues import MAX_JSON_DEPTH, too_deep_message

log = logging.getLogger("promptyard.server")

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "too_many_requests",
}


def error_body(code: str, message: str, details: Any = None) -> bytes:
    """The JSON of every error answer, for routes and for the ASGI middleware alike."""
    return orjson.dumps({"error": {"code": code, "message": message, "details": details}})


def error_response(
    status: int, code: str, message: str, details: Any = None, headers: dict[str, str] | None = None
) -> Response:
    return Response(
        error_body(code, message, details),
        status_code=status,
        headers=headers,
        media_type="application/json",
    )


def _validation_message(errors: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    details: list[dict[str, Any]] = []
    for error in errors:
        loc = [str(part) for part in error.get("loc", ()) if part not in ("body",)]
        message = str(error.get("msg", "invalid"))
        if message.startswith("Value error, "):
            message = message[len("Value error, ") :]
        details.append({"loc": loc, "message": message})
    first: dict[str, Any] = details[0] if details else {"loc": [], "message": "invalid request"}
    where = ".".join(first["loc"])
    text = f"{where}: {first['message']}" if where else str(first["message"])
    if len(details) > 1:
        text += f" (and {len(details) - 1} more problem{'s' if len(details) > 2 else ''})"
    return text, details


def domain_error_response(exc: DomainError) -> Response:
    """The answer to a domain error, from a route or from the ASGI edge alike."""
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
    retry = exc.status in (429, 503) and isinstance(exc.details, dict)
    if retry and "retry_after" in exc.details:
        headers = {"Retry-After": str(int(exc.details["retry_after"]))}
    return error_response(exc.status, exc.code, exc.message, exc.details, headers)


def internal_error_response(request_id: str | None) -> Response:
    """The answer to an unexpected exception (logged by the caller)."""
    return error_response(
        500,
        "internal_error",
        "an unexpected error occurred; it has been logged (this is a bug: please report it)",
        {"request_id": request_id},
    )


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(_request: Request, exc: DomainError) -> Response:
        return domain_error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> Response:
        errors = list(exc.errors())
        if any(error.get("type") == "json_invalid" for error in errors):
            return error_response(400, "invalid_json", "the request body is not valid JSON")
        message, details = _validation_message(errors)
        return error_response(422, "validation_error", message, details)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> Response:
        code = _HTTP_CODES.get(exc.status_code, "error")
        message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
        if exc.status_code == 404 and message == "Not Found":
            message = "no such route"
        headers = dict(exc.headers) if exc.headers else None
        if exc.status_code == 400 and isinstance(exc.__cause__, RecursionError):
            # The JSON parser gave up on a body nested hundreds of levels deep.
            return error_response(
                422, "json_too_deep", too_deep_message(), {"max_depth": MAX_JSON_DEPTH}
            )
        return error_response(exc.status_code, code, message, headers=headers)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        request_id = request.headers.get("x-request-id") or request.scope.get(
            "promptyard.request_id"
        )
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return internal_error_response(request_id)
