"""Working an annotation queue: the next item for a person, its lease, skip, submit.

An item needs ``annotators_required`` different people. Each person's turn at an item is
a claim holding one of the item's slots (0 .. required - 1): ``locked`` while they work
(until ``locked_until``), ``submitted`` after. The pair (item, slot) is unique in the
database, and so is (item, person): two people racing for the last slot of an item both
try to insert it, one insert wins and the other retries with the next item, on SQLite
and PostgreSQL alike. A lock that expired is reclaimed by deleting it (only while it is
still expired) before its slot is taken; a skip gives the slot back and keeps the item
away from that person.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import delete, exists, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from promptyard.domain.actor import RequestContext
from promptyard.domain.errors import Conflict, ValidationFailed
from promptyard.services.context import Core
from promptyard.services.evaluation import scores
from promptyard.services.evaluation.annotation import (
    claims_of,
    item_public,
    load_queue,
)
from promptyard.services.evaluation.annotation_schemas import (
    ItemPublic,
    NextPublic,
    Submission,
    SubmissionPublic,
    WorkItemPublic,
)
from promptyard.services.evaluation.datasets import case_expected
from promptyard.services.evaluation.evaluators_judge import Rubric
from promptyard.services.telemetry.generations import get_generation
from promptyard.store.models import (
    SqlAnnotationClaim,
    SqlAnnotationItem,
    SqlAnnotationQueue,
    SqlEvaluationRun,
)

#: Claim attempts per request (each lost race moves on to another item).
_ATTEMPTS = 8
#: Candidate items looked at per attempt.
_CANDIDATES = 20


class _Lost(Exception):
    """Another person took the slot first: try again."""


def annotator_of(ctx: RequestContext) -> tuple[str, str]:
    """Who scores: a stable key (``user:<id>``, ``key:<id>``) and the name scores carry."""
    return f"{ctx.actor.type}:{ctx.actor.id}", ctx.actor.ref


def _live(now: Any) -> Any:
    """Claims that hold their slot at ``now``."""
    return or_(
        SqlAnnotationClaim.status == "submitted",
        (SqlAnnotationClaim.status == "locked") & (SqlAnnotationClaim.locked_until > now),
    )


def _own_lock(session: Any, queue_id: int, who: str) -> SqlAnnotationClaim | None:
    return session.scalars(
        select(SqlAnnotationClaim)
        .where(
            SqlAnnotationClaim.queue_id == queue_id,
            SqlAnnotationClaim.annotator == who,
            SqlAnnotationClaim.status == "locked",
        )
        .order_by(SqlAnnotationClaim.id)
    ).first()


def _candidates(session: Any, queue: SqlAnnotationQueue, who: str, now: Any) -> list[int]:
    mine = exists().where(
        SqlAnnotationClaim.item_id == SqlAnnotationItem.id, SqlAnnotationClaim.annotator == who
    )
    held = (
        select(func.count())
        .select_from(SqlAnnotationClaim)
        .where(SqlAnnotationClaim.item_id == SqlAnnotationItem.id, _live(now))
        .scalar_subquery()
    )
    return list(
        session.scalars(
            select(SqlAnnotationItem.id)
            .where(
                SqlAnnotationItem.queue_id == queue.id,
                SqlAnnotationItem.status == "pending",
                ~mine,
                held < queue.annotators_required,
            )
            .order_by(SqlAnnotationItem.id)
            .limit(_CANDIDATES)
        ).all()
    )


def _take(
    session: Any, queue: SqlAnnotationQueue, item_id: int, who: str, name: str, now: Any
) -> SqlAnnotationClaim | None:
    """Claim a free slot of the item (reclaiming an expired lock's); None when none is."""
    claims = claims_of(session, [item_id])[item_id]
    held = {c.slot for c in claims if c.slot is not None}
    free = [s for s in range(queue.annotators_required) if s not in held]
    slot: int | None = free[0] if free else None
    if slot is None:
        expired = [
            c
            for c in claims
            if c.status == "locked" and c.locked_until is not None and c.locked_until <= now
        ]
        for claim in expired:
            gone = session.execute(
                delete(SqlAnnotationClaim).where(
                    SqlAnnotationClaim.id == claim.id,
                    SqlAnnotationClaim.status == "locked",
                    SqlAnnotationClaim.locked_until <= now,
                )
            )
            if gone.rowcount == 1:
                slot = claim.slot
                break
    if slot is None:
        return None
    claim = SqlAnnotationClaim(
        item_id=item_id,
        queue_id=queue.id,
        annotator=who,
        annotator_name=name[:400],
        slot=slot,
        status="locked",
        locked_until=now + timedelta(seconds=queue.lease_seconds),
        created_at=now,
    )
    session.add(claim)
    session.flush()
    return claim


def _claim_once(
    core: Core, project_id: int, queue_id: int, who: str, name: str
) -> tuple[int, int] | str:
    """One transaction: the caller's live lock renewed, or a new claim; the item and
    claim ids, or why there is none."""
    now = core.clock()
    with core.store.write() as session:
        queue = load_queue(session, project_id, queue_id)
        own = _own_lock(session, queue_id, who)
        if own is not None:
            own.locked_until = now + timedelta(seconds=queue.lease_seconds)
            return own.item_id, own.id
        try:
            for item_id in _candidates(session, queue, who, now):
                claim = _take(session, queue, item_id, who, name, now)
                if claim is not None:
                    return item_id, claim.id
        except IntegrityError as exc:
            raise _Lost from exc
        pending = session.scalar(
            select(func.count())
            .select_from(SqlAnnotationItem)
            .where(
                SqlAnnotationItem.queue_id == queue_id,
                SqlAnnotationItem.status == "pending",
                ~exists().where(
                    SqlAnnotationClaim.item_id == SqlAnnotationItem.id,
                    SqlAnnotationClaim.annotator == who,
                ),
            )
        )
    if pending:
        return "every item left for you is being scored by others right now: try again later"
    return "nothing left for you in this queue: every item is done, or you scored or skipped it"


def next_item(core: Core, ctx: RequestContext, project_id: int, queue_id: int) -> NextPublic:
    """The caller's next item, locked to them for the queue's lease: the item they hold
    (its lease renewed), else the oldest pending item they have not scored or skipped
    with a free slot (or a slot whose lock expired)."""
    who, name = annotator_of(ctx)
    for _ in range(_ATTEMPTS):
        try:
            found = _claim_once(core, project_id, queue_id, who, name)
        except _Lost:
            continue
        if isinstance(found, str):
            return NextPublic(work=None, reason=found)
        return NextPublic(work=_work(core, project_id, queue_id, found[0], who), reason=None)
    raise Conflict("others claimed every item at the same moment: ask again", code="busy")


def _work(core: Core, project_id: int, queue_id: int, item_id: int, who: str) -> WorkItemPublic:
    with core.store.read() as session:
        queue = load_queue(session, project_id, queue_id)
        item = session.get(SqlAnnotationItem, item_id)
        assert item is not None
        claims = claims_of(session, [item_id])[item_id]
        mine = next(c for c in claims if c.annotator == who)
        run = None
        if item.run_id is not None:
            run = session.get(SqlEvaluationRun, item.run_id)
        remaining = session.scalar(
            select(func.count())
            .select_from(SqlAnnotationItem)
            .where(
                SqlAnnotationItem.queue_id == queue_id,
                SqlAnnotationItem.status == "pending",
                ~exists().where(
                    SqlAnnotationClaim.item_id == SqlAnnotationItem.id,
                    SqlAnnotationClaim.annotator == who,
                    SqlAnnotationClaim.status != "locked",
                ),
            )
        )
        public = item_public(item, claims)
        rubric = Rubric.model_validate(queue.rubric)
        lease = queue.lease_seconds
    generation = get_generation(core, project_id, item.generation_id)
    expected = None
    if run is not None and item.case_id is not None:
        expected = case_expected(
            core, project_id, run.dataset_name, run.dataset_version, item.case_id
        )
    assert mine.locked_until is not None
    return WorkItemPublic(
        item=public,
        input=generation.input,
        output=generation.output,
        prompt=generation.prompt.name if generation.prompt else None,
        prompt_version=generation.prompt.version if generation.prompt else None,
        model=generation.model,
        expected=expected,
        rubric=rubric,
        locked_until=mine.locked_until,
        lease_seconds=lease,
        remaining=int(remaining or 0),
    )


def _my_claim(session: Any, queue_id: int, item_id: int, who: str) -> SqlAnnotationClaim:
    claim = session.scalars(
        select(SqlAnnotationClaim)
        .where(
            SqlAnnotationClaim.queue_id == queue_id,
            SqlAnnotationClaim.item_id == item_id,
            SqlAnnotationClaim.annotator == who,
        )
        .with_for_update()
    ).first()
    if claim is None or claim.status != "locked":
        state = "was never claimed by you" if claim is None else f"is already {claim.status}"
        raise Conflict(
            f"item {item_id} {state}, or your lock expired and someone else took it: "
            "ask for the next item",
            code="not_locked",
        )
    return claim


def renew(
    core: Core, ctx: RequestContext, project_id: int, queue_id: int, item_id: int
) -> WorkItemPublic:
    """Extend the caller's lock on the item by the queue's lease (409 ``not_locked``
    when they do not hold it, e.g. it expired and someone else took it)."""
    who, _ = annotator_of(ctx)
    with core.store.write() as session:
        queue = load_queue(session, project_id, queue_id)
        claim = _my_claim(session, queue_id, item_id, who)
        claim.locked_until = core.clock() + timedelta(seconds=queue.lease_seconds)
    return _work(core, project_id, queue_id, item_id, who)


def skip(
    core: Core, ctx: RequestContext, project_id: int, queue_id: int, item_id: int
) -> ItemPublic:
    """Give the item back: its slot is free for someone else, and the caller is not
    offered it again."""
    who, _ = annotator_of(ctx)
    with core.store.write() as session:
        load_queue(session, project_id, queue_id)
        claim = _my_claim(session, queue_id, item_id, who)
        claim.status, claim.slot = "skipped", None
        claim.locked_until, claim.finished_at = None, core.clock()
        session.flush()
        item = session.get(SqlAnnotationItem, item_id)
        assert item is not None
        return item_public(item, claims_of(session, [item_id])[item_id])


def _checked(rubric: Rubric, body: Submission) -> dict[str, float]:
    names = [c.name for c in rubric.criteria]
    unknown = sorted(set(body.scores) - set(names))
    if unknown:
        raise ValidationFailed(
            f"unknown criteria {unknown}: the rubric has {names}", code="unknown_criterion"
        )
    missing = [n for n in names if n not in body.scores]
    if missing:
        raise ValidationFailed(
            f"score every criterion: missing {missing}", code="missing_criterion"
        )
    for name, value in body.scores.items():
        if not rubric.scale_min <= value <= rubric.scale_max:
            raise ValidationFailed(
                f"criterion {name!r}: {value:g} is outside the scale "
                f"{rubric.scale_min}..{rubric.scale_max}",
                code="score_out_of_scale",
            )
    return {n: float(body.scores[n]) for n in names}


def submit(
    core: Core,
    ctx: RequestContext,
    project_id: int,
    queue_id: int,
    item_id: int,
    body: Submission,
) -> SubmissionPublic:
    """Store the caller's scores (one per criterion, named ``<queue>.<criterion>``, and
    the weighted whole named after the queue, like the judge's score) as scores of
    source ``human`` attributed to them, and release their lock. The item is done once
    ``annotators_required`` different people submitted."""
    who, name = annotator_of(ctx)
    now = core.clock()
    with core.store.write() as session:
        queue = load_queue(session, project_id, queue_id)
        rubric = Rubric.model_validate(queue.rubric)
        given = _checked(rubric, body)
        claim = _my_claim(session, queue_id, item_id, who)
        claim.status, claim.locked_until, claim.finished_at = "submitted", None, now
        session.flush()
        # one UPDATE (row-locked), so two people submitting at once both count
        session.execute(
            update(SqlAnnotationItem)
            .where(SqlAnnotationItem.id == item_id)
            .values(submitted=SqlAnnotationItem.submitted + 1)
            .execution_options(synchronize_session=False)
        )
        session.execute(
            update(SqlAnnotationItem)
            .where(
                SqlAnnotationItem.id == item_id,
                SqlAnnotationItem.status != "done",
                SqlAnnotationItem.submitted >= queue.annotators_required,
            )
            .values(status="done", done_at=now)
            .execution_options(synchronize_session=False)
        )
        item = session.get(SqlAnnotationItem, item_id, populate_existing=True)
        assert item is not None
        value = rubric.weighted(given)
        base = {
            "kind": "annotation",
            "queue_id": queue.id,
            "queue": queue.name,
            "item_id": item.id,
            "scale": [rubric.scale_min, rubric.scale_max],
            "actor_type": ctx.actor.type,
            "user_id": ctx.actor.id,
        }
        common = {
            "generation_id": item.generation_id,
            "run_id": item.run_id,
            "case_id": item.case_id,
            "source": "human",
            "reason": body.comment,
        }
        rows = [
            {
                **common,
                "name": f"{queue.name}.{criterion}",
                "value": rubric.normalised(score),
                "details": {**base, "criterion": criterion, "score": score},
            }
            for criterion, score in given.items()
        ]
        rows.append(
            {
                **common,
                "name": queue.name,
                "value": value,
                "passed": value >= rubric.pass_threshold,
                "details": {
                    **base,
                    "criteria": {
                        c: {"score": s, "normalised": rubric.normalised(s)}
                        for c, s in given.items()
                    },
                },
            }
        )
        ids = scores.add_scores(core, session, rows, project_id=project_id, created_by=name)
        public = item_public(item, claims_of(session, [item_id])[item_id])
    return SubmissionPublic(
        item=public, score_ids=ids, value=value, passed=value >= rubric.pass_threshold
    )
