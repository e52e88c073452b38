"""Who sees what: every object of this capability belongs to a workspace, and an API key
scoped to one project sees only that project's objects."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from promptyard.domain.actor import Actor
from promptyard.domain.errors import NotFound, ValidationFailed
from promptyard.store.models import SqlAlertChannel, SqlProject


def visible(actor: Actor, workspace_id: int, project_id: int | None) -> bool:
    return workspace_id == actor.workspace_id and (
        actor.project_id is None or project_id == actor.project_id
    )


def slugs(session: Session, project_ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {pid for pid in project_ids if pid is not None}
    if not wanted:
        return {}
    rows = session.execute(select(SqlProject.id, SqlProject.slug).where(SqlProject.id.in_(wanted)))
    return {int(pid): str(slug) for pid, slug in rows}


def workspace_projects(session: Session, workspace_id: int) -> list[int]:
    return [
        int(pid)
        for pid in session.execute(
            select(SqlProject.id).where(SqlProject.workspace_id == workspace_id)
        ).scalars()
    ]


def check_channels(session: Session, actor: Actor, channel_ids: list[int]) -> None:
    """Every id names a channel of the actor's workspace (else 422)."""
    if not channel_ids:
        return
    found = set(
        session.execute(
            select(SqlAlertChannel.id).where(
                SqlAlertChannel.id.in_(channel_ids),
                SqlAlertChannel.workspace_id == actor.workspace_id,
            )
        ).scalars()
    )
    missing = [cid for cid in channel_ids if cid not in found]
    if missing:
        raise ValidationFailed(f"unknown channel id(s) {missing}", details={"channel_ids": missing})


def not_found(what: str, object_id: int) -> NotFound:
    return NotFound(f"{what} {object_id} not found")
