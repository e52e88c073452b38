"""A prompt's lifecycle: draft, in review, published, deprecated, archived."""

from __future__ import annotations

from typing import Any, Literal

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from promptyard.domain.actor import RequestContext
from promptyard.services.context import Core
from promptyard.services.operations import audit
from promptyard.services.prompts.lookup import load_prompt, prompt_key
from promptyard.store.models import (
    SqlChangeRequest,
    SqlPrompt,
)

#: Statuses of a change request that is still under way.
ACTIVE = ("open", "changes_requested", "approved")
LIFECYCLE_STATES = ("draft", "in_review", "published", "deprecated", "archived")


def settle_lifecycle(session: Session, prompt: SqlPrompt) -> None:
    """``in_review`` while a request is active; back to published/draft after."""
    if prompt.lifecycle in ("deprecated", "archived"):
        return
    active = session.execute(
        select(func.count())
        .select_from(SqlChangeRequest)
        .where(SqlChangeRequest.prompt_id == prompt.id, SqlChangeRequest.status.in_(ACTIVE))
    ).scalar_one()
    if active:
        prompt.lifecycle = "in_review"
    elif prompt.lifecycle == "in_review":
        applied = session.execute(
            select(
                exists().where(
                    SqlChangeRequest.prompt_id == prompt.id, SqlChangeRequest.status == "applied"
                )
            )
        ).scalar_one()
        prompt.lifecycle = "published" if applied else "draft"


LifecycleTarget = Literal["draft", "published", "deprecated", "archived"]


def set_lifecycle(
    core: Core, *, ctx: RequestContext, project_id: int, name: str, state: LifecycleTarget
) -> dict[str, Any]:
    with core.store.write() as session:
        prompt = load_prompt(session, project_id, name, for_update=True)
        before = prompt.lifecycle
        prompt.lifecycle = state
        prompt.updated_at = core.clock()
        prompt.updated_by = ctx.actor.ref
        audit.append(
            core,
            session,
            ctx=ctx,
            action="prompt.lifecycle",
            object_type="prompt",
            object_id=str(prompt.id),
            summary={"name": name, "from": before, "to": state},
        )
    core.cache.invalidate(prompt_key(project_id, name))
    return {"name": name, "lifecycle": state, "previous": before}
