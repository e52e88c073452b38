"""``GET /api/v1/analytics/usage|performance|costs|compare|trends`` (from the rollups)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from promptyard.domain.actor import RequestContext
from promptyard.domain.schemas import NAME_PATTERN
from promptyard.server.deps import CoreDep, ProjectDep, require
from promptyard.services.analytics import compare as compare_service
from promptyard.services.analytics import trends as trends_service
from promptyard.services.analytics import views
from promptyard.services.analytics.schemas import (
    AnalyticsPage,
    Bucket,
    CostPoint,
    PerformancePoint,
    TrendsPublic,
    UsagePoint,
    VersionComparison,
)

router = APIRouter(tags=["analytics"])

GenerationRead = Annotated[RequestContext, Depends(require("generation:read"))]
Dimension = Annotated[str | None, Query(min_length=1, max_length=200)]
#: Default range per bucket when ``since`` is not given.
DEFAULT_SPAN = {
    "minute": timedelta(hours=1),
    "hour": timedelta(days=1),
    "day": timedelta(days=30),
    "week": timedelta(weeks=12),
}
_CSV: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "the series; with format=csv one row per group and bucket",
        "content": {"text/csv": {"schema": {"type": "string"}}},
    }
}


@dataclass
class Params:
    since: datetime
    until: datetime
    bucket: str
    group_by: list[str]
    filters: dict[str, str]
    format: str


def _range(
    core: Any, since: datetime | None, until: datetime | None, span: timedelta
) -> tuple[datetime, datetime]:
    end = until or core.clock()
    return since or end - span, end


def params(
    core: CoreDep,
    since: Annotated[
        datetime | None, Query(description="start (default: a range per bucket)")
    ] = None,
    until: Annotated[datetime | None, Query(description="end, exclusive (default: now)")] = None,
    bucket: Bucket = "day",
    group_by: Annotated[
        str | None,
        Query(
            max_length=100,
            description="up to two of prompt, version, model, provider, feature, agent, "
            "environment, user, tag, comma-separated",
            examples=["model"],
        ),
    ] = None,
    prompt: Annotated[str | None, Query(pattern=NAME_PATTERN)] = None,
    version: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    model: Dimension = None,
    provider: Dimension = None,
    user: Dimension = None,
    feature: Dimension = None,
    agent: Dimension = None,
    environment: Dimension = None,
    tag: Dimension = None,
    format: Literal["json", "csv"] = "json",
) -> Params:
    start, end = _range(core, since, until, DEFAULT_SPAN[bucket])
    given = {
        "prompt": prompt,
        "version": None if version is None else str(version),
        "model": model,
        "provider": provider,
        "user": user,
        "feature": feature,
        "agent": agent,
        "environment": environment,
        "tag": tag,
    }
    groups = [name.strip() for name in (group_by or "").split(",") if name.strip()]
    return Params(
        since=start,
        until=end,
        bucket=bucket,
        group_by=groups,
        filters={k: v for k, v in given.items() if v is not None},
        format=format,
    )


ParamsDep = Annotated[Params, Depends(params)]


def _answer(core: Any, kind: views.View, project_id: int, p: Params) -> Any:
    page = views.view(
        core,
        kind,
        project_id=project_id,
        since=p.since,
        until=p.until,
        bucket=p.bucket,
        group_by=p.group_by,
        filters=p.filters,
    )
    if p.format == "csv":
        return Response(
            content=views.to_csv(page),
            media_type="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{kind}.csv"'},
        )
    return page


@router.get("/analytics/usage", response_model=AnalyticsPage[UsagePoint], responses=_CSV)
def usage(core: CoreDep, _ctx: GenerationRead, project_id: ProjectDep, p: ParamsDep) -> Any:
    """Calls, errors, tokens, unique users and feedback (mean score, thumbs ratio, NPS) per
    bucket and group, from the rollups. ``format=csv`` exports the same rows."""
    return _answer(core, "usage", project_id, p)


@router.get(
    "/analytics/performance", response_model=AnalyticsPage[PerformancePoint], responses=_CSV
)
def performance(core: CoreDep, _ctx: GenerationRead, project_id: ProjectDep, p: ParamsDep) -> Any:
    """Latency and time to first token (mean, p50, p95, p99) and error rate per bucket and
    group, from the rollups' sketches."""
    return _answer(core, "performance", project_id, p)


@router.get("/analytics/costs", response_model=AnalyticsPage[CostPoint], responses=_CSV)
def costs(core: CoreDep, _ctx: GenerationRead, project_id: ProjectDep, p: ParamsDep) -> Any:
    """Cost, cost per call and per 1,000 calls, and tokens per bucket and group."""
    return _answer(core, "costs", project_id, p)


@router.get("/analytics/compare")
def compare(
    core: CoreDep,
    _ctx: GenerationRead,
    project_id: ProjectDep,
    a: Annotated[str, Query(min_length=1, max_length=200, examples=["1"])],
    b: Annotated[str, Query(min_length=1, max_length=200, examples=["2"])],
    dimension: Literal["version", "model"] = "version",
    prompt: Annotated[str | None, Query(pattern=NAME_PATTERN, examples=["greeting"])] = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> VersionComparison:
    """Two versions of a prompt (or two models) over a time range (default: the last 30
    days): cost per call, latency (mean, p50, p95), error rate and feedback, each with a
    95 % confidence interval of the difference, and a sentence saying what it means."""
    start, end = _range(core, since, until, timedelta(days=30))
    return compare_service.compare(
        core,
        project_id=project_id,
        dimension=dimension,
        a=a,
        b=b,
        prompt=prompt,
        since=start,
        until=end,
    )


@router.get("/analytics/trends")
def trends(
    core: CoreDep,
    _ctx: GenerationRead,
    project_id: ProjectDep,
    prompt: Annotated[str | None, Query(pattern=NAME_PATTERN, examples=["greeting"])] = None,
    since: datetime | None = None,
    until: datetime | None = None,
    bucket: Bucket = "day",
) -> TrendsPublic:
    """A prompt's (or the project's) cost, latency, errors and feedback over time, overall
    and per version, with version and label moves marked, and the month-end cost
    forecast."""
    start, end = _range(core, since, until, DEFAULT_SPAN[bucket])
    return trends_service.trends(
        core,
        project_id=project_id,
        since=start,
        until=end,
        bucket=bucket,
        prompt=prompt,
        now=core.clock(),
    )
