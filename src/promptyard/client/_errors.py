"""The SDK's errors: :class:`PromptyardError` and its typed subclasses."""

from __future__ import annotations

from typing import Any

import httpx

_STATUS_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    409: "conflict",
    413: "payload_too_large",
    422: "validation_error",
    429: "too_many_requests",
}


class PromptyardError(Exception):
    """An error answer from the server, or no answer at all.

    ``status`` is the HTTP status (``None`` when the server could not be reached);
    ``code``, ``message`` and ``details`` come from the server's error shape
    ``{"error": {"code", "message", "details"}}``.
    """

    def __init__(self, message: str, *, status: int | None, code: str, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.details = details

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return (
            f"PromptyardError(status={self.status!r}, code={self.code!r}, message={self.message!r})"
        )

    @classmethod
    def from_response(cls, response: httpx.Response) -> PromptyardError:
        """Parse the error shape; anything else (a proxy's HTML page) still reads well."""
        status = response.status_code
        code = _STATUS_CODES.get(status, "server_error" if status >= 500 else "error")
        message = f"HTTP {status} {response.reason_phrase}".strip()
        details: Any = None
        try:
            body = response.json()
        except ValueError:
            body = None
        error = body.get("error") if isinstance(body, dict) else None
        if isinstance(error, dict):
            code = str(error.get("code") or code)
            message = str(error.get("message") or message)
            details = error.get("details")
        kind = _BY_STATUS.get(status, ServerError if status >= 500 else cls)
        return kind(message, status=status, code=code, details=details)

    @property
    def transient(self) -> bool:
        """Worth trying again later: no answer, ``429`` or a ``5xx``. The SDK never retries
        ``401``, ``403`` or ``404``."""
        return self.status is None or self.status == 429 or self.status >= 500


class PromptyardConnectionError(PromptyardError):
    """The server could not be reached (refused, timed out, DNS, TLS)."""

    def __init__(self, base_url: str, reason: str) -> None:
        super().__init__(
            f"the server is unreachable at {base_url} ({reason})",
            status=None,
            code="unreachable",
            details={"url": base_url, "reason": reason},
        )


class UnauthenticatedError(PromptyardError):
    """``401``: the API key is missing, wrong or revoked."""


class ForbiddenError(PromptyardError):
    """``403``: the key may not do this (in this project)."""


class NotFoundError(PromptyardError):
    """``404``: no such prompt, version or label (or anything else addressed)."""


class ServerError(PromptyardError):
    """A ``5xx`` answer: the server failed or is overloaded (``503``)."""


_BY_STATUS: dict[int, type[PromptyardError]] = {
    401: UnauthenticatedError,
    403: ForbiddenError,
    404: NotFoundError,
}


class PromptTypeError(PromptyardError, TypeError):
    """A chat prompt asked for as text, or the reverse (``get_prompt(..., type=...)``)."""

    def __init__(self, name: str, *, expected: str, actual: str) -> None:
        super().__init__(
            f"prompt {name!r} is a {actual} prompt, not a {expected} prompt",
            status=None,
            code="prompt_type_mismatch",
            details={"name": name, "expected": expected, "actual": actual},
        )


class CompileError(PromptyardError):
    """A prompt could not be compiled locally (the same errors the server's render gives:
    ``code`` is the server's, e.g. ``template_error`` or ``template_limit_exceeded``)."""


class MissingVariablesError(CompileError, KeyError):
    """``compile()`` without some required variables; ``missing`` names every one."""

    def __init__(self, message: str, *, missing: list[str]) -> None:
        super().__init__(
            message, status=None, code="missing_variables", details={"missing": missing}
        )
        self.missing = missing

    def __str__(self) -> str:  # KeyError would quote the message
        return self.message
