"""``client.observe``: timing a call and recording it, linked to the prompt version it
compiled, against the real app."""

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

    @client.observe(feature="greeting", user_id="u1")
    def answer(user: str) -> str:
        text = prompt.compile(user=user)
        time.sleep(0.02)
        return text.upper()

    assert answer("Ada") == "HI ADA!"
    with client.observe("second") as span:
        client.get_prompt("greet", version=1).compile(user="Bo")
    assert client.flush(10)
    rows = app_client.get("/api/v1/generations", params={"prompt": "greet"}).json()["items"]
    assert len(rows) == 2
    first = stored(app_client, next(r["id"] for r in rows if r["id"] != span.id))
    assert first["prompt"]["name"] == "greet" and first["prompt"]["version"] == 2
    assert first["input"] == "Hi Ada!" and first["output"] == "HI ADA!"
    assert first["latency_ms"] >= 20
    assert (first["feature"], first["user_id"], first["status"]) == ("greeting", "u1", "ok")
    assert first["metadata"]["observation"].endswith("answer")
    second = stored(app_client, span.id)
    assert second["prompt"]["version"] == 1 and second["metadata"]["observation"] == "second"


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
    row = stored(app_client, seen[0])
    assert row["status"] == "error" and "KeyError" in row["error"]


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
    nested = stored(app_client, inner.id)
    assert nested["trace_id"] == outer.trace_id and nested["parent_span_id"] == outer.id
    parent = stored(app_client, outer.id)
    assert parent["model"] == "router" and parent["metadata"]["step"] == 0
    assert parent["parent_span_id"] is None


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
    for generation_id in ids:
        assert stored(app_client, generation_id)["metadata"]["observation"] == "shared"


def test_async_functions_and_blocks(live_server: LiveServer, app_client: TestClient) -> None:
    async def main() -> list[str]:
        async with AsyncClient(live_server.url, live_server.api_key, reporting=FAST) as sdk:
            prompt = await sdk.get_prompt("greet")

            @sdk.observe("async-call")
            async def call(user: str) -> str:
                await asyncio.sleep(0.01)
                return prompt.compile(user=user)

            spans: list[str] = []

            async def block(index: int) -> None:
                async with sdk.observe("block", agent=f"a{index}") as span:
                    await asyncio.sleep(0.01)
                    spans.append(span.id)

            await asyncio.gather(call("Ada"), *(block(i) for i in range(3)))
            assert await sdk.flush(10)
            return spans

    with Client(live_server.url, live_server.api_key, reporting=False) as sdk:
        sdk.create_prompt("greet", type="text", content="Hello {{ user }}!")
        sdk.set_label("greet", "production", 1)
    spans = asyncio.run(main())
    rows = app_client.get("/api/v1/generations", params={"prompt": "greet"}).json()["items"]
    assert len(rows) == 1
    assert stored(app_client, rows[0]["id"])["output"] == "Hello Ada!"
    agents = sorted(stored(app_client, s)["agent"] for s in spans)
    assert agents == ["a0", "a1", "a2"]


def test_unknown_fields_are_refused_at_once(client: Client) -> None:
    with pytest.raises(TypeError, match="colour"):
        client.observe("x", colour="red")
