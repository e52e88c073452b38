"""Experiments: online A/B tests of a prompt's labels, offline comparisons of
evaluation results, the power calculator (docs/experiments.md, docs/statistics.md)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from starlette.concurrency import run_in_threadpool

from promptyard.domain.actor import RequestContext
from promptyard.domain.errors import Forbidden
from promptyard.domain.schemas import LABEL_PATTERN, NAME_PATTERN
from promptyard.server.api.v1.params import ObjectId
from promptyard.server.deps import CoreDep, ProjectDep, ReadCtx, require
from promptyard.services.experiments import analysis, assignment, lifecycle, offline
from promptyard.services.experiments.schemas import (
    ActiveExperiments,
    AssignmentPublic,
    ExperimentCreate,
    ExperimentPublic,
    ExperimentsPublic,
    OfflineCompareIn,
    OfflineComparisonPublic,
    PowerPublic,
    PowerRequest,
    PromoteRequest,
    PromotionPublic,
    ResultsPublic,
    StopRequest,
)

router = APIRouter(prefix="/experiments", tags=["experiments"])

ExperimentRead = Annotated[RequestContext, Depends(require("experiment:read"))]
ExperimentManage = Annotated[RequestContext, Depends(require("experiment:manage"))]
PromptFilter = Annotated[str | None, Query(pattern=NAME_PATTERN, description="one prompt's")]


@router.get("")
def list_experiments(
    core: CoreDep,
    _ctx: ExperimentRead,
    project_id: ProjectDep,
    prompt: PromptFilter = None,
    status: Annotated[Literal["draft", "running", "stopped"] | None, Query()] = None,
) -> ExperimentsPublic:
    """The project's experiments, newest first."""
    items = lifecycle.list_experiments(core, project_id=project_id, prompt=prompt, status=status)
    return ExperimentsPublic(items=items)


@router.post("", status_code=201)
def create_experiment(
    body: ExperimentCreate, core: CoreDep, ctx: ExperimentManage, project_id: ProjectDep
) -> ExperimentPublic:
    """Design an experiment (a draft): variants (the first is the control) with weights,
    the unit (user or session), the primary metric, guardrails and the minimum detectable
    effect, from which the power calculator gives the sample size per variant."""
    return lifecycle.create(core, ctx=ctx, project_id=project_id, data=body)


@router.post("/power")
def power(body: PowerRequest, _ctx: ExperimentRead) -> PowerPublic:
    """The sample size per variant that detects a minimum effect with the given power."""
    return lifecycle.power(body)


@router.post("/offline")
def compare_offline(body: OfflineCompareIn, _ctx: ExperimentRead) -> OfflineComparisonPublic:
    """Compare variants scored on the same cases (paired t / Wilcoxon, or McNemar)."""
    return offline.compare(body)


@router.get("/offline/runs/{run_id}")
def compare_run(
    run_id: ObjectId,
    core: CoreDep,
    _ctx: ExperimentRead,
    project_id: ProjectDep,
    evaluator: Annotated[str, Query(min_length=1, max_length=200, examples=["exact_match"])],
    kind: Annotated[Literal["score", "pass_fail"], Query()] = "score",
    test: Annotated[Literal["auto", "paired_t", "wilcoxon"], Query()] = "auto",
    direction: Annotated[Literal["higher", "lower"], Query()] = "higher",
) -> OfflineComparisonPublic:
    """Compare an evaluation run's variants on one evaluator, paired by case."""
    return offline.compare_run(
        core, project_id=project_id, run_id=run_id, evaluator=evaluator, kind=kind, test=test,
        direction=direction,
    )  # fmt: skip


@router.get("/active")
def active(
    core: CoreDep, _ctx: ReadCtx, project_id: ProjectDep, prompt: PromptFilter = None
) -> ActiveExperiments:
    """Running experiments with their variants and weights, for SDKs that assign locally
    (sha256 of ``"<id>:<unit>"``, see docs/experiments.md)."""
    return assignment.active(core, project_id=project_id, prompt=prompt)


@router.get("/assignment", responses={200: {"description": "the unit's variant, or null"}})
def get_assignment(
    core: CoreDep,
    _ctx: ReadCtx,
    project_id: ProjectDep,
    prompt: Annotated[str, Query(pattern=NAME_PATTERN)],
    unit: Annotated[str, Query(min_length=1, max_length=200)],
    label: Annotated[str, Query(pattern=LABEL_PATTERN)] = "production",
) -> AssignmentPublic | None:
    """Which variant a unit gets on ``prompt@label`` (null when no experiment runs there)."""
    return assignment.assignment_for(
        core, project_id=project_id, prompt=prompt, label=label, unit=unit
    )


@router.get("/{experiment_id}")
def get_experiment(
    experiment_id: ObjectId, core: CoreDep, _ctx: ExperimentRead, project_id: ProjectDep
) -> ExperimentPublic:
    return lifecycle.get(core, project_id=project_id, experiment_id=experiment_id)


@router.get("/{experiment_id}/results")
async def results(
    experiment_id: ObjectId, core: CoreDep, _ctx: ExperimentRead, project_id: ProjectDep
) -> ResultsPublic:
    """Per metric and variant: the estimate against the control, its interval, the
    p-value, the always-valid p-value and interval, the verdict, the sample ratio check
    and the series over time."""
    return await run_in_threadpool(
        analysis.results, core, project_id=project_id, experiment_id=experiment_id
    )


@router.post("/{experiment_id}/start")
def start(
    experiment_id: ObjectId, core: CoreDep, ctx: ExperimentManage, project_id: ProjectDep
) -> ExperimentPublic:
    """Start splitting traffic (every variant's label must exist)."""
    return lifecycle.start(core, ctx=ctx, project_id=project_id, experiment_id=experiment_id)


@router.post("/{experiment_id}/stop")
def stop(
    experiment_id: ObjectId,
    core: CoreDep,
    ctx: ExperimentManage,
    project_id: ProjectDep,
    body: StopRequest | None = None,
) -> ExperimentPublic:
    """Stop: all traffic goes back to the control at once."""
    reason = body.reason if body is not None else None
    return lifecycle.stop(
        core, ctx=ctx, project_id=project_id, experiment_id=experiment_id, reason=reason
    )


@router.post("/{experiment_id}/promote")
def promote(
    experiment_id: ObjectId,
    core: CoreDep,
    ctx: ExperimentManage,
    project_id: ProjectDep,
    body: PromoteRequest | None = None,
) -> PromotionPublic:
    """Move the control's label to the winner's version: directly, or through a change
    request when the label is protected; the experiment stops. Needs ``prompt:label``."""
    if not ctx.actor.can("prompt:label"):
        raise Forbidden("promoting moves a label: it needs the prompt:label permission")
    data = body or PromoteRequest(variant=None, description="", sample_variables={})
    winner = None
    if data.variant is None:
        found = analysis.results(core, project_id=project_id, experiment_id=experiment_id)
        winner = analysis.winner(found)
    return lifecycle.promote(
        core, ctx=ctx, project_id=project_id, experiment_id=experiment_id, data=data, winner=winner
    )
