"""`serve --demo` holds an annotation queue with items, human scores and agreement."""

from __future__ import annotations

from promptyard.cli import demo
from promptyard.services.context import Core
from promptyard.services.evaluation import annotation, annotation_agreement, scores
from tests._factories import project_id


def test_the_demo_has_a_queue_with_human_scores(core: Core) -> None:
    demo.seed(core)
    project = project_id(core)
    (queue,) = annotation.list_queues(core, project).items
    assert queue.name == "support-replies-review" and queue.annotators_required == 2
    assert queue.counts.items == 6 and queue.counts.done == 3 and queue.counts.locked == 0
    human = scores.list_scores(core, project_id=project, source="human", limit=1000)
    assert {s["created_by"] for s in human} == {"ada@example.com", "grace@example.com"}
    report = annotation_agreement.agreement(core, project, queue.id)
    assert report.judge == "demo-judge"
    assert [c.n for c in report.criteria] == [3, 3]
    assert all(c.human_n == 3 for c in report.criteria)
