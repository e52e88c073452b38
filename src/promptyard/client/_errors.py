"""The one exception the SDK raises."""

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
        return cls(message, status=status, code=code, details=details)


class PromptyardConnectionError(PromptyardError):
    """The server could not be reached (refused, timed out, DNS, TLS)."""

    def __init__(self, base_url: str, reason: str) -> None:
        super().__init__(
            f"the server is unreachable at {base_url} ({reason})",
            status=None,
            code="unreachable",
            details={"url": base_url, "reason": reason},
        )
