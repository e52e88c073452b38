"""/api/v1/evaluators: the library with config schemas, trying one on an output, bounds."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from tests.api._helpers import API, error, ok

EV = f"{API}/evaluators"


def test_the_library_lists_every_kind_with_its_schema(app_client: TestClient) -> None:
    items = {e["kind"]: e for e in ok(app_client.get(EV))["items"]}
    assert {"exact_match", "regex", "bleu", "rouge_l", "llm_judge", "pairwise"} <= set(items)
    assert items["json_schema"]["config_schema"]["required"] == ["schema"]
    assert items["exact_match"]["requires"] == ["expected"]
    assert items["exact_match"]["builtin"] is True


def test_try_an_evaluator(app_client: TestClient) -> None:
    body = {"kind": "contains", "config": {"values": ["ada"]}, "output": "Hello, Ada!"}
    score = ok(app_client.post(f"{EV}/test", json=body))
    assert (score["value"], score["passed"], score["name"]) == (1.0, True, "contains")


def test_judge_through_the_api_records_its_generation(app_client: TestClient) -> None:
    answer = {"criteria": {"clear": {"score": 4, "reasoning": "ok"}}, "reasoning": "fine"}
    connection = {"name": "judge", "kind": "fake", "options": {"output": json.dumps(answer)}}
    ok(app_client.post(f"{API}/providers", json=connection), 201)
    config = {"model": "judge/echo", "criteria": [{"name": "clear", "description": "clear"}]}
    body = {"kind": "llm_judge", "config": config, "output": "An answer."}
    score = ok(app_client.post(f"{EV}/test", json=body))
    assert score["value"] == 0.75 and score["source"] == "judge"
    generation = score["details"]["judge_generation_id"]
    ok(app_client.get(f"{API}/generations/{generation}"))


def test_refusals_are_clear_4xx(app_client: TestClient) -> None:
    error(
        app_client.post(f"{EV}/test", json={"kind": "nope", "output": "x"}),
        422,
        "unknown_evaluator",
    )
    bad = {"kind": "regex", "config": {"pattern": "("}, "output": "x"}
    assert "regular expression" in error(app_client.post(f"{EV}/test", json=bad), 422)["message"]
    missing = {"kind": "exact_match", "output": "x"}
    error(app_client.post(f"{EV}/test", json=missing), 422, "expected_missing")
    big = {"kind": "exact_match", "output": "x" * 100_001, "expected": "x"}
    error(app_client.post(f"{EV}/test", json=big), 422)
    judge = {
        "kind": "llm_judge",
        "config": {"model": "nowhere/x", "criteria": [{"name": "c", "description": "d"}]},
        "output": "x",
    }
    score = ok(app_client.post(f"{EV}/test", json=judge))
    assert score["value"] is None and "nowhere" in score["details"]["error"]
