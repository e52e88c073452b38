"""Annotation queues: people score generations by a rubric, the LLM judge's own.

A queue belongs to a project and holds items, each a stored generation (production
traffic, or the output of a case of an evaluation run). Each item is scored by
``annotators_required`` different people; working a queue (claiming, leases, skipping,
submitting) is in :mod:`.annotation_work`, agreement with the judge in
:mod:`.annotation_agreement`. Scores go to the ``scores`` table (source ``human``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, case, func, select

from promptyard.domain.actor import RequestContext
from promptyard.domain.errors import AlreadyExists, NotFound, ValidationFailed
from promptyard.services.context import Core
from promptyard.services.evaluation.annotation_schemas import (
    MAX_ITEMS,
    ClaimPublic,
    ItemPublic,
    ItemsAdd,
    ItemsAdded,
    ItemsPublic,
    QueueCounts,
    QueueCreate,
    QueuePublic,
    QueuesPublic,
    QueueUpdate,
)
from promptyard.services.evaluation.datasets_schemas import FromGenerations
from promptyard.services.evaluation.datasets_sources import select_generations
from promptyard.services.evaluation.evaluators_judge import Rubric
from promptyard.services.operations import audit
from promptyard.store.models import (
    SqlAnnotationClaim,
    SqlAnnotationItem,
    SqlAnnotationQueue,
    SqlEvaluationRun,
    SqlEvaluationRunItem,
)


def load_queue(session: Any, project_id: int, queue_id: int) -> SqlAnnotationQueue:
    row = session.scalars(
        select(SqlAnnotationQueue).where(
            SqlAnnotationQueue.project_id == project_id, SqlAnnotationQueue.id == queue_id
        )
    ).first()
    if row is None:
        raise NotFound(f"no annotation queue {queue_id} in this project")
    return row


def _counts(core: Core, session: Any, queue_ids: list[int]) -> dict[int, QueueCounts]:
    out = {
        qid: QueueCounts(items=0, done=0, pending=0, locked=0, submissions=0) for qid in queue_ids
    }
    if not queue_ids:
        return out
    items = session.execute(
        select(
            SqlAnnotationItem.queue_id,
            func.count(),
            func.sum(case((SqlAnnotationItem.status == "done", 1), else_=0)),
            func.sum(SqlAnnotationItem.submitted),
        )
        .where(SqlAnnotationItem.queue_id.in_(queue_ids))
        .group_by(SqlAnnotationItem.queue_id)
    ).all()
    for qid, total, done, submissions in items:
        out[qid] = QueueCounts(
            items=total,
            done=int(done or 0),
            pending=total - int(done or 0),
            locked=0,
            submissions=int(submissions or 0),
        )
    locked = session.execute(
        select(SqlAnnotationClaim.queue_id, func.count(func.distinct(SqlAnnotationClaim.item_id)))
        .where(
            SqlAnnotationClaim.queue_id.in_(queue_ids),
            SqlAnnotationClaim.status == "locked",
            SqlAnnotationClaim.locked_until > core.clock(),
        )
        .group_by(SqlAnnotationClaim.queue_id)
    ).all()
    for qid, n in locked:
        out[qid].locked = n
    return out


def queue_public(row: SqlAnnotationQueue, counts: QueueCounts) -> QueuePublic:
    return QueuePublic(
        id=row.id,
        name=row.name,
        description=row.description,
        rubric=Rubric.model_validate(row.rubric),
        annotators_required=row.annotators_required,
        lease_seconds=row.lease_seconds,
        counts=counts,
        created_by=row.created_by,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def create_queue(
    core: Core, ctx: RequestContext, project_id: int, body: QueueCreate
) -> QueuePublic:
    now = core.clock()
    with core.store.write() as session:
        taken = session.scalar(
            select(SqlAnnotationQueue.id).where(
                SqlAnnotationQueue.project_id == project_id, SqlAnnotationQueue.name == body.name
            )
        )
        if taken is not None:
            raise AlreadyExists(f"the project already has an annotation queue {body.name!r}")
        row = SqlAnnotationQueue(
            project_id=project_id,
            name=body.name,
            description=body.description,
            rubric=body.rubric.model_dump(mode="json"),
            annotators_required=body.annotators_required,
            lease_seconds=body.lease_seconds,
            created_by=ctx.actor.ref,
            created_at=now,
            updated_at=now,
        )
        session.add(row)
        session.flush()
        audit.append(
            core,
            session,
            ctx=ctx,
            action="annotation_queue.create",
            object_type="annotation_queue",
            object_id=str(row.id),
            summary={"project_id": project_id, "name": body.name},
        )
        return queue_public(row, QueueCounts(items=0, done=0, pending=0, locked=0, submissions=0))


def list_queues(core: Core, project_id: int) -> QueuesPublic:
    with core.store.read() as session:
        rows = session.scalars(
            select(SqlAnnotationQueue)
            .where(SqlAnnotationQueue.project_id == project_id)
            .order_by(SqlAnnotationQueue.name)
            .limit(500)
        ).all()
        counts = _counts(core, session, [r.id for r in rows])
        return QueuesPublic(items=[queue_public(r, counts[r.id]) for r in rows])


def get_queue(core: Core, project_id: int, queue_id: int) -> QueuePublic:
    with core.store.read() as session:
        row = load_queue(session, project_id, queue_id)
        return queue_public(row, _counts(core, session, [row.id])[row.id])


def update_queue(
    core: Core, ctx: RequestContext, project_id: int, queue_id: int, body: QueueUpdate
) -> QueuePublic:
    """Change the description, the lease, or how many people score each item (items
    that now reach it become done; raising it reopens done items)."""
    with core.store.write() as session:
        row = load_queue(session, project_id, queue_id)
        changes = body.model_dump(exclude_none=True)
        for key, value in changes.items():
            setattr(row, key, value)
        row.updated_at = core.clock()
        if body.annotators_required is not None:
            _restate(session, row, core)
        audit.append(
            core,
            session,
            ctx=ctx,
            action="annotation_queue.update",
            object_type="annotation_queue",
            object_id=str(row.id),
            summary={"project_id": project_id, **changes},
        )
        session.flush()
        return queue_public(row, _counts(core, session, [row.id])[row.id])


def _restate(session: Any, queue: SqlAnnotationQueue, core: Core) -> None:
    items = session.scalars(
        select(SqlAnnotationItem).where(SqlAnnotationItem.queue_id == queue.id)
    ).all()
    for item in items:
        done = item.submitted >= queue.annotators_required
        if done and item.status != "done":
            item.status, item.done_at = "done", core.clock()
        elif not done and item.status == "done":
            item.status, item.done_at = "pending", None


def delete_queue(core: Core, ctx: RequestContext, project_id: int, queue_id: int) -> None:
    """Delete the queue, its items and claims (the scores people gave stay)."""
    with core.store.write() as session:
        row = load_queue(session, project_id, queue_id)
        session.delete(row)
        audit.append(
            core,
            session,
            ctx=ctx,
            action="annotation_queue.delete",
            object_type="annotation_queue",
            object_id=str(queue_id),
            summary={"project_id": project_id, "name": row.name},
        )


def _from_run(
    core: Core, project_id: int, body: ItemsAdd
) -> list[tuple[str, int | None, str | None]]:
    with core.store.read() as session:
        run = session.scalar(
            select(SqlEvaluationRun.id).where(
                SqlEvaluationRun.project_id == project_id, SqlEvaluationRun.id == body.run_id
            )
        )
        if run is None:
            raise NotFound(f"no evaluation run {body.run_id} in this project")
        query = select(SqlEvaluationRunItem.generation_id, SqlEvaluationRunItem.case_id).where(
            SqlEvaluationRunItem.run_id == body.run_id,
            SqlEvaluationRunItem.status == "done",
            SqlEvaluationRunItem.generation_id.is_not(None),
        )
        if body.variant is not None:
            query = query.where(SqlEvaluationRunItem.variant == body.variant)
        rows = session.execute(
            query.order_by(SqlEvaluationRunItem.case_index, SqlEvaluationRunItem.variant).limit(
                body.limit
            )
        ).all()
    return [(str(gid), body.run_id, case_id) for gid, case_id in rows]


def _picked(
    core: Core, project_id: int, body: ItemsAdd
) -> list[tuple[str, int | None, str | None]]:
    sources = sum(
        [
            bool(body.generation_ids),
            body.run_id is not None,
            bool(body.prompt or body.negative_feedback),
        ]
    )
    if sources != 1:
        raise ValidationFailed(
            "pick items one way: generation_ids, run_id (and variant), or a filter "
            "(prompt, negative_feedback, since) with limit"
        )
    if body.variant is not None and body.run_id is None:
        raise ValidationFailed("variant picks the variant of a run: give run_id too")
    if body.run_id is not None:
        return _from_run(core, project_id, body)
    picked = select_generations(
        core,
        project_id,
        FromGenerations(
            generation_ids=body.generation_ids,
            prompt=body.prompt,
            negative_feedback=body.negative_feedback,
            since=body.since,
            limit=body.limit,
        ),
    )
    return [(row.id, None, None) for row, _ in picked]


def add_items(
    core: Core, ctx: RequestContext, project_id: int, queue_id: int, body: ItemsAdd
) -> ItemsAdded:
    """Add generations to the queue; one already in it is skipped. A queue holds at most
    :data:`MAX_ITEMS` items (422 ``queue_full``)."""
    with core.store.read() as session:
        load_queue(session, project_id, queue_id)
    picked = list(
        {gid: (gid, run, case_id) for gid, run, case_id in _picked(core, project_id, body)}.values()
    )
    if not picked:
        raise ValidationFailed("no generation matched", code="nothing_to_add")
    now = core.clock()
    with core.store.write() as session:
        queue = load_queue(session, project_id, queue_id)
        known = set(
            session.scalars(
                select(SqlAnnotationItem.generation_id).where(
                    SqlAnnotationItem.queue_id == queue_id,
                    SqlAnnotationItem.generation_id.in_([p[0] for p in picked]),
                )
            ).all()
        )
        fresh = [p for p in picked if p[0] not in known]
        total = (
            session.scalar(select(func.count()).where(SqlAnnotationItem.queue_id == queue_id)) or 0
        )
        if total + len(fresh) > MAX_ITEMS:
            raise ValidationFailed(
                f"a queue holds at most {MAX_ITEMS} items ({total} now): make another queue",
                code="queue_full",
            )
        session.add_all(
            SqlAnnotationItem(
                queue_id=queue_id,
                project_id=project_id,
                generation_id=gid,
                run_id=run,
                case_id=case_id,
                status="pending",
                submitted=0,
                created_at=now,
            )
            for gid, run, case_id in fresh
        )
        queue.updated_at = now
        audit.append(
            core,
            session,
            ctx=ctx,
            action="annotation_queue.add_items",
            object_type="annotation_queue",
            object_id=str(queue_id),
            summary={"project_id": project_id, "added": len(fresh), "run_id": body.run_id},
        )
    return ItemsAdded(added=len(fresh), skipped=len(picked) - len(fresh), total=total + len(fresh))


def item_public(item: SqlAnnotationItem, claims: list[SqlAnnotationClaim]) -> ItemPublic:
    return ItemPublic(
        id=item.id,
        queue_id=item.queue_id,
        generation_id=item.generation_id,
        run_id=item.run_id,
        case_id=item.case_id,
        status=item.status,
        submitted=item.submitted,
        claims=[
            ClaimPublic(
                annotator=c.annotator_name,
                status=c.status,
                locked_until=c.locked_until,
                finished_at=c.finished_at,
            )
            for c in claims
        ],
        created_at=item.created_at,
        done_at=item.done_at,
    )


def claims_of(session: Any, item_ids: list[int]) -> dict[int, list[SqlAnnotationClaim]]:
    out: dict[int, list[SqlAnnotationClaim]] = {i: [] for i in item_ids}
    if item_ids:
        rows = session.scalars(
            select(SqlAnnotationClaim)
            .where(SqlAnnotationClaim.item_id.in_(item_ids))
            .order_by(SqlAnnotationClaim.id)
        ).all()
        for claim in rows:
            out[claim.item_id].append(claim)
    return out


def list_items(
    core: Core,
    project_id: int,
    queue_id: int,
    *,
    status: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> ItemsPublic:
    with core.store.read() as session:
        load_queue(session, project_id, queue_id)
        where = [SqlAnnotationItem.queue_id == queue_id]
        if status is not None:
            where.append(SqlAnnotationItem.status == status)
        total = session.scalar(select(func.count()).where(and_(*where))) or 0
        rows = session.scalars(
            select(SqlAnnotationItem)
            .where(*where)
            .order_by(SqlAnnotationItem.id)
            .limit(limit)
            .offset(offset)
        ).all()
        claims = claims_of(session, [r.id for r in rows])
        return ItemsPublic(items=[item_public(r, claims[r.id]) for r in rows], total=total)
