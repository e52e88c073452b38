"""Workspaces and projects."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from promptyard.domain import DEFAULT_SLUG  # the default workspace's and project's slug
from promptyard.domain.actor import Actor, RequestContext
from promptyard.domain.errors import AlreadyExists, Forbidden, NotFound
from promptyard.domain.schemas import ProjectCreate, ProjectPublic
from promptyard.services.context import Core
from promptyard.services.operations import audit
from promptyard.store.models import SqlProject, SqlPrompt, SqlWorkspace


def ensure_default_workspace(core: Core) -> tuple[int, int]:
    """``(workspace_id, project_id)`` of the default workspace and project, made if absent."""
    for _attempt in range(2):
        with core.store.read() as session:
            found = session.execute(
                select(SqlWorkspace.id, SqlProject.id)
                .join(SqlProject, SqlProject.workspace_id == SqlWorkspace.id)
                .where(SqlWorkspace.slug == DEFAULT_SLUG, SqlProject.slug == DEFAULT_SLUG)
            ).first()
        if found is not None:
            return int(found[0]), int(found[1])
        try:
            with core.store.write() as session:
                workspace = session.execute(
                    select(SqlWorkspace).where(SqlWorkspace.slug == DEFAULT_SLUG)
                ).scalar_one_or_none()
                if workspace is None:
                    workspace = SqlWorkspace(
                        slug=DEFAULT_SLUG, name="Default workspace", created_at=core.clock()
                    )
                    session.add(workspace)
                    session.flush()
                project = SqlProject(
                    workspace_id=workspace.id,
                    slug=DEFAULT_SLUG,
                    name="Default project",
                    settings={},
                    created_at=core.clock(),
                )
                session.add(project)
                session.flush()
                return workspace.id, project.id
        except IntegrityError:
            continue  # created concurrently: read it back
    raise RuntimeError("could not create the default workspace")


def _project_key(workspace_id: int, slug: str) -> tuple[str, int, str]:
    """The key of a project's id in ``core.actors``."""
    return ("project", workspace_id, slug)


def cached_project_id(core: Core, actor: Actor, slug: str) -> int | None:
    """:func:`resolve_project` from the cache alone, without I/O (for the event loop).

    ``None`` when the id is not cached yet or the project is not the actor's: then
    :func:`resolve_project` answers (with its 404).
    """
    cached: int | None = core.actors.get(_project_key(actor.workspace_id, slug))
    if cached is None or actor.project_id not in (None, cached):
        return None
    return cached


def resolve_project(core: Core, actor: Actor, slug: str) -> int:
    """The id of project ``slug`` in the actor's workspace; 404 when it is not theirs.

    The one way a project slug becomes an id: the routes, the read fast path and the
    services all come here (or to :func:`cached_project_id`, its cache-only half).
    """
    key = _project_key(actor.workspace_id, slug)
    cached = core.actors.get(key)
    if cached is None:
        with core.store.read() as session:
            cached = session.execute(
                select(SqlProject.id).where(
                    SqlProject.workspace_id == actor.workspace_id, SqlProject.slug == slug
                )
            ).scalar_one_or_none()
        if cached is None:
            raise NotFound(f"project {slug!r} not found")
        core.actors.put(key, cached)
    if actor.project_id is not None and actor.project_id != cached:
        raise NotFound(f"project {slug!r} not found")
    return int(cached)


def list_projects(core: Core, actor: Actor) -> list[ProjectPublic]:
    with core.store.read() as session:
        counts = (
            select(SqlPrompt.project_id, func.count().label("n"))
            .where(SqlPrompt.deleted_at.is_(None))
            .group_by(SqlPrompt.project_id)
            .subquery()
        )
        query = (
            select(SqlProject, func.coalesce(counts.c.n, 0))
            .outerjoin(counts, counts.c.project_id == SqlProject.id)
            .where(SqlProject.workspace_id == actor.workspace_id)
            .order_by(SqlProject.slug)
        )
        if actor.project_id is not None:
            query = query.where(SqlProject.id == actor.project_id)
        return [
            ProjectPublic(
                slug=project.slug,
                name=project.name,
                prompt_count=int(count),
                created_at=project.created_at,
            )
            for project, count in session.execute(query)
        ]


def create_project(core: Core, *, ctx: RequestContext, data: ProjectCreate) -> ProjectPublic:
    if ctx.actor.project_id is not None:
        raise Forbidden("a key scoped to one project cannot create projects")
    try:
        with core.store.write() as session:
            project = SqlProject(
                workspace_id=ctx.actor.workspace_id,
                slug=data.slug,
                name=data.name,
                settings={},
                created_at=core.clock(),
            )
            session.add(project)
            session.flush()
            audit.append(
                core,
                session,
                ctx=ctx,
                action="project.create",
                object_type="project",
                object_id=str(project.id),
                summary={"slug": data.slug, "name": data.name},
            )
    except IntegrityError:
        raise AlreadyExists(f"project {data.slug!r} already exists") from None
    return ProjectPublic(
        slug=project.slug, name=project.name, prompt_count=0, created_at=project.created_at
    )


def set_project_setting(session: Session, project_id: int, key: str, value: Any) -> None:
    """Set one entry of a project's settings, with the row locked (in the caller's
    transaction), keeping the others: each capability owns its own keys."""
    project = session.execute(
        select(SqlProject).where(SqlProject.id == project_id).with_for_update()
    ).scalar_one()
    project.settings = {**(project.settings or {}), key: value}


def workspace_of(core: Core, workspace_id: int) -> dict[str, str]:
    with core.store.read() as session:
        workspace = session.get(SqlWorkspace, workspace_id)
    if workspace is None:
        raise NotFound("workspace not found")
    return {"slug": workspace.slug, "name": workspace.name}
