"""Online evaluation: an evaluator attached to a prompt in production scores a sampled
share of its new generations, in the background, as scores of source ``online``.

Sampling is deterministic: a generation is scored when a hash of (the attachment's id,
the generation's id) falls below ``sample_rate``, so a retried step scores the same ones.
Only evaluators that need nothing but the output (and the generation's figures) fit: not
those that compare with an expected output or a second output. :func:`score_new` is the
background step (``workers/jobs.py``: ``online_evaluation``); each attachment keeps a
cursor (the last generation row it looked at), moved before scoring with a
compare-and-set, so two processes never score the same generations.
"""

from __future__ import annotations

import hashlib
from typing import Annotated, Any

from pydantic import BaseModel, Field
from sqlalchemy import select, update

from promptyard.domain.actor import RequestContext
from promptyard.domain.errors import AlreadyExists, NotFound, ValidationFailed
from promptyard.domain.schemas import NAME_PATTERN, Input, request_examples
from promptyard.services.context import Core
from promptyard.services.evaluation import evaluators, scores
from promptyard.services.evaluation.datasets import Case
from promptyard.services.operations import audit
from promptyard.services.telemetry.events import event_store
from promptyard.store.models import SqlGeneration, SqlOnlineEvaluator

#: Generations looked at per attachment and step.
BATCH = 200


class OnlineEvaluatorCreate(Input):
    model_config = request_examples(
        {
            "name": "reply-length",
            "prompt": "greeting",
            "kind": "length",
            "config": {"max_words": 120},
            "sample_rate": 0.2,
        }
    )

    name: Annotated[str, Field(pattern=NAME_PATTERN)]
    prompt: Annotated[str, Field(pattern=NAME_PATTERN)]
    kind: str = Field(min_length=1, max_length=64)
    config: dict[str, Any] = Field(default_factory=dict)
    sample_rate: float = Field(gt=0, le=1, description="the share of generations scored")


class OnlineEvaluatorUpdate(Input):
    model_config = request_examples({"active": False})

    active: bool | None = None
    sample_rate: float | None = Field(default=None, gt=0, le=1)


class OnlineEvaluatorPublic(BaseModel):
    id: int
    name: str
    prompt: str
    kind: str
    config: dict[str, Any]
    sample_rate: float
    active: bool
    scored: int
    created_by: str
    created_at: Any


class OnlineEvaluatorsPublic(BaseModel):
    items: list[OnlineEvaluatorPublic]


def _public(row: SqlOnlineEvaluator) -> OnlineEvaluatorPublic:
    return OnlineEvaluatorPublic(
        id=row.id,
        name=row.name,
        prompt=row.prompt_name,
        kind=row.kind,
        config=row.config or {},
        sample_rate=row.sample_rate,
        active=row.active,
        scored=row.scored,
        created_by=row.created_by,
        created_at=row.created_at,
    )


def sampled(attachment_id: int, generation_id: str, rate: float) -> bool:
    """Whether this attachment scores this generation (a stable hash under ``rate``)."""
    digest = hashlib.sha256(f"{attachment_id}:{generation_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < rate


def create(
    core: Core, ctx: RequestContext, project_id: int, body: OnlineEvaluatorCreate
) -> OnlineEvaluatorPublic:
    """Attach an evaluator to a prompt: it scores generations stored from now on."""
    spec = evaluators.EvaluatorSpec(kind=body.kind, name=body.name, config=body.config)
    evaluators.validate_spec(spec, core)
    needs = set(evaluators.registry(core)[body.kind].requires) & {"expected", "output_b"}
    if needs:
        raise ValidationFailed(
            f"evaluator kind {body.kind!r} needs {', '.join(sorted(needs))}, which production "
            "traffic does not have: choose one that scores the output alone"
        )
    cursor = event_store(core).last_generation_pk(project_id)
    with core.store.write() as session:
        taken = session.scalar(
            select(SqlOnlineEvaluator.id).where(
                SqlOnlineEvaluator.project_id == project_id, SqlOnlineEvaluator.name == body.name
            )
        )
        if taken is not None:
            raise AlreadyExists(f"the project already has an online evaluator {body.name!r}")
        row = SqlOnlineEvaluator(
            project_id=project_id,
            name=body.name,
            prompt_name=body.prompt,
            kind=body.kind,
            config=body.config,
            sample_rate=body.sample_rate,
            active=True,
            last_generation_pk=cursor,
            scored=0,
            created_by=ctx.actor.ref,
            created_at=core.clock(),
        )
        session.add(row)
        session.flush()
        audit.append(
            core,
            session,
            ctx=ctx,
            action="online_evaluator.create",
            object_type="online_evaluator",
            object_id=body.name,
            summary={"project_id": project_id, "prompt": body.prompt, "kind": body.kind},
        )
        return _public(row)


def list_all(core: Core, project_id: int) -> OnlineEvaluatorsPublic:
    with core.store.read() as session:
        rows = session.scalars(
            select(SqlOnlineEvaluator)
            .where(SqlOnlineEvaluator.project_id == project_id)
            .order_by(SqlOnlineEvaluator.name)
        ).all()
        return OnlineEvaluatorsPublic(items=[_public(r) for r in rows])


def _load(session: Any, project_id: int, name: str) -> SqlOnlineEvaluator:
    row = session.scalars(
        select(SqlOnlineEvaluator).where(
            SqlOnlineEvaluator.project_id == project_id, SqlOnlineEvaluator.name == name
        )
    ).first()
    if row is None:
        raise NotFound(f"no online evaluator {name!r} in this project")
    return row


def update_one(
    core: Core, ctx: RequestContext, project_id: int, name: str, body: OnlineEvaluatorUpdate
) -> OnlineEvaluatorPublic:
    with core.store.write() as session:
        row = _load(session, project_id, name)
        if body.active is not None:
            row.active = body.active
        if body.sample_rate is not None:
            row.sample_rate = body.sample_rate
        audit.append(
            core,
            session,
            ctx=ctx,
            action="online_evaluator.update",
            object_type="online_evaluator",
            object_id=name,
            summary=body.model_dump(exclude_none=True),
        )
        return _public(row)


def delete(core: Core, ctx: RequestContext, project_id: int, name: str) -> None:
    with core.store.write() as session:
        row = _load(session, project_id, name)
        session.delete(row)
        audit.append(
            core,
            session,
            ctx=ctx,
            action="online_evaluator.delete",
            object_type="online_evaluator",
            object_id=name,
            summary={"project_id": project_id},
        )


def _claim(core: Core, row_id: int, old: int, new: int) -> bool:
    with core.store.write() as session:
        result = session.execute(
            update(SqlOnlineEvaluator)
            .where(SqlOnlineEvaluator.id == row_id, SqlOnlineEvaluator.last_generation_pk == old)
            .values(last_generation_pk=new)
        )
    return bool(getattr(result, "rowcount", 0))


def _score_one(core: Core, row: SqlOnlineEvaluator, g: SqlGeneration) -> dict[str, Any]:
    spec = evaluators.EvaluatorSpec(kind=row.kind, name=row.name, config=row.config or {})
    variables = (g.meta or {}).get("variables")
    case = Case(id=g.id, input=dict(variables) if isinstance(variables, dict) else {})
    cost = None if g.input_cost is None else g.input_cost + (g.output_cost or 0.0)
    score = evaluators.evaluate(
        core,
        spec,
        case=case,
        output=g.output_text or "",
        generation={
            "input_tokens": g.input_tokens,
            "output_tokens": g.output_tokens,
            "cost": cost,
            "latency_ms": g.latency_ms,
        },
        project_id=row.project_id,
    )
    return {
        "project_id": row.project_id,
        "generation_id": g.id,
        "name": row.name,
        "kind": row.kind,
        "value": score.value,
        "passed": score.passed,
        "reason": score.reason,
        "cost": score.cost,
        "details": {**score.details, "online_evaluator": row.id},
        "source": "online",
        "created_by": f"online:{row.name}",
    }


def score_new(core: Core, *, batch: int = BATCH) -> int:
    """One step: every active attachment scores its sampled share of the generations
    stored since its cursor. Returns how many generations were scored."""
    with core.store.read() as session:
        rows = session.scalars(
            select(SqlOnlineEvaluator).where(SqlOnlineEvaluator.active.is_(True))
        ).all()
        session.expunge_all()
    events = event_store(core)
    total = 0
    for row in rows:
        fresh = events.generations_after(
            row.project_id, row.prompt_name, row.last_generation_pk, batch
        )
        if not fresh or not _claim(core, row.id, row.last_generation_pk, fresh[-1].pk):
            continue
        picked = [
            g
            for g in fresh
            if g.status == "ok"
            and g.output_text is not None
            and sampled(row.id, g.id, row.sample_rate)
        ]
        score_rows = [_score_one(core, row, g) for g in picked]
        scores.record_scores(core, score_rows)
        if score_rows:
            with core.store.write() as session:
                session.execute(
                    update(SqlOnlineEvaluator)
                    .where(SqlOnlineEvaluator.id == row.id)
                    .values(scored=SqlOnlineEvaluator.scored + len(score_rows))
                )
        total += len(score_rows)
    return total
