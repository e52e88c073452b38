"""Evaluators (``/api/v1/evaluators``): the library of kinds with their config schemas,
trying one on a given output; and the stored scores (``/api/v1/scores``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response

from promptyard.domain.actor import RequestContext
from promptyard.domain.schemas import NAME_PATTERN
from promptyard.server.deps import CoreDep, ProjectDep, require
from promptyard.services.evaluation import evaluators, online, scores
from promptyard.services.evaluation.datasets import Case
from promptyard.services.evaluation.evaluators_schemas import (
    EvaluatorKindPublic,
    EvaluatorKindsPublic,
    EvaluatorTest,
    ScorePublic,
    ScoresPublic,
    StoredScorePublic,
)
from promptyard.services.evaluation.online import (
    OnlineEvaluatorCreate,
    OnlineEvaluatorPublic,
    OnlineEvaluatorsPublic,
    OnlineEvaluatorUpdate,
)
from promptyard.services.telemetry.schemas import ID_PATTERN

router = APIRouter(tags=["evaluators"])

EvalRead = Annotated[RequestContext, Depends(require("evaluation:read"))]
EvalRun = Annotated[RequestContext, Depends(require("evaluation:run"))]


@router.get("/evaluators")
def list_evaluators(core: CoreDep, _ctx: EvalRead) -> EvaluatorKindsPublic:
    """Every evaluator kind (built-in and from plugins) with its config's JSON Schema and
    whether it can run here (embedding similarity needs the semantic extra)."""
    return EvaluatorKindsPublic(
        items=[EvaluatorKindPublic.model_validate(e) for e in evaluators.catalogue(core)]
    )


@router.post("/evaluators/test")
def test_evaluator(
    body: EvaluatorTest, core: CoreDep, _ctx: EvalRun, project_id: ProjectDep
) -> ScorePublic:
    """Run one evaluator on the given output (and expected output, input variables,
    second output, generation figures). Nothing is stored, except that a judge's model
    call is recorded as a generation like every call. 422 for an unknown kind, a bad
    config or a missing input the kind requires."""
    spec = evaluators.EvaluatorSpec(kind=body.kind, name=body.name or body.kind, config=body.config)
    evaluators.validate_spec(spec, core)
    case = Case(id="test", input=body.input, expected=body.expected, metadata={})
    score = evaluators.evaluate(
        core,
        spec,
        case=case,
        output=body.output,
        generation=body.generation,
        project_id=project_id,
        output_b=body.output_b,
        seed=body.seed,
    )
    return ScorePublic(
        name=score.name,
        kind=score.kind,
        value=score.value,
        passed=score.passed,
        reason=score.reason,
        cost=score.cost,
        source=score.source,
        details=score.details,
    )


@router.get("/scores")
def list_scores(
    core: CoreDep,
    _ctx: EvalRead,
    project_id: ProjectDep,
    generation_id: Annotated[str | None, Query(pattern=ID_PATTERN)] = None,
    run_id: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    name: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
    source: Annotated[
        str | None, Query(pattern="^(evaluator|judge|human|online|evaluation)$")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> ScoresPublic:
    """Stored scores of the project, newest first: of a generation, a run, an evaluator
    name or a source (evaluator, judge, human, online, evaluation)."""
    rows = scores.list_scores(
        core,
        project_id=project_id,
        generation_id=generation_id,
        run_id=run_id,
        name=name,
        source=source,
        limit=limit,
    )
    return ScoresPublic(items=[StoredScorePublic.model_validate(r) for r in rows])


OnlineName = Annotated[
    str,
    Path(pattern=NAME_PATTERN, description="online evaluator name", examples=["reply-length"]),
]


@router.get("/online-evaluators")
def list_online_evaluators(
    core: CoreDep, _ctx: EvalRead, project_id: ProjectDep
) -> OnlineEvaluatorsPublic:
    """Evaluators attached to prompts in production, with how many generations each scored."""
    return online.list_all(core, project_id)


@router.post(
    "/online-evaluators",
    status_code=201,
    responses={201: {"description": "attached: it scores generations stored from now on"}},
)
def create_online_evaluator(
    body: OnlineEvaluatorCreate, core: CoreDep, ctx: EvalRun, project_id: ProjectDep
) -> OnlineEvaluatorPublic:
    """Attach an evaluator to a prompt: a background job scores ``sample_rate`` of its new
    generations (scores of source ``online``). Kinds that need an expected output or a
    second output are refused (422)."""
    return online.create(core, ctx, project_id, body)


@router.patch("/online-evaluators/{name}")
def update_online_evaluator(
    name: OnlineName,
    body: OnlineEvaluatorUpdate,
    core: CoreDep,
    ctx: EvalRun,
    project_id: ProjectDep,
) -> OnlineEvaluatorPublic:
    """Pause or resume it, or change its sample rate."""
    return online.update_one(core, ctx, project_id, name, body)


@router.delete(
    "/online-evaluators/{name}", status_code=204, responses={204: {"description": "detached"}}
)
def delete_online_evaluator(
    name: OnlineName, core: CoreDep, ctx: EvalRun, project_id: ProjectDep
) -> Response:
    """Detach it (the scores it gave stay)."""
    online.delete(core, ctx, project_id, name)
    return Response(status_code=204)
