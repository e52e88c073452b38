"""What an actor may do: its permissions in the workspace, and in one project.

The console asks ``GET /auth/me`` instead of copying the server's table of roles and
permissions (:data:`promptyard.domain.actor.PERMISSIONS`); a project membership can only
narrow the workspace role (:func:`.accounts.effective_role`), never raise it.
"""

from __future__ import annotations

import dataclasses

from promptyard.domain.actor import Actor, permissions_of
from promptyard.services.context import Core
from promptyard.services.identity.accounts import effective_role
from promptyard.services.identity.projects import resolve_project, workspace_of
from promptyard.services.identity.schemas import ActorPublic, MeActorPublic, MePublic, WorkspaceRef


def actor_public(actor: Actor) -> ActorPublic:
    return ActorPublic.model_validate(
        {
            "type": actor.type,
            "id": actor.id,
            "name": actor.name,
            "role": actor.role,
            "instance_admin": actor.instance_admin,
        }
    )


def project_permissions(core: Core, actor: Actor, slug: str) -> list[str]:
    """The actor's permissions in project ``slug`` (404 when the project is not theirs)."""
    role = effective_role(core, actor, resolve_project(core, actor, slug))
    return permissions_of(dataclasses.replace(actor, role=role))


def me(core: Core, actor: Actor, *, project: str | None = None) -> MePublic:
    """The actor, what it may do (in ``project`` too, when named) and its workspace."""
    return MePublic(
        actor=MeActorPublic(
            **actor_public(actor).model_dump(),
            permissions=permissions_of(actor),
            project_permissions=(
                project_permissions(core, actor, project) if project is not None else None
            ),
        ),
        workspace=WorkspaceRef(**workspace_of(core, actor.workspace_id)),
    )
