"""``POST /api/v1/prompts/execute``: runs on the fake provider and on a real SDK against a
local wire server, several runs side by side, streaming, provider failures, cancellation,
and the generation each run leaves."""

from __future__ import annotations

import contextlib
import json
import time
from typing import Any

import httpx
from fastapi.testclient import TestClient

from tests._server import LiveServer
from tests.api._helpers import API, PROMPTS, error, ok
from tests.conftest import API_KEY
from tests.runtime._wire import Reply, WireServer
from tests.runtime.test_openai_provider import completion, text_stream

EXECUTE = f"{PROMPTS}/execute"


def create(client: TestClient, name: str, content: str) -> None:
    ok(client.post(PROMPTS, json={"name": name, "content": content}), 201)


def connection(client: TestClient, name: str, kind: str, **fields: Any) -> None:
    ok(client.post(f"{API}/providers", json={"name": name, "kind": kind, **fields}), 201)


def events(text: str) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for block in text.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines())
        found.append((lines["event"], json.loads(lines["data"])))
    return found


def test_a_run_answers_usage_cost_latency_and_leaves_a_generation(app_client: TestClient) -> None:
    create(app_client, "greet", "Hello {{ name }}, how are you today?")
    run = ok(
        app_client.post(
            EXECUTE,
            json={
                "model": "fake/echo",
                "prompt": "greet",
                "variables": {"name": "Ada"},
                "user_id": "u-1",
                "feature": "playground",
            },
        )
    )
    assert run["output"] == run["rendered"] == "Hello Ada, how are you today?"
    assert (run["model"], run["provider"], run["connection"]) == ("fake/echo", "fake", "fake")
    assert run["prompt"] == {"name": "greet", "version": 1, "label": None}
    assert run["usage"]["input_tokens"] == 8 and run["usage"]["output_tokens"] == 8
    assert run["cost"]["total"] == 0.0 and run["cost"]["source"] == "fake"
    assert run["finish_reason"] == "stop" and run["error"] is None
    stored = ok(app_client.get(f"{API}/generations/{run['generation_id']}"))
    assert stored["source"] == "execute" and stored["status"] == "ok"
    assert stored["prompt"] == {"name": "greet", "version": 1, "label": None}
    assert (stored["provider"], stored["model"]) == ("fake", "echo")
    assert stored["input"] == [{"role": "user", "content": "Hello Ada, how are you today?"}]
    assert stored["output"] == run["output"]
    assert (stored["user_id"], stored["feature"]) == ("u-1", "playground")
    assert stored["usage"]["input_tokens"] == 8


def test_models_and_versions_side_by_side(app_client: TestClient) -> None:
    create(app_client, "sbs", "one {{ x }}")
    ok(app_client.patch(f"{PROMPTS}/sbs", json={"content": "two {{ x }}"}))
    result = ok(
        app_client.post(
            EXECUTE,
            json={
                "models": ["fake/echo", "fake/upper"],
                "versions": [1, 2],
                "prompt": "sbs",
                "variables": {"x": "y"},
            },
        )
    )
    got = [(r["index"], r["model"], r["prompt"]["version"], r["output"]) for r in result["runs"]]
    assert got == [
        (0, "fake/echo", 1, "one y"),
        (1, "fake/upper", 1, "ONE Y"),
        (2, "fake/echo", 2, "two y"),
        (3, "fake/upper", 2, "TWO Y"),
    ]
    ids = {r["generation_id"] for r in result["runs"]}
    assert len(ids) == 4
    listed = ok(app_client.get(f"{API}/generations", params={"prompt": "sbs"}))["items"]
    assert {g["id"] for g in listed} == ids
    err = error(
        app_client.post(
            EXECUTE,
            json={"models": ["fake/echo"] * 3, "versions": [1, 2, 1], "prompt": "sbs"},
        ),
        422,
    )
    assert "at most 8" in err["message"]


def test_streaming_sends_deltas_then_the_run(app_client: TestClient) -> None:
    body = {"model": "fake/echo", "content": "stream me please, in several pieces", "stream": True}
    response = app_client.post(EXECUTE, json=body)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    found = events(response.text)
    deltas = "".join(data["text"] for name, data in found if name == "delta")
    assert deltas == "stream me please, in several pieces"
    done = [data for name, data in found if name == "done"]
    assert len(done) == 1 and done[0]["output"] == deltas
    assert done[0]["ttft_ms"] is not None
    assert found[-1] == ("end", {"runs": 1})


def test_a_provider_failure_is_a_502_with_its_message_and_is_recorded(
    app_client: TestClient,
) -> None:
    connection(
        app_client,
        "broken",
        "fake",
        options={"error_rate": 1, "error_status": 500, "error_message": "upstream on fire"},
    )
    err = error(app_client.post(EXECUTE, json={"model": "broken/echo", "content": "hi"}), 502)
    assert err["code"] == "provider_error" and "upstream on fire" in err["message"]
    stored = ok(app_client.get(f"{API}/generations", params={"status": "error"}))["items"]
    assert len(stored) == 1 and "upstream on fire" in (stored[0]["error"] or "")
    several = ok(
        app_client.post(EXECUTE, json={"models": ["broken/echo", "fake/echo"], "content": "hi"})
    )
    assert several["runs"][0]["error"]["code"] == "provider_error"
    assert several["runs"][1]["error"] is None and several["runs"][1]["output"] == "hi"


def test_the_callers_mistakes_are_4xx(app_client: TestClient) -> None:
    err = error(app_client.post(EXECUTE, json={"model": "fake/no-such", "content": "hi"}), 422)
    assert err["code"] == "provider_rejected"
    err = error(app_client.post(EXECUTE, json={"model": "nowhere/gpt", "content": "hi"}), 422)
    assert "nowhere" in err["message"]
    error(app_client.post(EXECUTE, json={"model": "no-slash", "content": "hi"}), 422)
    error(app_client.post(EXECUTE, json={"content": "hi"}), 422)


def test_the_openai_sdk_runs_against_a_local_server(
    app_client: TestClient, wire: WireServer
) -> None:
    connection(
        app_client,
        "local-openai",
        "openai",
        base_url=f"{wire.url}/v1",
        api_key="sk-test-abcdef123456",
        models=["gpt-4o"],
    )
    wire.app.add(
        "/v1/chat/completions",
        Reply(status=429, body={"error": {"message": "slow down"}}, headers={"Retry-After": "0"}),
        Reply(body=completion("Bonjour!")),
    )
    run = ok(
        app_client.post(
            EXECUTE,
            json={
                "model": "local-openai/gpt-4o",
                "content": "Say hello in French",
                "config": {"temperature": 0.2},
            },
        )
    )
    assert run["output"] == "Bonjour!"
    assert run["usage"] == {
        "input_tokens": 12,
        "output_tokens": 7,
        "total_tokens": 19,
        "cached_tokens": 8,
        "reasoning_tokens": 3,
    }
    # gpt-4o: 4 input at $2.50/M, 8 cached at $1.25/M, 7 output at $10/M
    assert abs(run["cost"]["input"] - (4 * 2.5 + 8 * 1.25) / 1e6) < 1e-12
    assert abs(run["cost"]["output"] - 7 * 10 / 1e6) < 1e-12
    sent = wire.app.seen("/v1/chat/completions")
    assert len(sent) == 2  # the 429 was retried
    assert sent[-1].body["temperature"] == 0.2
    assert sent[-1].body["messages"] == [{"role": "user", "content": "Say hello in French"}]
    assert sent[-1].headers["authorization"] == "Bearer sk-test-abcdef123456"
    models = ok(app_client.get(f"{API}/models"))["items"]
    assert {"id": "local-openai/gpt-4o", "provider": "openai", "name": "gpt-4o"} in models

    wire.app.add("/v1/chat/completions", Reply(sse=text_stream("Bon", "jour")))
    response = app_client.post(
        EXECUTE, json={"model": "local-openai/gpt-4o", "content": "hi", "stream": True}
    )
    found = events(response.text)
    assert "".join(d["text"] for name, d in found if name == "delta") == "Bonjour"


def test_a_caller_going_away_cancels_the_provider_call(
    live_server: LiveServer, app_client: TestClient
) -> None:
    connection(app_client, "slow", "fake", options={"latency_ms": 30_000, "chunks": 2})
    headers = {"Authorization": f"Bearer {API_KEY}"}
    body = {"model": "slow/echo", "content": "never mind"}
    with contextlib.suppress(httpx.ReadTimeout):  # the client gives up and hangs up
        httpx.post(f"{live_server.url}{EXECUTE}", json=body, headers=headers, timeout=1.0)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        rows = ok(app_client.get(f"{API}/generations", params={"status": "cancelled"}))["items"]
        if rows:
            break
        time.sleep(0.1)
    assert len(rows) == 1
    assert rows[0]["latency_ms"] < 10_000  # stopped long before the provider would answer


def test_a_run_longer_than_the_execute_timeout_is_a_502(app_client: TestClient, core: Any) -> None:
    core.settings.execute_timeout_seconds = 0.3
    connection(app_client, "sleepy", "fake", options={"latency_ms": 5000})
    started = time.monotonic()
    err = error(app_client.post(EXECUTE, json={"model": "sleepy/echo", "content": "hi"}), 502)
    assert time.monotonic() - started < 3
    assert "within 0.3 s" in err["message"]


def test_the_answers_cost_is_the_recorded_one_overrides_included(app_client: TestClient) -> None:
    body = {"model": "echo", "provider": "fake", "input_per_mtok": 1.0, "output_per_mtok": 2.0}
    ok(app_client.post(f"{API}/providers/prices", json=body), 201)
    run = ok(app_client.post(EXECUTE, json={"model": "fake/echo", "content": "one two three"}))
    stored = ok(app_client.get(f"{API}/generations/{run['generation_id']}"))
    assert run["cost"] == stored["cost"]
    assert run["cost"]["source"] == "override" and run["cost_usd"] == run["cost"]["total"]
    assert run["cost"]["total"] == (4 * 1.0 + 4 * 2.0) / 1e6  # 13 characters: 4 tokens each
