"""``wrap_openai`` / ``wrap_anthropic``: the real SDKs against a local server speaking
their wire protocols; every call is recorded by the real app."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Iterator
from typing import Any

import anthropic
import openai
import pytest
from fastapi.testclient import TestClient

from promptyard.client import Client, ReportingSettings, wrap_anthropic, wrap_openai
from tests._server import LiveServer
from tests.runtime._wire import Reply, WireServer, wire_server

OPENAI = "/v1/chat/completions"
ANTHROPIC = "/v1/messages"
MESSAGES: Any = [{"role": "user", "content": "Say hello"}]


@pytest.fixture(scope="module")
def _wire_module() -> Iterator[WireServer]:
    with wire_server() as server:
        yield server


@pytest.fixture
def wire(_wire_module: WireServer) -> WireServer:
    _wire_module.app.reset()
    return _wire_module


@pytest.fixture
def py(live_server: LiveServer) -> Iterator[Client]:
    settings = ReportingSettings(backoff=0.01, shutdown_timeout=2.0)
    with Client(live_server.url, live_server.api_key, reporting=settings) as client:
        yield client


def rows(py: Client, app_client: TestClient) -> list[dict[str, Any]]:
    """Every stored generation, oldest first, in full."""
    assert py.flush(10)
    assert py.reporter.stats["rejected"] == 0
    items = app_client.get("/api/v1/generations", params={"limit": 200}).json()["items"]
    return [app_client.get(f"/api/v1/generations/{g['id']}").json() for g in reversed(items)]


# ---- OpenAI wire shapes


def completion(content: str = "Hello!") -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1,
        "model": "gpt-test-2026",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": "stop",
            }
        ],
        "usage": {
            "prompt_tokens": 12,
            "completion_tokens": 7,
            "total_tokens": 19,
            "prompt_tokens_details": {"cached_tokens": 8},
            "completion_tokens_details": {"reasoning_tokens": 3},
        },
    }


def chunk(delta: dict[str, Any] | None, finish: str | None = None, usage: Any = None) -> Any:
    choices = [] if delta is None else [{"index": 0, "delta": delta, "finish_reason": finish}]
    return {
        "id": "chatcmpl-2",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "gpt-test-2026",
        "choices": choices,
        "usage": usage,
    }


def openai_stream(*parts: str, usage: bool = True) -> list[tuple[str | None, Any]]:
    events: list[tuple[str | None, Any]] = [(None, chunk({"role": "assistant", "content": ""}))]
    events += [(None, chunk({"content": part})) for part in parts]
    events.append((None, chunk({}, finish="stop")))
    if usage:
        events.append((None, chunk(None, usage={"prompt_tokens": 5, "completion_tokens": 2})))
    events.append((None, "[DONE]"))
    return events


def openai_client(wire: WireServer) -> openai.OpenAI:
    return openai.OpenAI(api_key="sk-test", base_url=f"{wire.url}/v1", max_retries=0)


# ---- Anthropic wire shapes


def message(text: str = "Hi there") -> dict[str, Any]:
    return {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": "claude-test-20261201",
        "content": [{"type": "text", "text": text}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {
            "input_tokens": 10,
            "output_tokens": 5,
            "cache_read_input_tokens": 100,
            "cache_creation_input_tokens": 20,
        },
    }


def anthropic_events(*parts: str) -> list[tuple[str | None, Any]]:
    start = {**message(""), "content": [], "stop_reason": None}
    start["usage"] = {"input_tokens": 10, "output_tokens": 1, "cache_read_input_tokens": 4}
    block = {
        "type": "content_block_start",
        "index": 0,
        "content_block": {"type": "text", "text": ""},
    }
    out: list[tuple[str | None, Any]] = [
        ("message_start", {"type": "message_start", "message": start}),
        ("content_block_start", block),
    ]
    for part in parts:
        delta = {
            "type": "content_block_delta",
            "index": 0,
            "delta": {"type": "text_delta", "text": part},
        }
        out.append(("content_block_delta", delta))
    out.append(("content_block_stop", {"type": "content_block_stop", "index": 0}))
    end = {
        "type": "message_delta",
        "delta": {"stop_reason": "end_turn", "stop_sequence": None},
        "usage": {"output_tokens": 15},
    }
    out += [("message_delta", end), ("message_stop", {"type": "message_stop"})]
    return out


def anthropic_client(wire: WireServer) -> anthropic.Anthropic:
    return anthropic.Anthropic(api_key="sk-ant-test", base_url=wire.url, max_retries=0)


# ---- OpenAI


def test_openai_completion_is_recorded_with_its_usage(
    wire: WireServer, py: Client, app_client: TestClient
) -> None:
    wire.app.add(OPENAI, Reply(body=completion()))
    sdk = wrap_openai(openai_client(wire), reporter=py, feature="chat", tags=["t"])
    response = sdk.chat.completions.create(model="gpt-test", messages=MESSAGES, temperature=0)
    assert isinstance(response, openai.types.chat.ChatCompletion)  # untouched
    assert response.choices[0].message.content == "Hello!"
    [row] = rows(py, app_client)
    assert (row["provider"], row["model"], row["status"]) == ("openai", "gpt-test-2026", "ok")
    usage = row["usage"]
    assert (usage["input_tokens"], usage["output_tokens"]) == (12, 7)
    assert (usage["cached_tokens"], usage["reasoning_tokens"]) == (8, 3)
    assert usage["estimated"] is False
    assert row["input"] == MESSAGES and row["output"] == "Hello!"
    assert row["feature"] == "chat" and row["tags"] == ["t"]
    assert row["metadata"]["finish_reason"] == "stop"
    assert row["metadata"]["response_id"] == "chatcmpl-1"
    assert row["latency_ms"] > 0
    # the request went out as the caller wrote it
    assert wire.app.seen(OPENAI)[0].body["temperature"] == 0


def test_openai_stream_is_recorded_when_read_to_its_end(
    wire: WireServer, py: Client, app_client: TestClient
) -> None:
    wire.app.add(OPENAI, Reply(sse=openai_stream("Hel", "lo", "!")))
    sdk = wrap_openai(openai_client(wire), reporter=py)
    stream = sdk.chat.completions.create(
        model="gpt-test", messages=MESSAGES, stream=True, stream_options={"include_usage": True}
    )
    text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    assert text == "Hello!"
    [row] = rows(py, app_client)
    assert row["output"] == "Hello!" and row["status"] == "ok"
    assert (row["usage"]["input_tokens"], row["usage"]["output_tokens"]) == (5, 2)
    assert 0 < row["ttft_ms"] <= row["latency_ms"]


def test_an_openai_stream_left_unfinished_is_recorded_as_cancelled(
    wire: WireServer, py: Client, app_client: TestClient
) -> None:
    wire.app.add(OPENAI, Reply(sse=openai_stream("a", "b", "c")))
    sdk = wrap_openai(openai_client(wire), reporter=py)
    stream = sdk.chat.completions.create(model="gpt-test", messages=MESSAGES, stream=True)
    next(iter(stream))
    del stream
    gc.collect()
    [row] = rows(py, app_client)
    assert row["status"] == "cancelled"


def test_openai_errors_are_recorded_and_raised_unchanged(
    wire: WireServer, py: Client, app_client: TestClient
) -> None:
    body = {"error": {"message": "model not found", "type": "invalid_request_error"}}
    wire.app.add(OPENAI, Reply(404, body))
    sdk = wrap_openai(openai_client(wire), reporter=py)
    with pytest.raises(openai.NotFoundError):
        sdk.chat.completions.create(model="nope", messages=MESSAGES)
    [row] = rows(py, app_client)
    assert row["status"] == "error" and "model not found" in row["error"]
    assert row["model"] == "nope"


def test_async_openai_completion_and_stream(
    wire: WireServer, py: Client, app_client: TestClient
) -> None:
    wire.app.add(OPENAI, Reply(body=completion("async")), Reply(sse=openai_stream("s", "t")))

    async def main() -> str:
        sdk = wrap_openai(
            openai.AsyncOpenAI(api_key="sk", base_url=f"{wire.url}/v1", max_retries=0),
            reporter=py,
        )
        first = await sdk.chat.completions.create(model="gpt-test", messages=MESSAGES)
        stream = await sdk.chat.completions.create(model="gpt-test", messages=MESSAGES, stream=True)
        parts = [c.choices[0].delta.content or "" async for c in stream if c.choices]
        await sdk.close()
        return f"{first.choices[0].message.content} {''.join(parts)}"

    assert asyncio.run(main()) == "async st"
    first, second = rows(py, app_client)
    assert first["output"] == "async" and first["usage"]["input_tokens"] == 12
    assert second["output"] == "st" and second["usage"]["input_tokens"] == 5
    assert second["ttft_ms"] is not None


def test_a_prompt_and_an_observation_are_linked(
    wire: WireServer, py: Client, app_client: TestClient
) -> None:
    py.create_prompt("ask", type="chat", content=[{"role": "user", "content": "Say {{ w }}"}])
    py.set_label("ask", "production", 1)
    wire.app.add(OPENAI, Reply(body=completion()), Reply(body=completion()))
    sdk = wrap_openai(openai_client(wire), reporter=py)
    prompt = py.get_prompt("ask")
    sdk.chat.completions.create(
        model="gpt-test", messages=prompt.compile(w="hi"), promptyard_prompt=prompt
    )
    assert "promptyard_prompt" not in wire.app.seen(OPENAI)[0].body
    with py.observe("turn", user_id="u7") as span:
        sdk.chat.completions.create(model="gpt-test", messages=prompt.compile(w="yo"))
    by_id = {r["id"]: r for r in rows(py, app_client)}
    assert len(by_id) == 2  # the two calls; the scope is a span of the trace
    call = next(r for r in by_id.values() if r["parent_span_id"] == span.id)
    direct = next(r for r in by_id.values() if r["parent_span_id"] is None)
    assert (direct["prompt"]["name"], direct["prompt"]["version"]) == ("ask", 1)
    assert (call["prompt"]["name"], call["prompt"]["version"]) == ("ask", 1)
    assert call["trace_id"] == span.trace_id and call["user_id"] == "u7"
    assert call["input"] == [{"role": "user", "content": "Say yo"}]
    # the scope's span keeps its timing and links, not the call's text (no double count)
    nodes = app_client.get(f"/api/v1/traces/{span.trace_id}").json()["nodes"]
    turn = next(n for n in nodes if n["id"] == span.id)
    assert turn["type"] == "span" and turn["children"] == [call["id"]]
    assert "input.value" not in turn["attributes"] and "output.value" not in turn["attributes"]
    assert turn["input_tokens"] is None
    assert (turn["attributes"]["promptyard.prompt.name"], turn["duration_ms"] > 0) == ("ask", True)


# ---- Anthropic


def test_anthropic_message_is_recorded_with_cache_tokens(
    wire: WireServer, py: Client, app_client: TestClient
) -> None:
    wire.app.add(ANTHROPIC, Reply(body=message()))
    sdk = wrap_anthropic(anthropic_client(wire), reporter=py, agent="bot")
    reply = sdk.messages.create(
        model="claude-test", max_tokens=50, system="Be brief.", messages=MESSAGES
    )
    assert isinstance(reply, anthropic.types.Message)
    [row] = rows(py, app_client)
    assert (row["provider"], row["model"]) == ("anthropic", "claude-test-20261201")
    usage = row["usage"]
    # input = plain + cache reads + cache writes; cached = the reads
    assert (usage["input_tokens"], usage["cached_tokens"], usage["output_tokens"]) == (130, 100, 5)
    assert row["input"][0] == {"role": "system", "content": "Be brief."}
    assert row["output"] == "Hi there" and row["agent"] == "bot"
    assert row["metadata"]["finish_reason"] == "end_turn"


def test_anthropic_raw_stream_is_recorded(
    wire: WireServer, py: Client, app_client: TestClient
) -> None:
    wire.app.add(ANTHROPIC, Reply(sse=anthropic_events("Hel", "lo")))
    sdk = wrap_anthropic(anthropic_client(wire), reporter=py)
    stream = sdk.messages.create(model="claude-test", max_tokens=50, messages=MESSAGES, stream=True)
    kinds = [event.type for event in stream]
    assert kinds[0] == "message_start" and kinds[-1] == "message_stop"
    [row] = rows(py, app_client)
    usage = row["usage"]
    assert (usage["input_tokens"], usage["cached_tokens"], usage["output_tokens"]) == (14, 4, 15)
    assert row["output"] == "Hello" and row["status"] == "ok" and row["ttft_ms"] > 0


def test_anthropic_messages_stream_helper_is_recorded(
    wire: WireServer, py: Client, app_client: TestClient
) -> None:
    wire.app.add(ANTHROPIC, Reply(sse=anthropic_events("one ", "two")))
    sdk = wrap_anthropic(anthropic_client(wire), reporter=py)
    with sdk.messages.stream(model="claude-test", max_tokens=50, messages=MESSAGES) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text == "one two" and final.usage.output_tokens == 15
    [row] = rows(py, app_client)
    assert row["output"] == "one two" and row["usage"]["output_tokens"] == 15
    assert row["status"] == "ok" and row["ttft_ms"] is not None


def test_async_anthropic_create_and_stream_helper(
    wire: WireServer, py: Client, app_client: TestClient
) -> None:
    wire.app.add(ANTHROPIC, Reply(body=message("first")), Reply(sse=anthropic_events("2nd")))

    async def main() -> list[str]:
        sdk = wrap_anthropic(
            anthropic.AsyncAnthropic(api_key="sk", base_url=wire.url, max_retries=0), reporter=py
        )
        first = await sdk.messages.create(model="claude-test", max_tokens=9, messages=MESSAGES)
        async with sdk.messages.stream(
            model="claude-test", max_tokens=9, messages=MESSAGES
        ) as stream:
            second = "".join([part async for part in stream.text_stream])
        await sdk.close()
        return [first.content[0].text, second]  # type: ignore[union-attr]

    assert asyncio.run(main()) == ["first", "2nd"]
    first, second = rows(py, app_client)
    assert first["output"] == "first" and first["usage"]["output_tokens"] == 5
    assert second["output"] == "2nd" and second["usage"]["input_tokens"] == 14


def test_anthropic_error_is_recorded(wire: WireServer, py: Client, app_client: TestClient) -> None:
    body = {"type": "error", "error": {"type": "overloaded_error", "message": "busy"}}
    wire.app.add(ANTHROPIC, Reply(529, body))
    sdk = wrap_anthropic(anthropic_client(wire), reporter=py)
    with pytest.raises(anthropic.APIStatusError):
        sdk.messages.create(model="claude-test", max_tokens=5, messages=MESSAGES)
    [row] = rows(py, app_client)
    assert row["status"] == "error" and "busy" in row["error"]


def test_wrapping_twice_records_once(wire: WireServer, py: Client, app_client: TestClient) -> None:
    wire.app.add(OPENAI, Reply(body=completion()))
    sdk = wrap_openai(wrap_openai(openai_client(wire), reporter=py), reporter=py)
    sdk.chat.completions.create(model="gpt-test", messages=MESSAGES)
    assert len(rows(py, app_client)) == 1
