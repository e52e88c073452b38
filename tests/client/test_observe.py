"""``client.observe``: timing a call and recording it, linked to the prompt version it
compiled, against the real app. A scope is a span of its trace (read back through
``/api/v1/traces``), or a generation when it sets a model or token counts."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import pytest
from fastapi.testclient import TestClient

from promptyard.client import AsyncClient, Client, ReportingSettings, current_observation
from tests._server import LiveServer

FAST = ReportingSettings(backoff=0.01, shutdown_timeout=2.0)


def stored(app_client: TestClient, generation_id: str) -> dict[str, Any]:
    response = app_client.get(f"/api/v1/generations/{generation_id}")
    assert response.status_code == 200, response.text
    return dict(response.json())


def node(app_client: TestClient, span: Any) -> dict[str, Any]:
    """The stored span of an ``observe`` scope, from its trace."""
    response = app_client.get(f"/api/v1/traces/{span.trace_id}")
    assert response.status_code == 200, response.text
    found = [n for n in response.json()["nodes"] if n["id"] == span.id]
    assert len(found) == 1, response.json()
    return dict(found[0])


@pytest.fixture
def client(live_server: LiveServer) -> Any:
    with Client(live_server.url, live_server.api_key, reporting=FAST) as sdk:
        sdk.create_prompt("greet", type="text", content="Hello {{ user }}!")
        sdk.update_prompt("greet", content="Hi {{ user }}!")
        sdk.set_label("greet", "production", 2)
        yield sdk


def test_a_compiled_prompt_links_its_name_and_version(
    client: Client, app_client: TestClient
) -> None:
    prompt = client.get_prompt("greet")
    scopes: list[Any] = []

    @client.observe(feature="greeting", user_id="u1")
    def answer(user: str) -> str:
        scopes.append(current_observation())
        text = prompt.compile(user=user)
        time.sleep(0.02)
        return text.upper()

    assert answer("Ada") == "HI ADA!"
    with client.observe("second") as span:
        client.get_prompt("greet", version=1).compile(user="Bo")
    assert client.flush(10)
    # model-less scopes are spans, not generations
    rows = app_client.get("/api/v1/generations", params={"prompt": "greet"}).json()["items"]
    assert rows == []
    first = node(app_client, scopes[0])
    assert first["type"] == "span" and first["name"].endswith("answer")
    attributes = first["attributes"]
    assert attributes["promptyard.prompt.name"] == "greet"
    assert attributes["promptyard.prompt.version"] == 2
    assert attributes["input.value"] == "Hi Ada!" and attributes["output.value"] == "HI ADA!"
    assert first["duration_ms"] >= 20
    assert (attributes["promptyard.feature"], attributes["user.id"]) == ("greeting", "u1")
    assert first["status"] == "ok"
    second = node(app_client, span)
    assert second["attributes"]["promptyard.prompt.version"] == 1 and second["name"] == "second"


def test_an_exception_is_recorded_and_raised(client: Client, app_client: TestClient) -> None:
    seen: list[str] = []

    @client.observe
    def broken() -> None:
        span = current_observation()
        assert span is not None
        seen.append(span.id)
        raise KeyError("missing")

    with pytest.raises(KeyError):
        broken()
    assert client.flush(10)
    trace = app_client.get("/api/v1/traces").json()["items"][0]
    [row] = app_client.get(f"/api/v1/traces/{trace['trace_id']}").json()["nodes"]
    assert row["id"] == seen[0]
    assert row["status"] == "error" and "KeyError" in row["status_message"]


def test_nested_generations_join_the_trace(client: Client, app_client: TestClient) -> None:
    with client.observe("pipeline", session_id="s-9", prompt=client.get_prompt("greet")) as outer:
        outer.update(model="router", metadata={"step": 0})
        inner_id = client.log_generation(model="gpt-4o", input_tokens=5, output_tokens=2)
        with client.observe("inner") as inner:
            pass
    assert client.flush(10)
    child = stored(app_client, inner_id)
    assert child["trace_id"] == outer.trace_id and child["parent_span_id"] == outer.id
    assert child["session_id"] == "s-9"
    assert (child["prompt"]["name"], child["prompt"]["version"]) == ("greet", 2)
    # a scope with a model stays a generation; the one without is a span of the trace
    parent = stored(app_client, outer.id)
    assert parent["model"] == "router" and parent["metadata"]["step"] == 0
    assert parent["parent_span_id"] is None
    nested = node(app_client, inner)
    assert nested["type"] == "span" and nested["parent_id"] == outer.id
    assert nested["depth"] == 1
    assert nested["attributes"]["promptyard.prompt.name"] == "greet"
    assert nested["attributes"]["session.id"] == "s-9"


def test_one_observation_used_by_several_threads(client: Client, app_client: TestClient) -> None:
    observation = client.observe("shared")
    ids: list[str] = []
    gate = threading.Barrier(4)

    def work() -> None:
        with observation as span:
            gate.wait()
            ids.append(span.id)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert client.flush(10)
    assert len(set(ids)) == 4
    listed = app_client.get("/api/v1/traces").json()["items"]
    assert len(listed) == 4 and {t["root_name"] for t in listed} == {"shared"}


def test_async_functions_and_blocks(live_server: LiveServer, app_client: TestClient) -> None:
    async def main() -> list[Any]:
        async with AsyncClient(live_server.url, live_server.api_key, reporting=FAST) as sdk:
            prompt = await sdk.get_prompt("greet")

            @sdk.observe("async-call")
            async def call(user: str) -> str:
                await asyncio.sleep(0.01)
                return prompt.compile(user=user)

            spans: list[Any] = []

            async def block(index: int) -> None:
                async with sdk.observe("block", agent=f"a{index}") as span:
                    await asyncio.sleep(0.01)
                    spans.append(span)

            await asyncio.gather(call("Ada"), *(block(i) for i in range(3)))
            assert await sdk.flush(10)
            return spans

    with Client(live_server.url, live_server.api_key, reporting=False) as sdk:
        sdk.create_prompt("greet", type="text", content="Hello {{ user }}!")
        sdk.set_label("greet", "production", 1)
    spans = asyncio.run(main())
    listed = app_client.get("/api/v1/traces").json()["items"]
    assert sorted(t["root_name"] for t in listed) == ["async-call", "block", "block", "block"]
    [call] = [t for t in listed if t["root_name"] == "async-call"]
    [called] = app_client.get(f"/api/v1/traces/{call['trace_id']}").json()["nodes"]
    assert called["attributes"]["output.value"] == "Hello Ada!"
    assert called["attributes"]["promptyard.prompt.name"] == "greet"
    agents = sorted(node(app_client, s)["attributes"]["promptyard.agent"] for s in spans)
    assert agents == ["a0", "a1", "a2"]


def test_unknown_fields_are_refused_at_once(client: Client) -> None:
    with pytest.raises(TypeError, match="colour"):
        client.observe("x", colour="red")
