"""Running prompts on models (the original specification's ``/prompts/execute``) and the
models a workspace can run."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel

from promptyard.domain.errors import RenderCancelled
from promptyard.server.deps import CoreDep, ExecuteCtx, ProjectDep, ReadCtx
from promptyard.server.render_pool import RenderPoolDep
from promptyard.services.runtime import execution
from promptyard.services.runtime.schemas import (
    ExecuteInput,
    ExecutionPublic,
    ExecutionsPublic,
    ModelsPublic,
)

router = APIRouter(tags=["runtime"])

#: How often a waiting call asks whether its client is still connected.
_POLL_SECONDS = 0.25
_STREAM_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


@router.get("/models")
def models(core: CoreDep, ctx: ReadCtx) -> ModelsPublic:
    """What ``model`` can name: ``fake/*`` and the configured models of the workspace's
    provider connections (``<connection>/<model>``)."""
    items = execution.list_models(core, ctx.actor.workspace_id)
    return ModelsPublic.model_validate({"items": items})


async def _unless_disconnected(request: Request, task: asyncio.Task[Any]) -> Any:
    """The task's result; the task is cancelled (the provider calls with it) as soon as
    the client goes away."""
    try:
        while True:
            done, _ = await asyncio.wait({task}, timeout=_POLL_SECONDS)
            if done:
                return task.result()
            if await request.is_disconnected():
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
                raise RenderCancelled("the run was cancelled: the client went away")
    finally:
        if not task.done():
            task.cancel()


def _sse(event: str, data: dict[str, Any]) -> bytes:
    return b"event: " + event.encode() + b"\ndata: " + orjson.dumps(data) + b"\n\n"


@router.post(
    "/prompts/execute",
    response_model=ExecutionPublic | ExecutionsPublic,
    responses={
        200: {
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
            "description": "one run (model), several runs (models or versions), or, with "
            "stream, server-sent events: delta, done or error per run, then end",
        },
        502: {"description": "the provider failed (code provider_error, its message)"},
    },
)
async def execute(
    body: ExecuteInput,
    request: Request,
    core: CoreDep,
    ctx: ExecuteCtx,
    project_id: ProjectDep,
    pool: RenderPoolDep,
) -> Any:
    """Render a stored prompt (or unsaved content) and run it on a model, or on up to 8
    models and versions side by side. Every run is stored as a generation. A provider's
    own failure answers 502 ``provider_error`` with its message (a single run) or the
    run's ``error`` (several runs); a request the provider refuses as invalid, 422."""
    workspace_id = ctx.actor.workspace_id
    try:  # a repeat of a cached run needs no database read and no rendering: no pool
        prepared = execution.prepare(
            core, workspace_id=workspace_id, project_id=project_id, body=body, cache_only=True
        )
    except execution.CacheMiss:
        prepared = await pool.run(
            request,
            execution.prepare,
            core,
            workspace_id=workspace_id,
            project_id=project_id,
            body=body,
        )
    if body.stream:

        async def events() -> AsyncIterator[bytes]:
            async for name, data in execution.stream(core, project_id, prepared):
                yield _sse(name, data)
            yield _sse("end", {"runs": len(prepared)})

        return StreamingResponse(events(), media_type="text/event-stream", headers=_STREAM_HEADERS)
    task = asyncio.create_task(execution.run_all(core, project_id, prepared))
    outcomes = await _unless_disconnected(request, task)
    # validated once here and sent as is (not validated and dumped again by FastAPI)
    if body.models is None and body.versions is None and body.runs is None:
        execution.raise_for(outcomes[0])
        answer: BaseModel = ExecutionPublic.model_validate(outcomes[0].public())
    else:
        answer = ExecutionsPublic(
            runs=[ExecutionPublic.model_validate(o.public()) for o in outcomes]
        )
    return Response(content=answer.model_dump_json(), media_type="application/json")
