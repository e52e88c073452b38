"""``eval_score`` rules: the fall of an online evaluator's score mean against a baseline,
for a project or one prompt, evaluated by the alert job; through the API too."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from promptyard.services.alerts import evaluate, incidents, rules
from promptyard.services.alerts.schemas import AlertRuleCreate
from promptyard.services.context import Core
from promptyard.services.evaluation import scores
from tests._factories import admin_context, project_id
from tests.alerts._helpers import Clock, report


@pytest.fixture
def clock(core: Core) -> Clock:
    clock = Clock()
    core.clock = clock
    return clock


def _rule(core: Core, **fields: Any) -> int:
    data = AlertRuleCreate.model_validate(
        {"name": "quality", "project": "default", "kind": "eval_score", **fields}
    )
    return rules.create_rule(core, ctx=admin_context(core), data=data).id


def _score(core: Core, pid: int, ids: list[str], value: float, **extra: Any) -> None:
    rows = [
        {"generation_id": g, "name": "helpful", "value": value, "source": "online", **extra}
        for g in ids
    ]
    scores.record_scores(core, rows, project_id=pid)


def test_a_fall_against_the_previous_window_fires_once(core: Core, clock: Clock) -> None:
    pid = project_id(core)
    rule_id = _rule(core, score="helpful", threshold=0.2, window_minutes=10, min_samples=3)
    _score(core, pid, report(core, pid, n=4), 0.9)  # the baseline window
    # an evaluation run's scores and another score's name never count
    _score(core, pid, report(core, pid, n=4), 0.0, run_id=7)
    clock.advance(minutes=11)
    assert evaluate.evaluate(core).fired == 0  # nothing scored in this window yet
    _score(core, pid, report(core, pid, n=4), 0.5)
    scores.record_scores(
        core,
        [{"generation_id": "x", "name": "other", "value": 0.0, "source": "online"}],
        project_id=pid,
    )
    result = evaluate.evaluate(core)
    assert result.fired == 1, result
    (alert,) = incidents.list_alerts(core, actor=admin_context(core).actor).items
    assert alert.value == pytest.approx(0.4)
    assert alert.details["baseline"] == pytest.approx(0.9)
    assert alert.details["score_count"] == 4
    assert "fall of score 'helpful'" in alert.title
    clock.advance(minutes=1)
    assert evaluate.evaluate(core).fired == 0  # one incident, not one per evaluation
    rule = rules.get_rule(core, actor=admin_context(core).actor, rule_id=rule_id)
    assert rule.firing and rule.score == "helpful"


def test_pass_fail_scores_a_fixed_baseline_and_a_prompt_filter(core: Core, clock: Clock) -> None:
    pid = project_id(core)
    _rule(
        core,
        score="helpful",
        prompt="support",
        threshold=0.25,
        window_minutes=10,
        baseline="fixed",
        baseline_value=0.9,
        min_samples=2,
    )
    # another prompt's failures do not count
    elsewhere = report(core, pid, n=4, prompt_name="other")
    _score(core, pid, elsewhere, None, passed=False)  # type: ignore[arg-type]
    ours = report(core, pid, n=4, prompt_name="support")
    scores.record_scores(
        core,
        [
            {"generation_id": g, "name": "helpful", "passed": i < 3, "source": "online"}
            for i, g in enumerate(ours)
        ],
        project_id=pid,
    )
    assert evaluate.evaluate(core).fired == 0  # 0.75 passed: fell 0.15 < 0.25
    more = report(core, pid, n=4, prompt_name="support")
    _score(core, pid, more, None, passed=False)  # type: ignore[arg-type]
    assert evaluate.evaluate(core).fired == 1  # 3 of 8 passed: fell 0.525


def test_too_few_scores_do_not_fire(core: Core, clock: Clock) -> None:
    pid = project_id(core)
    _rule(core, score="helpful", threshold=0.1, window_minutes=10, min_samples=5)
    _score(core, pid, report(core, pid, n=6), 0.9)
    clock.advance(minutes=11)
    _score(core, pid, report(core, pid, n=2), 0.1)
    assert evaluate.evaluate(core).fired == 0


def test_eval_score_rules_through_the_api(app_client: TestClient) -> None:
    body = {"name": "helpfulness", "kind": "eval_score", "score": "helpful", "threshold": 0.1}
    created = app_client.post("/api/v1/alert-rules", json=body)
    assert created.status_code == 201, created.text
    rule = created.json()
    assert (rule["score"], rule["comparison"], rule["baseline"]) == (
        "helpful",
        "gte",
        "previous_window",
    )
    bad = app_client.post("/api/v1/alert-rules", json={**body, "score": None})
    assert bad.status_code == 422 and "needs score" in bad.text
    bad = app_client.post("/api/v1/alert-rules", json={**body, "kind": "cost"})
    assert bad.status_code == 422 and "only for eval_score" in bad.text
    patched = app_client.patch(f"/api/v1/alert-rules/{rule['id']}", json={"score": "correct"})
    assert patched.status_code == 200 and patched.json()["score"] == "correct"
