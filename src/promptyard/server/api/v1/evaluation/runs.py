"""Evaluation runs (``/api/v1/evaluations``): start one (or estimate it), follow its
progress, read its results, cancel, resume, compare with an earlier run."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from promptyard.domain.actor import RequestContext
from promptyard.domain.schemas import NAME_PATTERN
from promptyard.server.deps import CoreDep, ProjectDep, require
from promptyard.services.evaluation import runs, runs_results
from promptyard.services.evaluation.runs_schemas import (
    DryRunPublic,
    RunComparePublic,
    RunCreate,
    RunPublic,
    RunResultsPublic,
    RunsPublic,
    RunStatus,
)

router = APIRouter(tags=["evaluation"])

EvalRead = Annotated[RequestContext, Depends(require("evaluation:read"))]
EvalRun = Annotated[RequestContext, Depends(require("evaluation:run"))]
RunId = Annotated[int, Path(ge=1, le=2**62, description="the run's id")]


def _wake(request: Request) -> None:
    """Have the background runner look for the new work now rather than in 2 s."""
    runner = getattr(request.app.state, "runner", None)
    if runner is not None:
        runner.wake()


@router.post(
    "/evaluations",
    status_code=201,
    response_model=RunPublic | DryRunPublic,
    responses={
        200: {
            "model": DryRunPublic,
            "description": "dry_run: the variants and the cost estimate; nothing started",
        },
        201: {"model": RunPublic, "description": "the run, queued: it starts in the background"},
    },
)
def create_evaluation(
    body: RunCreate,
    request: Request,
    response: Response,
    core: CoreDep,
    ctx: EvalRun,
    project_id: ProjectDep,
) -> Any:
    """Start an evaluation run: the prompt's versions or labels x models over a dataset
    version, each case ``repetitions`` times, scored by the evaluators. The answer holds
    the cost estimate made before the start; with ``dry_run`` only that is answered. A
    run of more than ``PROMPTYARD_EVALUATION_MAX_ITEMS`` calls is refused (422
    ``run_too_large``)."""
    created = runs.create_run(core, ctx=ctx, project_id=project_id, body=body)
    if isinstance(created, DryRunPublic):
        response.status_code = 200
    else:
        _wake(request)
    return created


@router.get("/evaluations")
def list_evaluations(
    core: CoreDep,
    _ctx: EvalRead,
    project_id: ProjectDep,
    prompt: Annotated[str | None, Query(pattern=NAME_PATTERN)] = None,
    status: RunStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> RunsPublic:
    """The project's runs, newest first (optionally of one prompt, or in one status)."""
    return runs.list_runs(
        core, project_id=project_id, prompt=prompt, status=status, limit=limit, offset=offset
    )


@router.get("/evaluations/{run_id}")
def get_evaluation(
    run_id: RunId, core: CoreDep, _ctx: EvalRead, project_id: ProjectDep
) -> RunPublic:
    """A run's status, progress, estimate and actual cost, and its summary (computed live
    while it runs)."""
    found = runs.get_run(core, project_id=project_id, run_id=run_id)
    if found.summary is None and found.progress.done + found.progress.failed > 0:
        found.summary = runs_results.live_summary(core, project_id, run_id)
    return found


@router.get("/evaluations/{run_id}/results")
def evaluation_results(
    run_id: RunId,
    core: CoreDep,
    _ctx: EvalRead,
    project_id: ProjectDep,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> RunResultsPublic:
    """Per case (paginated by case): input, expected output, each variant's outputs (one
    per repetition) with scores, cost and latency, and a diff against variant 0."""
    return runs_results.results(
        core, project_id=project_id, run_id=run_id, offset=offset, limit=limit
    )


@router.post("/evaluations/{run_id}/cancel")
def cancel_evaluation(
    run_id: RunId, core: CoreDep, _ctx: EvalRun, project_id: ProjectDep
) -> RunPublic:
    """Stop a queued or running run; what is not finished stays pending (409 when the
    run is already finished)."""
    return runs.cancel_run(core, project_id=project_id, run_id=run_id)


@router.post("/evaluations/{run_id}/resume")
def resume_evaluation(
    run_id: RunId, request: Request, core: CoreDep, _ctx: EvalRun, project_id: ProjectDep
) -> RunPublic:
    """Queue a cancelled or failed run again: only its unfinished items run (each item
    runs exactly once)."""
    resumed = runs.resume_run(core, project_id=project_id, run_id=run_id)
    _wake(request)
    return resumed


@router.get("/evaluations/{run_id}/compare")
def compare_evaluation(
    run_id: RunId,
    core: CoreDep,
    _ctx: EvalRead,
    project_id: ProjectDep,
    baseline: Annotated[int, Query(ge=1, le=2**62, description="the earlier run's id")],
    variant: Annotated[int, Query(ge=0, le=64)] = 0,
    baseline_variant: Annotated[int, Query(ge=0, le=64)] = 0,
) -> RunComparePublic:
    """Which cases regressed or improved per evaluator against an earlier run of the same
    prompt (cases matched by id), both runs' intervals, and the prompt's trend."""
    return runs_results.compare(
        core,
        project_id=project_id,
        run_id=run_id,
        baseline_id=baseline,
        variant=variant,
        baseline_variant=baseline_variant,
    )
