"""The ``evaluation_run`` gate: a change request needs a finished evaluation run of its
version on the policy's dataset that meets the policy's thresholds."""

from __future__ import annotations

from fastapi.testclient import TestClient

from promptyard.services.context import Core
from tests.evaluation._runs_helpers import finish, make_dataset, make_prompt
from tests.governance._helpers import API, make_key, open_request, set_policy

P = {"project": "default"}
S = {"text": "word 1"}


def _run(client: TestClient, core: Core, version: int, **extra: object) -> int:
    body = {
        "prompt": "greet",
        "versions": [version],
        "models": ["fake/echo"],
        "dataset": "words",
        "evaluators": [{"kind": "exact_match"}],
        **extra,
    }
    created = client.post(f"{API}/evaluations", params=P, json=body)
    assert created.status_code == 201, created.text
    run_id = int(created.json()["id"])
    assert finish(core, run_id)["status"] == "completed"
    return run_id


def _gate(result: dict) -> dict:
    (found,) = [g for g in result["details"]["gates"] if g["gate"] == "evaluation_run"]
    return found


def test_gate_requires_a_passing_run(app_client: TestClient, core: Core) -> None:
    make_prompt(app_client)  # v1 echoes (exact_match 1.0), v2 shouts (0.0)
    make_dataset(core)
    policy = set_policy(
        app_client,
        require_review=True,
        gate_settings={"evaluation_run": {"dataset": "words", "fail_under": ["exact_match=0.9"]}},
    )
    assert policy["gate_settings"]["evaluation_run"]["fail_under"] == ["exact_match=0.9"]

    # no run yet: refused, saying so and how to start one
    refused = app_client.post(
        f"{API}/change-requests",
        json={"prompt": "greet", "version": 1, "label": "production", "sample_variables": S},
    )
    assert refused.status_code == 422, refused.text
    error = refused.json()["error"]
    assert error["code"] == "gate_failed"
    gate = _gate(error)
    assert not gate["ok"]
    assert "no finished run of version 1" in gate["message"]
    assert "promptyard eval run --prompt greet --version 1 --dataset words" in gate["message"]
    assert "--fail-under exact_match=0.9" in gate["message"]

    # a failing run of version 2: refused, naming the run and the threshold missed
    failing = _run(app_client, core, 2)
    refused = app_client.post(
        f"{API}/change-requests",
        json={"prompt": "greet", "version": 2, "label": "production", "sample_variables": S},
    )
    assert refused.status_code == 422
    message = _gate(refused.json()["error"])["message"]
    assert f"run #{failing}" in message and "exact_match = 0.000 < 0.9" in message

    # a passing run of version 1 opens the request; the result names the run
    passing = _run(app_client, core, 1)
    opened = open_request(app_client, prompt="greet", version=1, sample_variables=S)
    (gate,) = [g for g in opened["gate_results"] if g["gate"] == "evaluation_run"]
    assert gate["ok"] and f"run #{passing}" in gate["message"]

    # approval runs the gate again (a newer failing run of v1 on a model would not count
    # unless the policy names that model)
    reviewer = make_key(core, "rev-1", "reviewer")
    approved = app_client.post(
        f"{API}/change-requests/{opened['id']}/approve", json={}, headers=reviewer
    )
    assert approved.status_code == 200, approved.text


def test_gate_pins_the_dataset_version_and_models(app_client: TestClient, core: Core) -> None:
    make_prompt(app_client)
    make_dataset(core)
    _run(app_client, core, 1)  # words v1
    set_policy(
        app_client,
        require_review=True,
        gate_settings={
            "evaluation_run": {
                "dataset": "words@1",
                "fail_under": ["exact_match=0.5"],
                "models": ["fake/echo", "fake/other"],
            }
        },
    )
    refused = app_client.post(
        f"{API}/change-requests",
        json={"prompt": "greet", "version": 1, "label": "production", "sample_variables": S},
    )
    assert refused.status_code == 422
    message = _gate(refused.json()["error"])["message"]
    assert "no finished run of version 1 on fake/other" in message
    assert "--model fake/echo --model fake/other" in message
    assert "on fake/echo" not in message.split(";")[0] or "meet" not in message

    set_policy(
        app_client,
        gate_settings={"evaluation_run": {"dataset": "words@2", "fail_under": ["exact_match=0.5"]}},
    )
    refused = app_client.post(
        f"{API}/change-requests",
        json={"prompt": "greet", "version": 1, "label": "production", "sample_variables": S},
    )
    assert "on dataset words@2" in _gate(refused.json()["error"])["message"]


def test_gate_settings_are_checked(app_client: TestClient, core: Core) -> None:
    url = f"{API}/projects/default/policy"
    for settings, said in [
        ({"nope": {"x": 1}}, "no gate of that name takes settings"),
        ({"variables_declared": {}}, "no gate of that name takes settings"),
        ({"evaluation_run": {"fail_under": ["exact_match=0.9"]}}, "dataset"),
        ({"evaluation_run": {"dataset": "words", "fail_under": ["exact_match"]}}, "EVALUATOR="),
        ({"evaluation_run": {"dataset": "words", "fail_under": []}}, "fail_under"),
        ({"evaluation_run": {"dataset": "w", "fail_under": ["a=1"], "x": 1}}, "x"),
    ]:
        bad = app_client.put(url, json={"gate_settings": settings})
        assert bad.status_code == 422, (settings, bad.text)
        assert said in bad.json()["error"]["message"], bad.text
    # without settings the gate does not run, and switching it off works like any gate
    make_prompt(app_client)
    set_policy(app_client, require_review=True)
    opened = open_request(app_client, prompt="greet", version=1, sample_variables=S)
    assert "evaluation_run" not in {g["gate"] for g in opened["gate_results"]}
    set_policy(
        app_client,
        gates={"evaluation_run": False},
        gate_settings={"evaluation_run": {"dataset": "words", "fail_under": ["exact_match=1"]}},
    )
    opened = open_request(
        app_client, prompt="greet", version=2, label="staging", sample_variables=S
    )
    assert "evaluation_run" not in {g["gate"] for g in opened["gate_results"]}
