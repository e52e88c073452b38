"""Domain errors.

Every error a user can cause is a :class:`DomainError` with a stable ``code``, a
message a person can act on, and optional structured ``details``. The HTTP layer
maps each subclass to one status code (see ``server/errors.py``); the CLI and the
client SDK show the same code and message.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base of every expected, user-caused error."""

    code: str = "bad_request"
    status: int = 400

    def __init__(self, message: str, *, code: str | None = None, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "details": self.details}


class ValidationFailed(DomainError):
    """Input is well-formed JSON but not acceptable (bad name, oversize, bad type)."""

    code = "validation_error"
    status = 422


class NotFound(DomainError):
    code = "not_found"
    status = 404


class AlreadyExists(DomainError):
    code = "already_exists"
    status = 409


class Conflict(DomainError):
    """The request was based on stale state (optimistic concurrency) or cannot merge."""

    code = "conflict"
    status = 409


class Unauthenticated(DomainError):
    code = "unauthenticated"
    status = 401


class Forbidden(DomainError):
    code = "forbidden"
    status = 403


class TooManyRequests(DomainError):
    code = "too_many_requests"
    status = 429


class TemplateSyntaxProblem(ValidationFailed):
    """A template does not parse. ``details`` holds ``{"line", "column", "message", "field"}``."""

    code = "template_syntax_error"


class TemplateRenderProblem(ValidationFailed):
    """A template parsed but cannot be rendered with the given variables."""

    code = "render_error"


class MissingVariables(TemplateRenderProblem):
    """``details`` holds ``{"missing": [names]}``."""

    code = "missing_variables"


class TemplateSecurityViolation(TemplateRenderProblem):
    """The template tried to reach something the sandbox forbids."""

    code = "template_security_violation"


class TemplateLimitExceeded(TemplateRenderProblem):
    """Output size, loop/range, include depth or time limit was reached.

    ``details`` holds ``{"limit": name, "value": configured limit}``.
    """

    code = "template_limit_exceeded"


class ReferenceCycle(ValidationFailed):
    """Prompt composition forms a cycle. ``details`` holds ``{"cycle": [refs]}``."""

    code = "reference_cycle"


class BadReference(ValidationFailed):
    """A ``prompt:`` reference is malformed or points to nothing."""

    code = "bad_reference"


class JsonTooDeep(ValidationFailed):
    """A JSON body nests deeper than the limit. ``details`` holds ``{"max_depth": n}``."""

    code = "json_too_deep"


class StoredDataUnreadable(DomainError):
    """A stored value cannot be served back (written before today's checks, or edited in
    the database). ``promptyard db check --repair`` finds and fixes such rows."""

    code = "stored_data_unreadable"
    status = 409


class RenderCancelled(DomainError):
    """The caller went away (its HTTP client disconnected), so its render was stopped.

    Status 499 (as nginx logs a client that closed its request): nobody reads the answer.
    """

    code = "render_cancelled"
    status = 499


class ProviderFailed(DomainError):
    """The model provider failed (its own error, a timeout, a cut connection), after the
    retries it allowed: ``message`` carries the provider's own words."""

    code = "provider_error"
    status = 502


class Overloaded(DomainError):
    """The server is too busy for this request now: try again later.

    ``details`` holds ``{"retry_after": seconds}``, also sent as the ``Retry-After`` header.
    """

    code = "overloaded"
    status = 503
