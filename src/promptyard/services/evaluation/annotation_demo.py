"""The demo's annotation queue (``promptyard serve --demo``): the demo run's replies of
``support-reply`` v3, scored by a rubric; two sample reviewers have scored half of them
through the queue (claim, then submit), and sample judge scores by the same rubric sit
on every item, so the agreement table has figures."""

from __future__ import annotations

import random
from dataclasses import replace

from promptyard.domain.actor import RequestContext
from promptyard.services.context import Core
from promptyard.services.evaluation import annotation, annotation_work, scores
from promptyard.services.evaluation.annotation_schemas import ItemsAdd, QueueCreate, Submission
from promptyard.services.evaluation.evaluators_judge import Criterion, Rubric

QUEUE = "support-replies-review"
RUBRIC = Rubric(
    criteria=[
        Criterion(name="correctness", description="The reply answers the customer's question."),
        Criterion(name="tone", description="Warm, concise, never blames the customer."),
    ],
    scale_min=1,
    scale_max=5,
)


def seed(core: Core, *, ctx: RequestContext, project_id: int, run_id: int) -> int:
    """Make the queue over the run's second variant and score part of it; its id."""
    queue = annotation.create_queue(
        core,
        ctx,
        project_id,
        QueueCreate(
            name=QUEUE,
            description="Do v3's replies answer the question, in the house tone?",
            rubric=RUBRIC,
            annotators_required=2,
        ),
    )
    annotation.add_items(core, ctx, project_id, queue.id, ItemsAdd(run_id=run_id, variant=1))
    items = annotation.list_items(core, project_id, queue.id, limit=200).items
    rng = random.Random(11)
    truth = {item.generation_id: (rng.randint(2, 5), rng.randint(2, 5)) for item in items}
    scores.record_scores(
        core,
        [
            {
                "generation_id": gid,
                "name": "demo-judge",
                "kind": "llm_judge",
                "source": "judge",
                "value": RUBRIC.weighted({"correctness": c, "tone": t}),
                "details": {
                    "criteria": {"correctness": {"score": c}, "tone": {"score": t}},
                    "scale": [RUBRIC.scale_min, RUBRIC.scale_max],
                    "reasoning": "sample judge score of the demo",
                },
            }
            for gid, (c, t) in truth.items()
        ],
        project_id=project_id,
        created_by="demo",
    )
    reviewers = [
        RequestContext(actor=replace(ctx.actor, type="user", id=900 + i, name=name))
        for i, name in enumerate(("ada@example.com", "grace@example.com"))
    ]
    for reviewer in reviewers:
        for _ in range(len(items) // 2):
            work = annotation_work.next_item(core, reviewer, project_id, queue.id).work
            if work is None:
                break
            c, t = truth[work.item.generation_id]
            given: dict[str, float] = {
                "correctness": min(5, max(1, c + rng.choice([-1, 0, 0, 1]))),
                "tone": min(5, max(1, t + rng.choice([-1, 0, 0]))),
            }
            annotation_work.submit(
                core, reviewer, project_id, queue.id, work.item.id, Submission(scores=given)
            )
    return queue.id
