"""Annotation queues (``/api/v1/annotation-queues``): queues with the judge's rubric,
their items, working them (next item, lease, skip, scores) and judge/human agreement."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Response

from promptyard.domain.actor import RequestContext
from promptyard.domain.schemas import NAME_PATTERN
from promptyard.server.deps import CoreDep, ProjectDep, require
from promptyard.services.evaluation import annotation, annotation_agreement, annotation_work
from promptyard.services.evaluation.annotation_schemas import (
    AgreementPublic,
    ItemPublic,
    ItemsAdd,
    ItemsAdded,
    ItemsPublic,
    NextPublic,
    QueueCreate,
    QueuePublic,
    QueuesPublic,
    QueueUpdate,
    Submission,
    SubmissionPublic,
    WorkItemPublic,
)

router = APIRouter(tags=["annotation"])

Read = Annotated[RequestContext, Depends(require("annotation:read"))]
Score = Annotated[RequestContext, Depends(require("annotation:score"))]
Manage = Annotated[RequestContext, Depends(require("annotation:manage"))]
QueueId = Annotated[int, Path(ge=1, le=2**62, description="the queue's id", examples=[1])]
ItemId = Annotated[int, Path(ge=1, le=2**62, description="the item's id", examples=[1])]


@router.get("/annotation-queues")
def list_queues(core: CoreDep, _ctx: Read, project_id: ProjectDep) -> QueuesPublic:
    """The project's annotation queues with their progress."""
    return annotation.list_queues(core, project_id)


@router.post(
    "/annotation-queues",
    status_code=201,
    responses={201: {"description": "the queue, empty: add items next"}},
)
def create_queue(
    body: QueueCreate, core: CoreDep, ctx: Manage, project_id: ProjectDep
) -> QueuePublic:
    """Make a queue: a name, the rubric (the llm_judge evaluator's rubric schema), how
    many different people score each item, and the lease of a claimed item. 409 when
    the name is taken."""
    return annotation.create_queue(core, ctx, project_id, body)


@router.get("/annotation-queues/{queue_id}")
def get_queue(queue_id: QueueId, core: CoreDep, _ctx: Read, project_id: ProjectDep) -> QueuePublic:
    return annotation.get_queue(core, project_id, queue_id)


@router.patch("/annotation-queues/{queue_id}")
def update_queue(
    queue_id: QueueId, body: QueueUpdate, core: CoreDep, ctx: Manage, project_id: ProjectDep
) -> QueuePublic:
    """Change the description, the lease, or the people needed per item (items reaching
    the new number are done; raising it reopens done items)."""
    return annotation.update_queue(core, ctx, project_id, queue_id, body)


@router.delete(
    "/annotation-queues/{queue_id}",
    status_code=204,
    responses={204: {"description": "deleted (the scores people gave stay)"}},
)
def delete_queue(queue_id: QueueId, core: CoreDep, ctx: Manage, project_id: ProjectDep) -> Response:
    annotation.delete_queue(core, ctx, project_id, queue_id)
    return Response(status_code=204)


@router.get("/annotation-queues/{queue_id}/items")
def list_items(
    queue_id: QueueId,
    core: CoreDep,
    _ctx: Read,
    project_id: ProjectDep,
    status: Literal["pending", "done"] | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> ItemsPublic:
    """The queue's items, oldest first, with who claimed, skipped or scored each."""
    return annotation.list_items(
        core, project_id, queue_id, status=status, limit=limit, offset=offset
    )


@router.post("/annotation-queues/{queue_id}/items", status_code=201)
def add_items(
    queue_id: QueueId, body: ItemsAdd, core: CoreDep, ctx: Manage, project_id: ProjectDep
) -> ItemsAdded:
    """Add stored generations: by id, the case results of an evaluation run (one variant
    or all), or a generations filter (prompt, negative feedback, since) up to ``limit``.
    One already in the queue is skipped; a queue holds at most 10,000 items."""
    return annotation.add_items(core, ctx, project_id, queue_id, body)


@router.post("/annotation-queues/{queue_id}/next")
def next_item(queue_id: QueueId, core: CoreDep, ctx: Score, project_id: ProjectDep) -> NextPublic:
    """The caller's next item, locked to them for the queue's lease (the item they
    already hold, renewed, if any): its input, output, the reference answer of a run's
    case and the rubric. ``work`` is null when nothing is left for them."""
    return annotation_work.next_item(core, ctx, project_id, queue_id)


@router.post("/annotation-queues/{queue_id}/items/{item_id}/lease")
def renew_lease(
    queue_id: QueueId, item_id: ItemId, core: CoreDep, ctx: Score, project_id: ProjectDep
) -> WorkItemPublic:
    """Extend the caller's lock on the item by the queue's lease. 409 ``not_locked``
    when they do not hold it (it expired and someone else took it)."""
    return annotation_work.renew(core, ctx, project_id, queue_id, item_id)


@router.post("/annotation-queues/{queue_id}/items/{item_id}/skip")
def skip_item(
    queue_id: QueueId, item_id: ItemId, core: CoreDep, ctx: Score, project_id: ProjectDep
) -> ItemPublic:
    """Give the item back without scoring it; the caller is not offered it again."""
    return annotation_work.skip(core, ctx, project_id, queue_id, item_id)


@router.post("/annotation-queues/{queue_id}/items/{item_id}/scores", status_code=201)
def submit_scores(
    queue_id: QueueId,
    item_id: ItemId,
    body: Submission,
    core: CoreDep,
    ctx: Score,
    project_id: ProjectDep,
) -> SubmissionPublic:
    """Score the item the caller holds: every rubric criterion on the rubric's scale, and
    an optional comment. Stored as scores of source ``human`` attributed to the caller;
    releases the lock. 409 ``not_locked`` without a lock, 422 for a missing, unknown or
    out-of-scale criterion."""
    return annotation_work.submit(core, ctx, project_id, queue_id, item_id, body)


@router.get("/annotation-queues/{queue_id}/agreement")
def get_agreement(
    queue_id: QueueId,
    core: CoreDep,
    _ctx: Read,
    project_id: ProjectDep,
    judge: Annotated[
        str | None, Query(pattern=NAME_PATTERN, description="the judge evaluator's score name")
    ] = None,
) -> AgreementPublic:
    """Per rubric criterion: the LLM judge against the people (n, mean absolute
    difference, Spearman, quadratic-weighted kappa, Krippendorff's alpha) and the people
    among themselves (Krippendorff's alpha), each coefficient read in words."""
    return annotation_agreement.agreement(core, project_id, queue_id, judge=judge)
