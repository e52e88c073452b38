"""Who is acting, and on whose behalf a request runs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

ActorType = Literal["user", "key", "system"]

#: Roles in increasing power; the accounts release narrows them per project.
ROLES = ("viewer", "editor", "reviewer", "admin")

#: Permission → roles that hold it. Every route declares one of these.
PERMISSIONS: dict[str, frozenset[str]] = {
    "prompt:read": frozenset(ROLES),
    "prompt:write": frozenset({"editor", "admin"}),
    "prompt:label": frozenset({"editor", "admin"}),
    "prompt:execute": frozenset({"editor", "admin"}),
    "project:write": frozenset({"admin"}),
    "project:export": frozenset({"editor", "reviewer", "admin"}),
    "project:import": frozenset({"admin"}),
}


@dataclass(frozen=True)
class Actor:
    """A signed-in user or an API key, inside one workspace."""

    type: ActorType
    id: int
    name: str
    role: str
    workspace_id: int
    project_id: int | None = None  # a key scoped to one project

    @property
    def ref(self) -> str:
        """What versions, labels and the audit trail record as the author."""
        return self.name

    def can(self, permission: str) -> bool:
        return self.role in PERMISSIONS.get(permission, frozenset())


SYSTEM = Actor(type="system", id=0, name="system", role="admin", workspace_id=0)


@dataclass(frozen=True)
class RequestContext:
    """The actor plus where the request came from, for attribution and audit."""

    actor: Actor
    request_id: str | None = None
    ip: str | None = None
    extra: dict[str, str] = field(default_factory=dict)
