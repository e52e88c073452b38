"""Who is acting, and on whose behalf a request runs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

ActorType = Literal["user", "key", "system"]

#: Roles in increasing power. Each role holds every permission of the roles before it:
#: a reviewer can also edit (the author of a change still cannot approve it), an admin
#: can do everything. A project can narrow a user's role, never raise it.
ROLES = ("viewer", "editor", "reviewer", "admin")
_AT_LEAST = {role: frozenset(ROLES[index:]) for index, role in enumerate(ROLES)}

#: Permission → roles that hold it. Every route declares exactly one of these
#: (server/permissions.py), and the access-matrix test walks them all.
PERMISSIONS: dict[str, frozenset[str]] = {
    # prompts and templates
    "prompt:read": _AT_LEAST["viewer"],
    "prompt:write": _AT_LEAST["editor"],
    "prompt:label": _AT_LEAST["editor"],
    "prompt:execute": _AT_LEAST["editor"],
    # projects
    "project:read": _AT_LEAST["viewer"],
    "project:export": _AT_LEAST["editor"],
    "project:import": _AT_LEAST["admin"],
    "project:write": _AT_LEAST["admin"],
    # review workflow
    "review:read": _AT_LEAST["viewer"],
    "review:open": _AT_LEAST["editor"],
    "review:comment": _AT_LEAST["editor"],
    "review:approve": _AT_LEAST["reviewer"],
    "review:apply": _AT_LEAST["editor"],
    "policy:manage": _AT_LEAST["admin"],
    "webhook:manage": _AT_LEAST["admin"],
    # accounts
    "self:manage": _AT_LEAST["viewer"],  # own password, own API keys (role <= own role)
    "member:read": _AT_LEAST["viewer"],
    "member:manage": _AT_LEAST["admin"],
    "key:manage": _AT_LEAST["admin"],  # every key of the workspace, service accounts
    # providers, the generation record and feedback
    "provider:read": _AT_LEAST["viewer"],  # connections, shown with their keys masked
    "provider:manage": _AT_LEAST["admin"],
    "generation:read": _AT_LEAST["viewer"],
    "generation:write": _AT_LEAST["editor"],  # apps reporting their calls
    "feedback:write": _AT_LEAST["editor"],
    # datasets of evaluation cases: read and export; create, import, edit (docs/evaluators.md)
    "dataset:read": _AT_LEAST["viewer"],
    "dataset:write": _AT_LEAST["editor"],
    # evaluation runs: results and comparisons; starting, cancelling, resuming a run
    "evaluation:read": _AT_LEAST["viewer"],
    "evaluation:run": _AT_LEAST["editor"],
    # annotation queues (docs/annotation.md): see queues, items and agreement; score items
    # (claim, skip, submit); create and change queues and choose their items
    "annotation:read": _AT_LEAST["viewer"],
    "annotation:score": _AT_LEAST["editor"],
    "annotation:manage": _AT_LEAST["reviewer"],
    # budgets and alerts: see budgets, rules and fired alerts; acknowledge and silence
    # alerts; manage budgets, rules and channels (docs/alerting.md)
    "alert:read": _AT_LEAST["viewer"],
    "alert:respond": _AT_LEAST["editor"],
    "alert:manage": _AT_LEAST["admin"],
    # experiments: see designs and results; design, start, stop, promote (docs/experiments.md)
    "experiment:read": _AT_LEAST["viewer"],
    "experiment:manage": _AT_LEAST["editor"],
    # audit
    "audit:read": _AT_LEAST["admin"],
    # the instance: no workspace role holds these, only an instance administrator
    "account:manage": frozenset(),  # any person's password, name, active state
}

#: Permissions that come from being an instance administrator, not from a role.
INSTANCE_PERMISSIONS = frozenset({"account:manage"})


def role_rank(role: str) -> int:
    """0 for viewer … 3 for admin; -1 for an unknown role."""
    return ROLES.index(role) if role in ROLES else -1


@dataclass(frozen=True)
class Actor:
    """A signed-in user or an API key, inside one workspace."""

    type: ActorType
    id: int
    name: str
    role: str
    workspace_id: int
    project_id: int | None = None  # a key scoped to one project
    #: Manages accounts and workspaces of the whole instance (never through a role).
    instance_admin: bool = False

    @property
    def ref(self) -> str:
        """What versions, labels and the audit trail record as the author."""
        return self.name

    def can(self, permission: str) -> bool:
        if permission in INSTANCE_PERMISSIONS:
            return self.instance_admin
        return self.role in PERMISSIONS.get(permission, frozenset())


def permissions_of(actor: Actor) -> list[str]:
    """Every permission of :data:`PERMISSIONS` the actor holds, sorted (see :meth:`Actor.can`)."""
    return sorted(permission for permission in PERMISSIONS if actor.can(permission))


SYSTEM = Actor(type="system", id=0, name="system", role="admin", workspace_id=0)


@dataclass(frozen=True)
class RequestContext:
    """The actor plus where the request came from, for attribution and audit."""

    actor: Actor
    request_id: str | None = None
    ip: str | None = None
    extra: dict[str, str] = field(default_factory=dict)
