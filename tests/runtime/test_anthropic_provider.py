"""Kind ``anthropic`` through the real ``anthropic`` SDK against a local server speaking
Anthropic's Messages wire protocol."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from promptyard.plugins.api import (
    ChatRequest,
    ChatResult,
    Finished,
    ProviderConnection,
    ProviderError,
    StreamEvent,
    TextDelta,
    ToolCall,
    Usage,
)
from promptyard.plugins.builtin.providers.anthropic import AnthropicProvider
from tests.runtime._wire import Reply, WireServer

PATH = "/v1/messages"
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "lookup",
            "description": "Look a word up",
            "parameters": {"type": "object", "properties": {"q": {"type": "string"}}},
        },
    }
]
REQUEST = ChatRequest(
    model="claude-test",
    messages=[
        {"role": "system", "content": "Be brief."},
        {"role": "system", "content": "Answer in English."},
        {"role": "user", "content": "Look up x"},
    ],
    params={"temperature": 0.1, "stop": "END", "seed": 7},
)


def connection(wire: WireServer, **options: Any) -> ProviderConnection:
    return ProviderConnection(
        name="claude",
        kind="anthropic",
        base_url=wire.url,
        api_key="sk-ant-test",
        options=options,
        timeout_seconds=10,
    )


def message(content: list[dict[str, Any]], stop: str = "end_turn") -> dict[str, Any]:
    return {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": "claude-test-20261201",
        "content": content,
        "stop_reason": stop,
        "stop_sequence": None,
        "usage": {
            "input_tokens": 10,
            "output_tokens": 5,
            "cache_read_input_tokens": 100,
            "cache_creation_input_tokens": 20,
        },
    }


def error(status: int, kind: str, text: str, **headers: str) -> Reply:
    body = {"type": "error", "error": {"type": kind, "message": text}, "request_id": "req_1"}
    return Reply(status, body, headers=headers)


def events(*text: str, tool: bool = False) -> list[tuple[str | None, Any]]:
    start = message([], stop="")
    start["stop_reason"] = None
    start["usage"] = {"input_tokens": 10, "output_tokens": 1, "cache_read_input_tokens": 4}
    out: list[tuple[str | None, Any]] = [
        ("message_start", {"type": "message_start", "message": start})
    ]
    out.append(
        (
            "content_block_start",
            {
                "type": "content_block_start",
                "index": 0,
                "content_block": {"type": "text", "text": ""},
            },
        )
    )
    for part in text:
        delta = {"type": "text_delta", "text": part}
        out.append(
            ("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": delta})
        )
    out.append(("content_block_stop", {"type": "content_block_stop", "index": 0}))
    if tool:
        block = {"type": "tool_use", "id": "toolu_1", "name": "lookup", "input": {}}
        out.append(
            (
                "content_block_start",
                {"type": "content_block_start", "index": 1, "content_block": block},
            )
        )
        for piece in ('{"q": ', '"x"}'):
            delta = {"type": "input_json_delta", "partial_json": piece}
            out.append(
                ("content_block_delta", {"type": "content_block_delta", "index": 1, "delta": delta})
            )
        out.append(("content_block_stop", {"type": "content_block_stop", "index": 1}))
    stop = "tool_use" if tool else "end_turn"
    delta_event = {
        "type": "message_delta",
        "delta": {"stop_reason": stop, "stop_sequence": None},
        "usage": {"output_tokens": 15},
    }
    out.append(("message_delta", delta_event))
    out.append(("message_stop", {"type": "message_stop"}))
    return out


def complete(conn: ProviderConnection, request: ChatRequest = REQUEST) -> ChatResult:
    return asyncio.run(AnthropicProvider().complete(conn, request))


def collect(conn: ProviderConnection, request: ChatRequest = REQUEST) -> list[StreamEvent]:
    async def main() -> list[StreamEvent]:
        return [event async for event in AnthropicProvider().stream(conn, request)]

    return asyncio.run(main())


def test_completion_lifts_system_translates_tools_and_maps_tool_use(wire: WireServer) -> None:
    content = [
        {"type": "text", "text": "Let me look."},
        {"type": "tool_use", "id": "toolu_1", "name": "lookup", "input": {"q": "x"}},
    ]
    wire.app.add(PATH, Reply(body=message(content, stop="tool_use")))
    request = ChatRequest(
        model=REQUEST.model,
        messages=REQUEST.messages,
        params=REQUEST.params,
        tools=TOOLS,
        tool_choice="required",
    )
    result = complete(connection(wire, headers={"X-Team": "search"}), request)
    assert result.output == "Let me look."
    assert result.tool_calls == [ToolCall(id="toolu_1", name="lookup", arguments='{"q": "x"}')]
    assert result.finish_reason == "tool_calls"
    assert result.model == "claude-test-20261201"
    # cache reads and writes are part of the input; reads are the cached tokens
    assert result.usage == Usage(
        input_tokens=130, output_tokens=5, cached_tokens=100, reasoning_tokens=None
    )
    [seen] = wire.app.seen(PATH)
    # the SDK version decides the header (x-api-key, or a bearer token in 2.x)
    key_headers = (seen.headers.get("x-api-key"), seen.headers.get("authorization"))
    assert "sk-ant-test" in key_headers or "Bearer sk-ant-test" in key_headers
    assert seen.headers["x-team"] == "search"
    body = seen.body
    assert body["system"] == "Be brief.\n\nAnswer in English."
    assert body["messages"] == [{"role": "user", "content": "Look up x"}]
    assert body["max_tokens"] == 4096
    assert body["stop_sequences"] == ["END"]
    assert body["temperature"] == 0.1
    assert "seed" not in body
    assert body["tools"] == [
        {
            "name": "lookup",
            "description": "Look a word up",
            "input_schema": {"type": "object", "properties": {"q": {"type": "string"}}},
        }
    ]
    assert body["tool_choice"] == {"type": "any"}


def test_tool_results_and_assistant_tool_calls_are_translated(wire: WireServer) -> None:
    wire.app.add(PATH, Reply(body=message([{"type": "text", "text": "x means y"}])))
    call = {
        "id": "toolu_1",
        "type": "function",
        "function": {"name": "lookup", "arguments": '{"q": "x"}'},
    }
    request = ChatRequest(
        model="claude-test",
        messages=[
            {"role": "user", "content": "Look up x"},
            {"role": "assistant", "content": None, "tool_calls": [call]},
            {"role": "tool", "tool_call_id": "toolu_1", "content": "y"},
        ],
        params={"max_tokens": 64},
        response_format={
            "type": "json_schema",
            "json_schema": {"name": "a", "schema": {"type": "object"}},
        },
    )
    assert complete(connection(wire), request).output == "x means y"
    body = wire.app.seen(PATH)[0].body
    assert body["max_tokens"] == 64
    assert body["messages"][1] == {
        "role": "assistant",
        "content": [{"type": "tool_use", "id": "toolu_1", "name": "lookup", "input": {"q": "x"}}],
    }
    assert body["messages"][2] == {
        "role": "user",
        "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "y"}],
    }
    assert body["output_config"] == {
        "format": {"type": "json_schema", "schema": {"type": "object"}}
    }


def test_untranslatable_requests_are_caller_errors_before_any_call(wire: WireServer) -> None:
    request = ChatRequest(
        model="claude-test",
        messages=[{"role": "user", "content": "x"}],
        response_format={"type": "json_object"},
    )
    with pytest.raises(ProviderError) as raised:
        complete(connection(wire), request)
    assert raised.value.caller_error
    assert wire.app.requests == []


def test_stream_yields_text_tool_use_and_usage(wire: WireServer) -> None:
    wire.app.add(PATH, Reply(sse=events("Hel", "lo", tool=True)))
    got = collect(connection(wire))
    assert [e.text for e in got if isinstance(e, TextDelta)] == ["Hel", "lo"]
    final = got[-1]
    assert isinstance(final, Finished)
    assert final.result.output == "Hello"
    assert final.result.tool_calls == [
        ToolCall(id="toolu_1", name="lookup", arguments='{"q": "x"}')
    ]
    assert final.result.finish_reason == "tool_calls"
    assert final.result.usage == Usage(input_tokens=14, output_tokens=15, cached_tokens=4)
    assert wire.app.seen(PATH)[0].body["stream"] is True


@pytest.mark.parametrize(
    ("status", "kind", "retryable", "caller_error"),
    [
        (400, "invalid_request_error", False, True),
        (404, "not_found_error", False, True),
        (413, "request_too_large", False, True),
        (500, "api_error", True, False),
        (529, "overloaded_error", True, False),
    ],
)
def test_error_bodies_map_to_provider_errors(
    wire: WireServer, status: int, kind: str, retryable: bool, caller_error: bool
) -> None:
    wire.app.add(PATH, error(status, kind, f"a {kind} happened"))
    with pytest.raises(ProviderError) as raised:
        complete(connection(wire))
    exc = raised.value
    assert (exc.status, exc.retryable, exc.caller_error) == (status, retryable, caller_error)
    assert f"a {kind} happened" in exc.message
    assert len(wire.app.seen(PATH)) == 1


def test_401_says_the_key_was_refused(wire: WireServer) -> None:
    wire.app.add(PATH, error(401, "authentication_error", "invalid x-api-key"))
    with pytest.raises(ProviderError) as raised:
        complete(connection(wire))
    assert "refused the API key" in raised.value.message
    assert "invalid x-api-key" in raised.value.message
    assert not raised.value.caller_error and not raised.value.retryable


def test_429_carries_retry_after_as_an_http_date(wire: WireServer) -> None:
    wire.app.add(
        PATH,
        error(
            429,
            "rate_limit_error",
            "Number of requests has exceeded your rate limit",
            **{"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"},
        ),
    )
    with pytest.raises(ProviderError) as raised:
        complete(connection(wire))
    assert raised.value.retryable and raised.value.status == 429
    assert raised.value.retry_after == 0.0  # a date in the past: no wait
    assert "exceeded your rate limit" in raised.value.message


def test_an_overloaded_error_event_mid_stream_is_retryable(wire: WireServer) -> None:
    script = events("par", "tial")[:3]
    script.append(
        ("error", {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}})
    )
    wire.app.add(PATH, Reply(sse=script))

    async def main() -> list[str]:
        seen: list[str] = []
        with pytest.raises(ProviderError) as raised:
            async for event in AnthropicProvider().stream(connection(wire), REQUEST):
                assert isinstance(event, TextDelta)
                seen.append(event.text)
        assert raised.value.retryable and "Overloaded" in raised.value.message
        return seen

    assert asyncio.run(main()) == ["par"]


def test_a_connection_cut_mid_stream_is_retryable(wire: WireServer) -> None:
    wire.app.add(PATH, Reply(sse=events("a", "b", "c"), cut_after=4))

    async def main() -> list[str]:
        seen: list[str] = []
        with pytest.raises(ProviderError) as raised:
            async for event in AnthropicProvider().stream(connection(wire), REQUEST):
                assert isinstance(event, TextDelta)
                seen.append(event.text)
        assert raised.value.retryable
        return seen

    assert asyncio.run(main()) == ["a", "b"]


def test_models_are_listed(wire: WireServer) -> None:
    data = [
        {"type": "model", "id": name, "display_name": name, "created_at": "2026-01-01T00:00:00Z"}
        for name in ("claude-b", "claude-a")
    ]
    wire.app.add(
        "/v1/models",
        Reply(
            body={"data": data, "has_more": False, "first_id": "claude-b", "last_id": "claude-a"}
        ),
    )
    assert asyncio.run(AnthropicProvider().list_models(connection(wire))) == [
        "claude-a",
        "claude-b",
    ]
