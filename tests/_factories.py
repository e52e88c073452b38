"""Shared factories for tests that call the services directly (not through HTTP).

Everything is resolved the way the server resolves it, never assumed: the admin's actor
from its API key, a project's id from its slug.
"""

from __future__ import annotations

from promptyard.domain import DEFAULT_SLUG
from promptyard.domain.actor import RequestContext
from promptyard.services.context import Core
from promptyard.services.identity import auth, projects
from tests.conftest import API_KEY


def admin_context(core: Core, request_id: str = "r1") -> RequestContext:
    """A request by the bootstrap admin key (``tests.conftest.API_KEY``)."""
    return RequestContext(actor=auth.authenticate_api_key(core, API_KEY), request_id=request_id)


def project_id(core: Core, slug: str = DEFAULT_SLUG) -> int:
    """The id of project ``slug`` in the admin's workspace."""
    return projects.resolve_project(core, admin_context(core).actor, slug)
