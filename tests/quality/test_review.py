"""The LLM review (POST /prompts/{name}/review) over the ASGI app and a real database:
the estimate before the call, the proposal as a diff, the recorded generation and its
real cost, accepting through the normal update; with the fake provider and with the
openai SDK against a scripted OpenAI-compatible server."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.quality.test_api import CLEAN, LEAKY, create
from tests.runtime._wire import Reply, WireServer, wire_server

API = "/api/v1"
WEAK = "Summarise {{ ticket }}."
PROPOSAL = (
    "You are a support lead. Summarise the ticket below for an engineer in at most 3 "
    "bullet points.\n<ticket>\n{{ ticket }}\n</ticket>"
)
ANSWER = json.dumps(
    {
        "summary": "States the role and bounds the answer.",
        "suggestions": [
            {"title": "State a role", "rationale": "Anthropic's guide: give Claude a role."},
            {"title": "Delimit the ticket", "rationale": "OpenAI's guide: use delimiters."},
        ],
        "content": PROPOSAL,
    }
)


@pytest.fixture(scope="module")
def wire() -> Iterator[WireServer]:
    with wire_server() as server:
        yield server


def _connection(client: TestClient, output: str, **extra: Any) -> None:
    body = {"name": "reviewer", "kind": "fake", "models": ["json"], "options": {"output": output}}
    made = client.post(f"{API}/providers", json={**body, **extra})
    assert made.status_code == 201, made.text


def _price(client: TestClient, model: str, input_per_mtok: float, output_per_mtok: float) -> None:
    body = {"model": model, "input_per_mtok": input_per_mtok, "output_per_mtok": output_per_mtok}
    made = client.post(f"{API}/providers/prices", json=body)
    assert made.status_code == 201, made.text


def test_dry_run_estimates_tokens_times_price_and_calls_nothing(app_client: TestClient) -> None:
    create(app_client, "support", WEAK)
    _connection(app_client, ANSWER)
    _price(app_client, "json", 2.0, 8.0)
    before = app_client.get(f"{API}/generations").json()["items"]
    answer = app_client.post(
        f"{API}/prompts/support/review",
        json={"connection": "reviewer", "model": "json", "dry_run": True},
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    estimate = body["estimate"]
    assert body["dry_run"] is True and body["proposed"] is None and body["generation_id"] is None
    assert estimate["price_known"] and estimate["price_source"] == "override"
    assert estimate["output_basis"] == "max_tokens" and estimate["output_tokens"] == 1024
    assert estimate["input_tokens"] > 100  # the reviewer's brief and the template
    expected = (estimate["input_tokens"] * 2.0 + estimate["output_tokens"] * 8.0) / 1e6
    assert estimate["cost"] == pytest.approx(expected, abs=1e-6)
    assert app_client.get(f"{API}/generations").json()["items"] == before


def test_the_proposal_is_a_diff_recorded_priced_and_accepted_by_a_normal_save(
    app_client: TestClient,
) -> None:
    create(app_client, "support", WEAK)
    _connection(app_client, ANSWER)
    _price(app_client, "json", 2.0, 8.0)
    answer = app_client.post(
        f"{API}/prompts/support/review", json={"connection": "reviewer", "model": "json"}
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["version"] == 1 and body["model"] == "reviewer/json"
    assert body["summary"] == "States the role and bounds the answer."
    assert [s["title"] for s in body["suggestions"]] == ["State a role", "Delimit the ticket"]
    assert body["proposed"]["content"] == PROPOSAL and body["proposed"]["type"] == "text"
    assert body["proposed"]["score"] > body["score"]
    diff = body["diff"]
    assert (diff["from"], diff["to"]) == (1, 2) and diff["stats"]["insertions"] > 10
    assert any(s["op"] == "insert" and "support lead" in s["text"] for s in diff["spans"])

    # The real cost is the recorded generation's: usage as the provider counted it.
    generation = app_client.get(f"{API}/generations/{body['generation_id']}").json()
    assert generation["feature"] == "quality-review" and "review" in generation["tags"]
    usage = body["usage"]
    assert usage["input_tokens"] == generation["usage"]["input_tokens"]
    assert generation["cost"]["total"] == body["cost"]["total"]
    assert usage["output_tokens"] == math.ceil(len(ANSWER) / 4)
    real = (usage["input_tokens"] * 2.0 + usage["output_tokens"] * 8.0) / 1e6
    assert body["cost"]["total"] == pytest.approx(real, abs=1e-9)
    assert body["cost"]["total"] <= body["estimate"]["cost"]
    assert usage["input_tokens"] == body["estimate"]["input_tokens"]

    saved = app_client.patch(
        f"{API}/prompts/support",
        json={"content": body["proposed"]["content"], "base_version": body["version"]},
    )
    assert saved.status_code == 200, saved.text
    assert saved.json()["version"]["number"] == 2


def test_chat_prompts_get_chat_proposals(app_client: TestClient) -> None:
    create(app_client, "chatty", [{"role": "user", "content": WEAK}])
    messages = [
        {"role": "system", "content": "You are a support lead. Answer in 3 bullet points."},
        {"role": "user", "content": "<ticket>{{ ticket }}</ticket>"},
    ]
    _connection(app_client, "Here you go:\n```json\n" + json.dumps({"content": messages}) + "\n```")
    answer = app_client.post(
        f"{API}/prompts/chatty/review", json={"connection": "reviewer", "model": "json"}
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["proposed"]["content"] == messages
    assert answer.json()["diff"]["messages"] is not None


def test_refusals_are_clear(app_client: TestClient) -> None:
    create(app_client, "support", CLEAN)
    review = f"{API}/prompts/support/review"
    fake = {"connection": "fake", "model": "echo"}
    # An answer that is no proposal is the provider's failure, said plainly.
    echoed = app_client.post(review, json=fake)
    assert echoed.status_code == 502, echoed.text
    assert echoed.json()["error"]["code"] == "provider_error"
    assert echoed.json()["error"]["message"].startswith("the reviewer's answer")
    unknown = app_client.post(review, json={"connection": "nope", "model": "x"})
    assert unknown.status_code == 422 and "unknown provider connection" in unknown.text
    missing = app_client.post(f"{API}/prompts/absent/review", json=fake)
    assert missing.status_code == 404
    for bad in ({}, {**fake, "version": 0}, {**fake, "connection": "a/b"}, {**fake, "x": 1}):
        refused = app_client.post(review, json=bad)
        assert refused.status_code == 422, (bad, refused.text)
    gone = app_client.post(review, json={**fake, "version": 9})
    assert gone.status_code == 404
    # A version holding a secret is never sent to a model.
    create(app_client, "leaky", LEAKY)
    leak = app_client.post(f"{API}/prompts/leaky/review", json={**fake, "dry_run": True})
    assert leak.status_code == 409 and leak.json()["error"]["code"] == "secret_in_prompt"
    assert "line 5" in leak.json()["error"]["message"]


def _completion(content: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-review",
        "object": "chat.completion",
        "created": 1,
        "model": "gpt-4o-mini",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 410, "completion_tokens": 95, "total_tokens": 505},
    }


def test_through_the_openai_sdk_on_an_openai_compatible_server(
    app_client: TestClient, wire: WireServer
) -> None:
    wire.app.reset()
    create(app_client, "support", WEAK)
    body = {
        "name": "local",
        "kind": "openai",
        "base_url": f"{wire.url}/v1",
        "api_key": "sk-test-review-0123456789",
        "models": ["gpt-4o-mini"],
    }
    assert app_client.post(f"{API}/providers", json=body).status_code == 201
    _price(app_client, "gpt-4o-mini", 0.15, 0.6)
    wire.app.add("/v1/chat/completions", Reply(body=_completion(ANSWER)))
    ask = {"connection": "local", "model": "gpt-4o-mini"}
    dry = app_client.post(f"{API}/prompts/support/review", json={**ask, "dry_run": True}).json()
    assert wire.app.seen("/v1/chat/completions") == []
    answer = app_client.post(f"{API}/prompts/support/review", json=ask)
    assert answer.status_code == 200, answer.text
    result = answer.json()
    [seen] = wire.app.seen("/v1/chat/completions")
    assert seen.body["model"] == "gpt-4o-mini" and seen.body["max_tokens"] == 1024
    assert seen.body["messages"][0]["role"] == "system"
    assert "Summarise {{ ticket }}." in seen.body["messages"][1]["content"]  # sent as text
    # The estimate counted what was sent with the model's encoding; the real cost is the
    # provider's own usage at the same price.
    assert abs(dry["estimate"]["input_tokens"] - 410) < 410  # same order, counted offline
    assert result["usage"] == {"input_tokens": 410, "output_tokens": 95}
    assert result["cost"]["total"] == pytest.approx((410 * 0.15 + 95 * 0.6) / 1e6)
    assert result["proposed"]["content"] == PROPOSAL
