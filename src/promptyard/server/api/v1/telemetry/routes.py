"""Generations (report, list, read) and feedback (record, list)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path as FilePath
from typing import Annotated

import orjson
from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from promptyard.domain.actor import RequestContext
from promptyard.domain.errors import ValidationFailed
from promptyard.domain.schemas import MAX_VERSION, NAME_PATTERN, first_error
from promptyard.server.api.v1.params import ProjectSlugPath
from promptyard.server.deps import CoreDep, ProjectDep, require
from promptyard.services.identity.projects import resolve_project
from promptyard.services.telemetry import feedback as feedback_service
from promptyard.services.telemetry import generations, settings
from promptyard.services.telemetry.events import GenerationQuery
from promptyard.services.telemetry.schemas import (
    ID_PATTERN,
    BatchResultPublic,
    FeedbackInput,
    FeedbackKind,
    FeedbackPage,
    FeedbackPublic,
    GenerationBatchInput,
    GenerationPage,
    GenerationPublic,
    GenerationStatus,
    PublicFeedbackInput,
    RecomputeCostsInput,
    RecomputedPublic,
)

router = APIRouter(tags=["telemetry"])
#: Routes outside /api/v1 (the feedback script).
public_router = APIRouter(tags=["telemetry"])

GenerationRead = Annotated[RequestContext, Depends(require("generation:read"))]
GenerationWrite = Annotated[RequestContext, Depends(require("generation:write"))]
FeedbackWrite = Annotated[RequestContext, Depends(require("feedback:write"))]
Dimension = Annotated[str | None, Query(min_length=1, max_length=200)]
IdQuery = Annotated[str | None, Query(pattern=ID_PATTERN)]


@router.post("/generations/batch")
def report_generations(
    body: GenerationBatchInput,
    core: CoreDep,
    _ctx: GenerationWrite,
    project_id: ProjectDep,
    response: Response,
) -> BatchResultPublic:
    """Report up to 1,000 generations. Each item is checked on its own (``items`` holds
    one result per item: created, duplicate or rejected with the reason); an id already
    stored is a duplicate, never stored twice. Answers 207 when some items were rejected.
    Acknowledged rows are committed."""
    result = generations.ingest(
        core, project_id, body.generations, source="api", storable_checked=True
    )
    if result.rejected:
        response.status_code = 207
    return result


@router.post("/generations/recompute-costs")
def recompute_costs(
    body: RecomputeCostsInput,
    core: CoreDep,
    _ctx: Annotated[RequestContext, Depends(require("provider:manage"))],
    project_id: ProjectDep,
) -> RecomputedPublic:
    """Price again the generations of a time range with today's prices and overrides
    (after a price change); rows the app priced itself are left alone."""
    changed = generations.recompute_costs(
        core, project_id, since=body.since, until=body.until, model=body.model
    )
    return RecomputedPublic(changed=changed)


@router.get("/projects/{slug}/generation-settings")
def get_generation_settings(
    slug: ProjectSlugPath, core: CoreDep, ctx: GenerationRead
) -> settings.GenerationSettings:
    """Whether the project stores generation text."""
    return settings.get_settings(core, project_id=resolve_project(core, ctx.actor, slug))


@router.put("/projects/{slug}/generation-settings")
def put_generation_settings(
    slug: ProjectSlugPath,
    body: settings.GenerationSettingsUpdate,
    core: CoreDep,
    ctx: Annotated[RequestContext, Depends(require("project:write"))],
) -> settings.GenerationSettings:
    """Turn storing generation text on or off for the project (from the next report on;
    stored text stays)."""
    project_id = resolve_project(core, ctx.actor, slug)
    return settings.set_settings(core, ctx=ctx, project_id=project_id, data=body)


@router.get("/generations")
def list_generations(
    core: CoreDep,
    _ctx: GenerationRead,
    project_id: ProjectDep,
    prompt: Annotated[str | None, Query(pattern=NAME_PATTERN)] = None,
    version: Annotated[int | None, Query(ge=1, le=MAX_VERSION)] = None,
    model: Dimension = None,
    provider: Dimension = None,
    user: Dimension = None,
    session: Dimension = None,
    feature: Dimension = None,
    agent: Dimension = None,
    environment: Dimension = None,
    status: GenerationStatus | None = None,
    trace_id: IdQuery = None,
    since: datetime | None = None,
    until: datetime | None = None,
    q: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> GenerationPage:
    """Generations newest first, filtered; ``q`` searches input and output text.
    Pages through ``next_cursor``."""
    return generations.list_generations(
        core,
        GenerationQuery(
            project_id=project_id,
            prompt=prompt,
            version=version,
            model=model,
            provider=provider,
            user_id=user,
            session_id=session,
            feature=feature,
            agent=agent,
            environment=environment,
            status=status,
            trace_id=trace_id,
            since=since,
            until=until,
            text=q,
            after=None if cursor is None else generations.decode_cursor(cursor),
            limit=limit,
        ),
    )


@router.get("/generations/{generation_id}")
def get_generation(
    generation_id: Annotated[str, Path(pattern=ID_PATTERN, examples=["gen-0001"])],
    core: CoreDep,
    _ctx: GenerationRead,
    project_id: ProjectDep,
) -> GenerationPublic:
    """One generation with its input, output and feedback."""
    return generations.get_generation(core, project_id, generation_id)


@router.post("/analytics/feedback", status_code=201)
def record_feedback(
    body: FeedbackInput, core: CoreDep, ctx: FeedbackWrite, project_id: ProjectDep
) -> FeedbackPublic:
    """Record end-user feedback on a generation, a trace or a session: ``thumbs`` (1 up,
    0 down), ``score`` (``scale`` 0-1 or 1-5), ``nps`` (0..10) or a ``comment``."""
    return feedback_service.record_feedback(
        core, project_id, body, source="api", actor_name=ctx.actor.name
    )


@router.get("/analytics/feedback")
def list_feedback(
    core: CoreDep,
    _ctx: GenerationRead,
    project_id: ProjectDep,
    generation_id: IdQuery = None,
    kind: FeedbackKind | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    cursor: Annotated[str | None, Query(max_length=40)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> FeedbackPage:
    """Feedback newest first."""
    return feedback_service.list_feedback(
        core,
        project_id,
        generation_id=generation_id,
        kind=kind,
        since=since,
        until=until,
        cursor=cursor,
        limit=limit,
    )


_SCRIPT = (FilePath(__file__).parent / "feedback.js").read_bytes()
_ANY_ORIGIN = {"Access-Control-Allow-Origin": "*"}


@router.post(
    "/analytics/feedback/public",
    status_code=201,
    response_model=FeedbackPublic,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "text/plain": {"schema": PublicFeedbackInput.model_json_schema()},
                "application/json": {"schema": PublicFeedbackInput.model_json_schema()},
            },
        }
    },
)
async def record_page_feedback(request: Request, core: CoreDep) -> JSONResponse:
    """Feedback from an app's web page (``/feedback.js``), authenticated by the body's
    write-only feedback ``key``: ``{"key", "generation_id", "kind", "value", "comment"}``.
    Takes ``text/plain`` as well as JSON (a cross-origin request with no preflight);
    any origin may call it. Rate-limited per client address and per key."""
    raw = await request.body()
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise ValidationFailed("the body is not JSON: send the object feedback.js sends") from None
    try:
        body = PublicFeedbackInput.model_validate(data)
    except ValidationError as exc:
        raise ValidationFailed(first_error(exc, whole="body")) from None
    client = request.client.host if request.client else None
    created = await run_in_threadpool(
        feedback_service.record_public_feedback, core, body, client=client
    )
    return JSONResponse(created.model_dump(mode="json"), status_code=201, headers=_ANY_ORIGIN)


@public_router.get("/feedback.js", include_in_schema=False)
def feedback_script() -> Response:
    """The script apps put on their pages to post end users' thumbs and comments."""
    return Response(
        _SCRIPT,
        media_type="text/javascript",
        headers={**_ANY_ORIGIN, "Cache-Control": "public, max-age=3600"},
    )
