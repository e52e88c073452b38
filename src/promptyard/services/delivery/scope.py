"""Which projects a change-stream subscriber may read."""

from __future__ import annotations

import dataclasses

from sqlalchemy import select

from promptyard.domain.actor import Actor
from promptyard.domain.errors import Forbidden
from promptyard.services.context import Core
from promptyard.services.identity.accounts import effective_role
from promptyard.services.identity.projects import resolve_project
from promptyard.store.models import SqlProject

READ = "prompt:read"


def readable_projects(core: Core, actor: Actor, slugs: list[str]) -> frozenset[int]:
    """The ids of the projects whose prompts ``actor`` may read: ``slugs`` (each must be
    the actor's, else 404; and readable, else 403), or all of the actor's readable
    projects when ``slugs`` is empty (a project-scoped key: its one project)."""
    if slugs:
        found = set()
        for slug in dict.fromkeys(slugs):
            project_id = resolve_project(core, actor, slug)
            if not _can_read(core, actor, project_id):
                raise Forbidden(
                    f"your role in project {slug!r} does not allow {READ}",
                    details={"permission": READ, "project": slug},
                )
            found.add(project_id)
        return frozenset(found)
    query = select(SqlProject.id).where(SqlProject.workspace_id == actor.workspace_id)
    if actor.project_id is not None:
        query = query.where(SqlProject.id == actor.project_id)
    with core.store.read() as session:
        ids = [int(project_id) for project_id in session.execute(query).scalars()]
    return frozenset(project_id for project_id in ids if _can_read(core, actor, project_id))


def _can_read(core: Core, actor: Actor, project_id: int) -> bool:
    role = effective_role(core, actor, project_id)
    return dataclasses.replace(actor, role=role).can(READ)
