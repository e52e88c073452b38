"""The demo's finished evaluation run (``promptyard serve --demo``): ``support-reply``
version 1 against version 3 over the demo dataset, on the fake provider, scored for the
expected keyword and a length bound. Executed at once, in the caller's thread."""

from __future__ import annotations

from promptyard.domain.actor import RequestContext
from promptyard.services.context import Core
from promptyard.services.evaluation import runs, runs_exec
from promptyard.services.evaluation.runs_schemas import EvaluatorIn, RunCreate, RunPublic


def seed(core: Core, *, ctx: RequestContext, project_id: int, prompt: str, dataset: str) -> int:
    """Create and execute the run; its id."""
    created = runs.create_run(
        core,
        ctx=ctx,
        project_id=project_id,
        body=RunCreate(
            prompt=prompt,
            versions=[1, 3],
            models=["fake/echo"],
            dataset=dataset,
            evaluators=[
                EvaluatorIn(kind="contains", name="mentions_topic"),
                EvaluatorIn(kind="length", name="short", config={"max_words": 40}),
            ],
            name="v1 vs v3 on the support questions",
        ),
    )
    assert isinstance(created, RunPublic)
    runs_exec.execute(core, created.id)
    return created.id
