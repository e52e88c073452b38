"""Online experiments over the API: design, start, the prompt read serving the unit's
variant, generations recording it, results, stop, promotion, isolation."""

from __future__ import annotations

import random
from collections import Counter

import pytest
from fastapi.testclient import TestClient

from promptyard.domain.experiments import assign
from promptyard.services.context import Core
from tests.api._helpers import client_error, error, ok
from tests.experiments._helpers import (
    API,
    EXPERIMENTS,
    design,
    prompt_with_variants,
    running_experiment,
)
from tests.governance._helpers import audit_actions, make_key, other_workspace_admin, set_policy


def test_design_gives_the_sample_size_from_the_power_calculator(app_client: TestClient) -> None:
    prompt_with_variants(app_client)
    created = ok(app_client.post(EXPERIMENTS, json=design()), 201)
    power = ok(
        app_client.post(
            f"{EXPERIMENTS}/power", json={"kind": "proportion", "baseline": 0.5, "mde": 0.1}
        )
    )
    assert created["status"] == "draft"
    assert created["sample_size"] == power["per_variant"] == 388
    assert ok(app_client.get(f"{EXPERIMENTS}/{created['id']}"))["name"] == "tone"
    assert [e["id"] for e in ok(app_client.get(EXPERIMENTS))["items"]] == [created["id"]]
    error(app_client.post(EXPERIMENTS, json=design()), 409)


@pytest.mark.parametrize(
    "bad",
    [
        {"variants": [{"name": "a", "label": "production"}]},
        {"variants": [{"name": "a", "label": "production"}, {"name": "a", "label": "candidate"}]},
        {"variants": [{"name": "a", "label": "production"}, {"name": "b", "label": "production"}]},
        {
            "variants": [
                {"name": "a", "label": "production", "weight": 0},
                {"name": "b", "label": "x", "weight": 0},
            ]
        },
        {"primary_metric": "drop table"},
        {"metrics": ["meta:'; --"]},
        {"guardrails": ["feedback"]},
        {"alpha": 2},
        {"prompt": "../etc"},
        {"design": {"mde": -1}},
        {"unit": "device"},
    ],
)
def test_hostile_designs_are_refused(app_client: TestClient, bad: dict[str, object]) -> None:
    prompt_with_variants(app_client)
    client_error(app_client.post(EXPERIMENTS, json=design(**bad)))


def test_bad_requests_are_4xx(app_client: TestClient) -> None:
    error(app_client.get(f"{EXPERIMENTS}/999"), 404)
    client_error(app_client.get(f"{EXPERIMENTS}/0"))
    client_error(
        app_client.post(
            f"{EXPERIMENTS}/power", json={"kind": "proportion", "baseline": 0.99, "mde": 0.5}
        )
    )
    client_error(app_client.post(f"{EXPERIMENTS}/power", json={"kind": "mean"}))
    client_error(app_client.post(EXPERIMENTS, json=design(prompt="missing")))
    client_error(app_client.get(f"{EXPERIMENTS}/assignment", params={"prompt": "greeting"}))
    prompt_with_variants(app_client)
    draft = ok(app_client.post(EXPERIMENTS, json=design(variants=[
        {"name": "control", "label": "production"}, {"name": "b", "label": "nolabel"}
    ])), 201)  # fmt: skip
    error(app_client.post(f"{EXPERIMENTS}/{draft['id']}/start"), 422)
    error(app_client.post(f"{EXPERIMENTS}/{draft['id']}/promote", json={"variant": "zzz"}), 422)


def test_reads_with_a_unit_get_their_sticky_variant(app_client: TestClient) -> None:
    experiment = running_experiment(app_client)
    served: Counter[str] = Counter()
    for i in range(200):
        unit = f"user-{i}"
        r = app_client.get(f"{API}/prompts/greeting", params={"label": "production", "unit": unit})
        assert r.status_code == 200
        variant = r.headers["x-promptyard-variant"]
        assert r.headers["x-promptyard-experiment"] == str(experiment["id"])
        expected = ["control", "friendly"][assign(experiment["id"], unit, [1, 1])]
        assert variant == expected
        assert r.json()["version"]["number"] == (1 if variant == "control" else 2)
        again = app_client.get(
            f"{API}/prompts/greeting", params={"label": "production", "unit": unit}
        )
        assert again.headers["x-promptyard-variant"] == variant  # sticky
        served[variant] += 1
    assert 70 <= served["friendly"] <= 130  # 50 % of 200, well within chance
    # no unit, another label or a pinned version: no experiment
    plain = app_client.get(f"{API}/prompts/greeting", params={"label": "production"})
    assert "x-promptyard-variant" not in plain.headers and plain.json()["version"]["number"] == 1
    other = app_client.get(f"{API}/prompts/greeting", params={"label": "candidate", "unit": "u"})
    assert "x-promptyard-variant" not in other.headers
    found = ok(
        app_client.get(f"{EXPERIMENTS}/assignment", params={"prompt": "greeting", "unit": "user-1"})
    )
    assert found["variant"] == ["control", "friendly"][assign(experiment["id"], "user-1", [1, 1])]
    active = ok(app_client.get(f"{EXPERIMENTS}/active", params={"prompt": "greeting"}))["items"]
    assert [a["id"] for a in active] == [experiment["id"]]


def test_weights_split_traffic(app_client: TestClient) -> None:
    experiment = running_experiment(
        app_client,
        variants=[
            {"name": "control", "label": "production", "weight": 9},
            {"name": "friendly", "label": "candidate", "weight": 1},
        ],
    )
    picks = Counter(assign(experiment["id"], f"u{i}", [9, 1]) for i in range(5000))
    assert 0.08 <= picks[1] / 5000 <= 0.12


def _report(client: TestClient, experiment_id: int, n: int = 400, effect: float = 0.3) -> None:
    rng = random.Random(3)
    outcomes = []
    generations = []
    for i in range(n):
        unit = f"user-{i}"
        variant = ["control", "friendly"][assign(experiment_id, unit, [1, 1])]
        good = rng.random() < (0.4 + (effect if variant == "friendly" else 0))
        outcomes.append(good)
        generations.append(
            {
                "id": f"g{i}",
                "prompt_name": "greeting",
                "user_id": unit,
                "experiment_id": experiment_id,
                "variant": variant,
                "model": "gpt-4o-mini",
                "input_cost": 0.001,
                "output_cost": 0.001,
                "latency_ms": 500.0 + (i % 10),
                "status": "error" if i % 50 == 0 else "ok",
                "metadata": {"resolved": 1 if good else 0},
            }
        )
    _post_batch(client, generations)
    for i, good in enumerate(outcomes):
        r = client.post(
            f"{API}/analytics/feedback",
            json={"generation_id": f"g{i}", "kind": "score", "value": 1.0 if good else 0.0},
        )
        assert r.status_code in (200, 201), r.text


def _post_batch(client: TestClient, generations: list[dict[str, object]]) -> None:
    r = client.post(f"{API}/generations/batch", json={"generations": generations})
    assert r.status_code == 200 and r.json()["rejected"] == 0, r.text


def test_results_give_estimates_intervals_and_a_verdict(app_client: TestClient) -> None:
    experiment = running_experiment(app_client)
    _report(app_client, experiment["id"])
    results = ok(app_client.get(f"{EXPERIMENTS}/{experiment['id']}/results"))
    assert results["generations"] == 400
    assert sum(results["units"].values()) == 400
    assert results["srm"]["mismatch"] is False
    metrics = {m["metric"]: m for m in results["metrics"]}
    assert set(metrics) == {"feedback", "meta:resolved", "cost", "latency", "error_rate"}
    feedback = metrics["feedback"]
    assert feedback["role"] == "primary"
    comparison = feedback["comparisons"][0]
    assert comparison["variant"] == "friendly" and comparison["test"] == "welch_t"
    assert comparison["ci"]["low"] < comparison["estimate"] < comparison["ci"]["high"]
    assert comparison["estimate"] == pytest.approx(0.3, abs=0.15)
    assert comparison["verdict"] == "better", comparison["verdict_text"]
    assert comparison["always_valid_p"] >= comparison["p_value"]
    assert metrics["error_rate"]["kind"] == "rate"
    assert metrics["error_rate"]["comparisons"][0]["test"] == "two_proportion_z"
    assert metrics["meta:resolved"]["comparisons"][0]["verdict"] == "better"
    assert feedback["series"] and feedback["series"][-1]["n"] == feedback["variants"][1]["n"]
    assert results["verdict"] == "better"
    assert results["guardrail_breach"] == []


def test_stop_sends_all_traffic_back_to_control(app_client: TestClient) -> None:
    experiment = running_experiment(app_client)
    stopped = ok(app_client.post(f"{EXPERIMENTS}/{experiment['id']}/stop", json={"reason": "done"}))
    assert stopped["status"] == "stopped" and stopped["stop_reason"] == "done"
    for i in range(30):
        r = app_client.get(
            f"{API}/prompts/greeting", params={"label": "production", "unit": f"u{i}"}
        )
        assert r.json()["version"]["number"] == 1 and "x-promptyard-variant" not in r.headers
    error(app_client.post(f"{EXPERIMENTS}/{experiment['id']}/stop"), 409)
    error(app_client.post(f"{EXPERIMENTS}/{experiment['id']}/start"), 409)


def test_promote_moves_the_label_directly_when_unprotected(
    app_client: TestClient, core: Core
) -> None:
    experiment = running_experiment(app_client)
    _report(app_client, experiment["id"])
    promoted = ok(app_client.post(f"{EXPERIMENTS}/{experiment['id']}/promote", json={}))
    assert promoted["applied"] is True and promoted["version"] == 2
    assert promoted["experiment"]["status"] == "stopped"
    labels = {
        x["name"]: x["version"]
        for x in ok(app_client.get(f"{API}/prompts/greeting/labels"))["items"]
    }
    assert labels["production"] == 2
    actions = audit_actions(core)
    assert "experiment.promote" in actions and "label.move" in actions


def test_promote_goes_through_review_when_the_label_is_protected(app_client: TestClient) -> None:
    experiment = running_experiment(app_client)
    set_policy(app_client, require_review=True, protected_labels=["production"])
    promoted = ok(
        app_client.post(
            f"{EXPERIMENTS}/{experiment['id']}/promote",
            json={"variant": "friendly", "sample_variables": {"who": "Ada"}},
        )
    )
    assert promoted["applied"] is False and promoted["change_request"] is not None
    request = ok(app_client.get(f"{API}/change-requests/{promoted['change_request']}"))
    assert request["label"] == "production" and request["version"] == 2
    labels = {
        x["name"]: x["version"]
        for x in ok(app_client.get(f"{API}/prompts/greeting/labels"))["items"]
    }
    assert labels["production"] == 1  # not moved until approved and applied


def test_viewers_read_but_cannot_manage_and_other_workspaces_see_nothing(
    app_client: TestClient, core: Core
) -> None:
    experiment = running_experiment(app_client)
    viewer = make_key(core, "viewer", "viewer")
    assert ok(app_client.get(f"{EXPERIMENTS}/{experiment['id']}", headers=viewer))["id"]
    error(app_client.post(f"{EXPERIMENTS}/{experiment['id']}/stop", headers=viewer), 403)
    intruder = other_workspace_admin(core)
    error(app_client.get(f"{EXPERIMENTS}/{experiment['id']}", headers=intruder), 404)
    assert ok(app_client.get(EXPERIMENTS, headers=intruder))["items"] == []
    error(app_client.post(f"{EXPERIMENTS}/{experiment['id']}/stop", headers=intruder), 404)
    assert ok(app_client.get(f"{EXPERIMENTS}/active", headers=intruder))["items"] == []
