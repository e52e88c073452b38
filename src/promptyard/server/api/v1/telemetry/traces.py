"""Traces: OTLP/HTTP ingest (``POST /v1/traces``, and ``/api/public/otel/v1/traces``
where the Langfuse SDK sends its spans) and reading traces back.

Ingest takes the raw body (protobuf or JSON, gzip or not), decodes and stores it in a
worker thread through a bounded gate: at most ``PROMPTYARD_OTLP_INGEST_WORKERS`` exports
at once and ``PROMPTYARD_OTLP_INGEST_QUEUE`` waiting; past that the answer is 503 with
``Retry-After`` (OTLP exporters retry it). The answer comes after the commit, so an
acknowledged span is stored.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, TypeVar

import anyio
from fastapi import APIRouter, Depends, Path, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from promptyard.domain import DEFAULT_SLUG
from promptyard.domain.actor import RequestContext
from promptyard.domain.errors import Overloaded
from promptyard.domain.schemas import SLUG_PATTERN
from promptyard.server.deps import (
    ActorDep,
    CoreDep,
    ProjectDep,
    check_workspace_permission,
    project_id,
    require,
)
from promptyard.services.identity.accounts import effective_role
from promptyard.services.telemetry import otlp, traces
from promptyard.services.telemetry.events import TraceQuery
from promptyard.services.telemetry.schemas import ID_PATTERN

router = APIRouter(tags=["traces"])
#: Routes outside /api/v1: OTLP's standard path and Langfuse's.
otlp_router = APIRouter(tags=["traces"])

GenerationRead = Annotated[RequestContext, Depends(require("generation:read"))]
Dimension = Annotated[str | None, Query(min_length=1, max_length=200)]
T = TypeVar("T")

#: Seconds an exporter is told to wait when the gate is full.
RETRY_AFTER_SECONDS = 1


class IngestGate:
    """At most ``workers`` exports decoded and stored at once, ``queue`` waiting."""

    def __init__(self, workers: int, queue: int) -> None:
        self.limiter = anyio.CapacityLimiter(workers)
        self.capacity = workers + queue
        self.pending = 0

    async def run(self, fn: Callable[[], T]) -> T:
        if self.pending >= self.capacity:
            raise Overloaded(
                f"OTLP ingest is busy ({self.pending} exports in progress or waiting); "
                f"retry after {RETRY_AFTER_SECONDS} s",
                details={"retry_after": RETRY_AFTER_SECONDS},
            )
        self.pending += 1
        try:
            return await anyio.to_thread.run_sync(fn, limiter=self.limiter)
        finally:
            self.pending -= 1


def _gate(request: Request) -> IngestGate:
    gate = getattr(request.app.state, "otlp_gate", None)
    if gate is None:
        settings = request.app.state.core.settings
        gate = IngestGate(settings.otlp_ingest_workers, settings.otlp_ingest_queue)
        request.app.state.otlp_gate = gate
    return gate


async def ingest_project(
    request: Request,
    core: CoreDep,
    actor: ActorDep,
    project: Annotated[
        str | None,
        Query(
            pattern=SLUG_PATTERN,
            description="project slug (default: the key's project, else 'default')",
        ),
    ] = None,
) -> int:
    """The key's own project, else ``?project=``; the caller must hold generation:write
    there."""
    if project is None and actor.project_id is not None:
        found = actor.project_id
    else:
        found = await project_id(request, project or DEFAULT_SLUG)
    effective = actor
    if actor.type == "user":
        role = await run_in_threadpool(effective_role, core, actor, found)
        effective = dataclasses.replace(actor, role=role)
    check_workspace_permission(effective, "generation:write")
    return found


IngestProject = Annotated[int, Depends(ingest_project)]
_OTLP_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "an OTLP ExportTraceServiceRequest (gzip allowed: Content-Encoding)",
        "content": {
            "application/x-protobuf": {"schema": {"type": "string", "format": "binary"}},
            "application/json": {"schema": {"type": "object"}},
        },
    },
    "responses": {
        "200": {
            "description": "committed; ``partialSuccess`` names rejected spans, if any "
            "(an ExportTraceServiceResponse, encoded like the request)",
            "content": {
                "application/x-protobuf": {"schema": {"type": "string", "format": "binary"}},
                "application/json": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "partialSuccess": {
                                "type": "object",
                                "properties": {
                                    "rejectedSpans": {"type": "string"},
                                    "errorMessage": {"type": "string"},
                                },
                            }
                        },
                    }
                },
            },
        }
    },
}


async def _export(request: Request, core: Any, project: int) -> Response:
    body = await request.body()
    content_type = request.headers.get("content-type")
    encoding = request.headers.get("content-encoding")
    otlp.media_type(content_type)  # 415 before queueing

    def work() -> tuple[otlp.IngestResult, str]:
        return otlp.ingest_body(
            core, project, body, content_type=content_type, content_encoding=encoding
        )

    result, kind = await _gate(request).run(work)
    content, media = otlp.response_body(result.rejected, result.message, kind)
    return Response(content, media_type=media)


@otlp_router.post("/v1/traces", openapi_extra=_OTLP_BODY, response_class=Response)
async def export_traces(request: Request, core: CoreDep, project: IngestProject) -> Response:
    """OTLP/HTTP trace export (protobuf or JSON, gzip or not), authenticated with a Bearer
    API key or a Basic key pair. LLM spans become generations, the others spans of their
    trace. Answers after the commit; rejected spans are reported as OTLP partial success.
    400 for a body that is not an export request, 413 past the size caps, 503 with
    ``Retry-After`` when ingest is busy."""
    return await _export(request, core, project)


@otlp_router.post("/api/public/otel/v1/traces", openapi_extra=_OTLP_BODY, response_class=Response)
async def export_traces_langfuse(
    request: Request, core: CoreDep, project: IngestProject
) -> Response:
    """The same OTLP/HTTP trace export at the path the Langfuse SDK sends its spans to."""
    return await _export(request, core, project)


@router.get("/traces")
def list_traces(
    core: CoreDep,
    _ctx: GenerationRead,
    project_id: ProjectDep,
    user: Dimension = None,
    session: Dimension = None,
    environment: Dimension = None,
    since: datetime | None = None,
    until: datetime | None = None,
    cursor: Annotated[str | None, Query(max_length=400)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> traces.TracePage:
    """Traces newest first (by their first span's start): root name, start, duration,
    span and generation counts, tokens and cost. Pages through ``next_cursor``."""
    return traces.list_traces(
        core,
        TraceQuery(
            project_id=project_id,
            user_id=user,
            session_id=session,
            environment=environment,
            since=since,
            until=until,
            after=None if cursor is None else traces.decode_cursor(cursor),
            limit=limit,
        ),
    )


@router.get("/traces/{trace_id}")
def get_trace(
    trace_id: Annotated[
        str, Path(pattern=ID_PATTERN, examples=["4bf92f3577b34da6a3ce929d0e0e4736"])
    ],
    core: CoreDep,
    _ctx: GenerationRead,
    project_id: ProjectDep,
) -> traces.TraceDetail:
    """One trace: its spans and generations as a tree (flat, in tree order, each naming
    its parent and children), each with its timing, tokens and cost."""
    return traces.get_trace(core, project_id, trace_id)
