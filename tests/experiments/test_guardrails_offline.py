"""Guardrails stop a clearly worse variant; offline comparisons pair scores by case."""

from __future__ import annotations

import random

import numpy as np
import pytest
from fastapi.testclient import TestClient
from scipy import stats

from promptyard.domain.experiments import assign
from promptyard.services.context import Core
from promptyard.services.experiments import guardrails, offline
from promptyard.store.models import SqlEvaluationRun, SqlEvaluationRunItem
from tests._factories import project_id
from tests.api._helpers import client_error, ok
from tests.experiments._helpers import API, EXPERIMENTS, running_experiment


def test_a_variant_clearly_worse_on_latency_is_stopped(app_client: TestClient, core: Core) -> None:
    experiment = running_experiment(app_client)
    rng = random.Random(1)
    generations = []
    for i in range(300):
        unit = f"user-{i}"
        variant = ["control", "friendly"][assign(experiment["id"], unit, [1, 1])]
        slow = variant == "friendly"
        generations.append(
            {
                "id": f"g{i}",
                "user_id": unit,
                "experiment_id": experiment["id"],
                "variant": variant,
                "latency_ms": rng.gauss(2000 if slow else 500, 100),
            }
        )
    ok(app_client.post(f"{API}/generations/batch", json={"generations": generations}))
    results = ok(app_client.get(f"{EXPERIMENTS}/{experiment['id']}/results"))
    assert any("friendly is worse on latency" in b for b in results["guardrail_breach"])
    assert guardrails.check_running(core) == 1
    stopped = ok(app_client.get(f"{EXPERIMENTS}/{experiment['id']}"))
    assert stopped["status"] == "stopped" and stopped["stop_reason"].startswith("guardrail")
    assert stopped["variants"][1]["stopped"] is True
    for i in range(20):
        r = app_client.get(
            f"{API}/prompts/greeting", params={"label": "production", "unit": f"u{i}"}
        )
        assert r.json()["version"]["number"] == 1
    assert guardrails.check_running(core) == 0


def test_no_guardrail_stop_without_a_difference(app_client: TestClient, core: Core) -> None:
    experiment = running_experiment(app_client)
    generations = [
        {"id": f"g{i}", "user_id": f"u{i}", "experiment_id": experiment["id"],
         "variant": ["control", "friendly"][assign(experiment["id"], f"u{i}", [1, 1])],
         "latency_ms": 500.0 + (i % 7)}
        for i in range(200)
    ]  # fmt: skip
    ok(app_client.post(f"{API}/generations/batch", json={"generations": generations}))
    assert guardrails.check_running(core) == 0
    assert ok(app_client.get(f"{EXPERIMENTS}/{experiment['id']}"))["status"] == "running"


def test_offline_comparison_pairs_by_case(app_client: TestClient) -> None:
    rng = np.random.default_rng(4)
    base = rng.normal(0.6, 0.1, 60)
    v6 = {f"c{i}": float(x) for i, x in enumerate(base)}
    v7 = {f"c{i}": float(x + 0.05 + rng.normal(0, 0.03)) for i, x in enumerate(base)}
    v7["only-in-v7"] = 1.0
    body = {"kind": "score", "test": "paired_t", "variants": {"v6": v6, "v7": v7}}
    result = ok(app_client.post(f"{EXPERIMENTS}/offline", json=body))
    assert result["cases"] == 60 and result["control"] == "v6"
    comparison = result["comparisons"][0]
    keys = sorted(v6)
    expected = stats.ttest_rel([v7[k] for k in keys], [v6[k] for k in keys])
    assert comparison["p_value"] == pytest.approx(expected.pvalue)
    assert comparison["verdict"] == "better"
    passfail = {
        "kind": "pass_fail",
        "variants": {
            "a": {f"c{i}": float(i % 2) for i in range(40)},
            "b": {f"c{i}": 1.0 for i in range(40)},
        },
    }
    mc = ok(app_client.post(f"{EXPERIMENTS}/offline", json=passfail))["comparisons"][0]
    assert mc["test"] == "mcnemar_exact" and mc["verdict"] == "better"
    client_error(app_client.post(f"{EXPERIMENTS}/offline", json={"variants": {"a": {}}}))
    client_error(
        app_client.post(f"{EXPERIMENTS}/offline", json={"variants": {"a": {"c": "x"}, "b": {}}})
    )


def test_offline_comparison_of_an_evaluation_run(app_client: TestClient, core: Core) -> None:
    pid = project_id(core)
    rng = np.random.default_rng(2)
    with core.store.write() as session:
        run = SqlEvaluationRun(
            project_id=pid, prompt_name="greeting", dataset_name="d", dataset_version=1,
            status="completed", created_by="test", created_at=core.clock(),
            variants=[{"version": 1, "model": "fake"}, {"version": 2, "model": "fake"}],
            evaluators=[], params={}, sweep={}, estimate={},
        )  # fmt: skip
        session.add(run)
        session.flush()
        for case in range(30):
            quality = rng.uniform(0, 1)
            for variant in (0, 1):
                for repetition in (0, 1):
                    passed = quality + 0.25 * variant > 0.5
                    session.add(
                        SqlEvaluationRunItem(
                            run_id=run.id,
                            project_id=pid,
                            case_index=case,
                            case_id=f"case-{case}",
                            variant=variant,
                            repetition=repetition,
                            status="done",
                            scores={"exact_match": {"value": float(passed), "passed": passed}},
                        )
                    )
        run_id = run.id
    found = offline.compare_run(
        core, project_id=pid, run_id=run_id, evaluator="exact_match", kind="pass_fail"
    )
    assert found.cases == 30 and found.control == "0:v1@fake"
    assert found.comparisons[0].test == "mcnemar_exact"
    assert found.comparisons[0].estimate is not None and found.comparisons[0].estimate > 0
    routed = ok(
        app_client.get(
            f"{EXPERIMENTS}/offline/runs/{run_id}",
            params={"evaluator": "exact_match", "kind": "pass_fail"},
        )
    )
    assert routed["comparisons"][0]["p_value"] == pytest.approx(found.comparisons[0].p_value)
    nothing = ok(
        app_client.get(f"{EXPERIMENTS}/offline/runs/{run_id}", params={"evaluator": "nope"})
    )
    assert nothing["cases"] == 0 and nothing["comparisons"][0]["verdict"] == "not_enough_data"
    client_error(app_client.get(f"{EXPERIMENTS}/offline/runs/99999", params={"evaluator": "x"}))
