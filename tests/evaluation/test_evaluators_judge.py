"""LLM-as-judge and pairwise through a real provider connection (the fake kind, scripted
answers): one call for the whole rubric, reasoning kept, the judge's cost recorded as a
generation of its own, the pairwise order randomised and recorded."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest

from promptyard.services.context import Core
from promptyard.services.evaluation import evaluators
from promptyard.services.evaluation.datasets import Case
from promptyard.services.evaluation.evaluators import EvaluatorSpec
from promptyard.services.runtime import connections
from promptyard.services.runtime.connections import ConnectionCreate, PriceOverrideCreate
from promptyard.services.telemetry import generations
from promptyard.services.telemetry.events import GenerationQuery
from tests._factories import admin_context, project_id

RUBRIC = [
    {"name": "correct", "description": "the answer is right", "weight": 2},
    {"name": "polite", "description": "the tone is friendly"},
]


def _judge(core: Core, output: Any) -> str:
    ctx = admin_context(core)
    connections.create_connection(
        core,
        ctx=ctx,
        workspace_id=ctx.actor.workspace_id,
        data=ConnectionCreate(name="judge", kind="fake", options={"output": output}),
    )
    connections.create_price(
        core,
        ctx=ctx,
        workspace_id=ctx.actor.workspace_id,
        data=PriceOverrideCreate(model="echo", input_per_mtok=1000.0, output_per_mtok=2000.0),
    )
    return "judge/echo"


def _answer(correct: float, polite: float) -> str:
    return json.dumps(
        {
            "criteria": {
                "correct": {"score": correct, "reasoning": "matches the reference"},
                "polite": {"score": polite, "reasoning": "curt"},
            },
            "reasoning": "right but curt",
        }
    )


def _judge_generations(core: Core) -> list[Any]:
    page = generations.list_generations(core, GenerationQuery(project_id=project_id(core)))
    return [g for g in page.items if g.feature == "evaluation-judge"]


def test_rubric_is_scored_in_one_call_with_its_cost(core: Core) -> None:
    model = _judge(core, "```json\n" + _answer(5, 2) + "\n```")
    spec = EvaluatorSpec("llm_judge", "quality", {"model": model, "criteria": RUBRIC})
    evaluators.validate_spec(spec, core)
    score = evaluators.evaluate(
        core,
        spec,
        case=Case(id="c", input={"q": "2+2"}, expected="4"),
        output="4.",
        project_id=project_id(core),
    )
    # (2 * 1.0 + 1 * 0.25) / 3 on the 1..5 scale
    assert score.value == pytest.approx(0.75)
    assert score.passed is True and score.source == "judge"
    assert score.details["criteria"]["polite"] == {
        "score": 2.0,
        "normalised": 0.25,
        "reasoning": "curt",
    }
    assert score.reason == "right but curt"
    judged = _judge_generations(core)
    assert len(judged) == 1  # one call for the whole rubric
    assert judged[0].id == score.details["judge_generation_id"]
    assert judged[0].cost is not None and score.cost == pytest.approx(judged[0].cost.total)
    assert score.cost > 0


def test_a_judge_answer_that_is_not_json_is_an_error_score(core: Core) -> None:
    model = _judge(core, "I think it is fine.")
    spec = EvaluatorSpec("llm_judge", "quality", {"model": model, "criteria": RUBRIC})
    score = evaluators.evaluate(core, spec, case=None, output="x", project_id=project_id(core))
    assert score.value is None and score.passed is None
    assert "JSON" in score.details["error"]
    assert score.cost is not None  # the call still cost something


def test_out_of_scale_scores_are_refused(core: Core) -> None:
    model = _judge(core, _answer(9, 2))
    spec = EvaluatorSpec("llm_judge", "quality", {"model": model, "criteria": RUBRIC})
    score = evaluators.evaluate(core, spec, case=None, output="x", project_id=project_id(core))
    assert score.value is None and "outside 1..5" in score.details["error"]


def test_pairwise_randomises_and_records_the_order(core: Core) -> None:
    # The judge always says the FIRST answer shown is better: who wins depends on order.
    model = _judge(core, json.dumps({"reasoning": "first is better", "winner": "1"}))
    spec = EvaluatorSpec("pairwise", "preference", {"model": model})
    results = [
        evaluators.evaluate(
            core, spec, case=None, output="A", output_b="B", project_id=project_id(core), seed=seed
        )
        for seed in range(12)
    ]
    orders = {s.details["order"] for s in results}
    assert orders == {"ab", "ba"}
    for s in results:
        assert s.details["winner"] == ("a" if s.details["order"] == "ab" else "b")
        assert s.value == (1.0 if s.details["winner"] == "a" else 0.0)
    assert len(_judge_generations(core)) == 12


def test_pairwise_needs_the_second_output(core: Core) -> None:
    from promptyard.domain.errors import ValidationFailed

    model = _judge(core, "{}")
    with pytest.raises(ValidationFailed, match="output_b"):
        evaluators.evaluate(
            core,
            EvaluatorSpec("pairwise", "p", {"model": model}),
            case=None,
            output="A",
            project_id=project_id(core),
        )


def test_judges_run_from_worker_threads(core: Core) -> None:
    model = _judge(core, _answer(4, 4))
    spec = EvaluatorSpec("llm_judge", "quality", {"model": model, "criteria": RUBRIC})
    values: list[float | None] = []
    pid = project_id(core)

    def work() -> None:
        values.append(evaluators.evaluate(core, spec, case=None, output="x", project_id=pid).value)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert values == [pytest.approx(0.75)] * 4
