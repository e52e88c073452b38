"""Online evaluation: an evaluator attached to a prompt scores a sampled share of its new
generations in the background job, as scores of source ``online``."""

from __future__ import annotations

from fastapi.testclient import TestClient

from promptyard.services.context import Core
from promptyard.services.evaluation import online
from promptyard.workers.jobs import ONLINE_EVALUATION, build_runner
from tests.api._helpers import API, error, ok

ON = f"{API}/online-evaluators"


def _generations(client: TestClient, start: int, count: int, prompt: str = "support") -> None:
    items = [
        {"id": f"g{i}", "model": "gpt-4o", "prompt_name": prompt, "output": "word " * (i % 7)}
        for i in range(start, start + count)
    ]
    ok(client.post(f"{API}/generations/batch", json={"generations": items}))


def test_sampled_new_generations_are_scored_once(app_client: TestClient, core: Core) -> None:
    _generations(app_client, 0, 5)  # before the attachment: never scored
    body = {
        "name": "short",
        "prompt": "support",
        "kind": "length",
        "config": {"max_words": 3},
        "sample_rate": 0.5,
    }
    created = ok(app_client.post(ON, json=body), 201)
    _generations(app_client, 100, 200)
    _generations(app_client, 1000, 10, prompt="other")
    runner = build_runner(core)
    runner.run_once(ONLINE_EVALUATION)
    runner.run_once(ONLINE_EVALUATION)  # nothing new: nothing scored twice
    stored = ok(app_client.get(f"{API}/scores", params={"source": "online", "limit": 1000}))
    ids = [s["generation_id"] for s in stored["items"]]
    assert len(ids) == len(set(ids))
    expected = {f"g{i}" for i in range(100, 300) if online.sampled(created["id"], f"g{i}", 0.5)}
    assert set(ids) == expected
    assert 60 < len(ids) < 140  # about half
    one = stored["items"][0]
    assert one["name"] == "short" and one["created_by"] == "online:short"
    assert one["passed"] == (one["details"]["words"] <= 3)
    listed = ok(app_client.get(ON))["items"]
    assert listed[0]["scored"] == len(ids)


def test_paused_and_refused(app_client: TestClient, core: Core) -> None:
    body = {"name": "em", "prompt": "support", "kind": "exact_match", "sample_rate": 1}
    assert "expected" in error(app_client.post(ON, json=body), 422)["message"]
    body = {"name": "len", "prompt": "support", "kind": "length", "sample_rate": 1}
    ok(app_client.post(ON, json=body), 201)
    error(app_client.post(ON, json=body), 409)
    ok(app_client.patch(f"{ON}/len", json={"active": False}))
    _generations(app_client, 0, 3)
    assert online.score_new(core) == 0
    ok(app_client.patch(f"{ON}/len", json={"active": True}))
    assert online.score_new(core) == 3
    assert app_client.delete(f"{ON}/len").status_code == 204
    error(app_client.delete(f"{ON}/len"), 404)
