"""``GET /api/v1/prompts/changes``: the change stream for SDKs (server-sent events).

Thin: checks the caller and its projects, then streams
:func:`promptyard.services.delivery.stream.events` from the process's
:class:`~promptyard.services.delivery.stream.ChangeHub` (``app.state.changes``).
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from promptyard.domain.errors import DomainError, ValidationFailed
from promptyard.domain.schemas import SLUG_PATTERN
from promptyard.server.deps import ACTOR_SCOPE_KEY, CoreDep, ReadCtx, authenticate
from promptyard.services.delivery import changes
from promptyard.services.delivery.scope import readable_projects
from promptyard.services.delivery.stream import ChangeHub, StreamRequest, events

router = APIRouter(prefix="/prompts", tags=["delivery"])
_SLUG = re.compile(SLUG_PATTERN)
_STREAM_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


@router.get(
    "/changes",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
            "description": "ready, then reset or the replay, then prompt events and pings",
        }
    },
)
async def prompt_changes(
    request: Request,
    core: CoreDep,
    _ctx: ReadCtx,
    project: Annotated[
        list[str] | None,
        Query(description="project slug, may repeat (default: every readable project)"),
    ] = None,
    after: Annotated[
        int | None, Query(ge=0, description="resume after this event id (or Last-Event-ID)")
    ] = None,
    timeout: Annotated[
        float | None, Query(ge=0, le=86_400, description="close the stream after seconds")
    ] = None,
    last_event_id: Annotated[str | None, Header()] = None,
) -> StreamingResponse:
    """Prompt changes as server-sent events: creations, new versions, label moves,
    deletions, restores and lifecycle changes in the projects the caller may read."""
    slugs = project or []
    bad = [slug for slug in slugs if not _SLUG.fullmatch(slug)]
    if bad:
        raise ValidationFailed("invalid project slug", details={"project": bad})
    resume = _resume(after, last_event_id)
    actor = await authenticate(request)
    projects = await run_in_threadpool(readable_projects, core, actor, slugs)
    hub: ChangeHub = request.app.state.changes

    async def head() -> int:
        return await run_in_threadpool(changes.head, core)

    async def replay(since: int, upto: int) -> tuple[list[changes.Change], int]:
        batch = await run_in_threadpool(
            changes.read_after, core, since, upto=upto, stream_only=True
        )
        return batch.changes, batch.last

    async def still_allowed() -> frozenset[int] | None:
        request.scope.pop(ACTOR_SCOPE_KEY, None)  # keys or roles changed: ask again
        try:
            again = await authenticate(request)
            return await run_in_threadpool(readable_projects, core, again, slugs)
        except DomainError:
            return None

    stream = StreamRequest(
        projects=projects,
        after=resume,
        heartbeat=core.settings.change_heartbeat_seconds,
        replay_limit=core.settings.change_replay_events,
        timeout=timeout,
    )
    return StreamingResponse(
        events(hub, stream, head=head, replay=replay, still_allowed=still_allowed),
        media_type="text/event-stream",
        headers=_STREAM_HEADERS,
    )


def _resume(after: int | None, last_event_id: str | None) -> int | None:
    """Where to resume: ``Last-Event-ID`` (what EventSource clients send), else ``after``."""
    if last_event_id is not None and last_event_id.strip():
        value = last_event_id.strip()
        if not value.isdigit():
            raise ValidationFailed("Last-Event-ID must be an event id (an integer)")
        return int(value)
    return after
