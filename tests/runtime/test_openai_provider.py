"""Kind ``openai`` (and ``azure_openai``) through the real ``openai`` SDK against a local
server speaking OpenAI's wire protocol."""

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
from promptyard.plugins.builtin.providers.openai import AzureOpenAIProvider, OpenAIProvider
from tests._server import free_port
from tests.runtime._wire import Reply, WireServer

PATH = "/v1/chat/completions"
REQUEST = ChatRequest(
    model="gpt-test",
    messages=[{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}],
    params={"temperature": 0.2, "max_tokens": 50, "top_k": 5},
)


def connection(wire: WireServer, **options: Any) -> ProviderConnection:
    return ProviderConnection(
        name="local",
        kind="openai",
        base_url=f"{wire.url}/v1",
        api_key="sk-test-123",
        options=options,
        timeout_seconds=10,
    )


def completion(content: str | None = "Hello!", **extra: Any) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": content}
    message.update(extra.pop("message", {}))
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1,
        "model": "gpt-test-2026",
        "choices": [{"index": 0, "message": message, "finish_reason": extra.pop("finish", "stop")}],
        "usage": {
            "prompt_tokens": 12,
            "completion_tokens": 7,
            "total_tokens": 19,
            "prompt_tokens_details": {"cached_tokens": 8},
            "completion_tokens_details": {"reasoning_tokens": 3},
        },
    }


def chunk(
    delta: dict[str, Any] | None, finish: str | None = None, usage: Any = None
) -> dict[str, Any]:
    choices = [] if delta is None else [{"index": 0, "delta": delta, "finish_reason": finish}]
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "gpt-test-2026",
        "choices": choices,
        "usage": usage,
    }


def text_stream(*parts: str) -> list[tuple[str | None, Any]]:
    events: list[tuple[str | None, Any]] = [(None, chunk({"role": "assistant", "content": ""}))]
    events += [(None, chunk({"content": part})) for part in parts]
    events.append((None, chunk({}, finish="stop")))
    usage = {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7}
    events.append((None, chunk(None, usage=usage)))
    events.append((None, "[DONE]"))
    return events


def error(status: int, message: str, kind: str, code: str | None = None, **headers: str) -> Reply:
    body = {"error": {"message": message, "type": kind, "param": None, "code": code}}
    return Reply(status, body, headers=headers)


def complete(conn: ProviderConnection, request: ChatRequest = REQUEST) -> ChatResult:
    return asyncio.run(OpenAIProvider().complete(conn, request))


def collect(conn: ProviderConnection, request: ChatRequest = REQUEST) -> list[StreamEvent]:
    async def main() -> list[StreamEvent]:
        return [event async for event in OpenAIProvider().stream(conn, request)]

    return asyncio.run(main())


def test_completion_maps_output_usage_and_sends_the_request(wire: WireServer) -> None:
    wire.app.add(PATH, Reply(body=completion()))
    result = complete(connection(wire, headers={"X-Team": "search"}))
    assert result.output == "Hello!"
    assert result.finish_reason == "stop"
    assert result.model == "gpt-test-2026"
    assert result.usage == Usage(
        input_tokens=12, output_tokens=7, cached_tokens=8, reasoning_tokens=3
    )
    [seen] = wire.app.seen(PATH)
    assert seen.headers["authorization"] == "Bearer sk-test-123"
    assert seen.headers["x-team"] == "search"
    assert seen.body["model"] == "gpt-test"
    assert seen.body["messages"] == REQUEST.messages
    assert seen.body["temperature"] == 0.2 and seen.body["max_tokens"] == 50
    assert seen.body["top_k"] == 5  # unknown to the SDK: passed on in the body
    assert "stream" not in seen.body


def test_tool_calls_and_response_format_pass_through(wire: WireServer) -> None:
    call = {
        "id": "call_1",
        "type": "function",
        "function": {"name": "lookup", "arguments": '{"q": "x"}'},
    }
    wire.app.add(
        PATH, Reply(body=completion(None, message={"tool_calls": [call]}, finish="tool_calls"))
    )
    tools = [{"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}}]
    request = ChatRequest(
        model="gpt-test",
        messages=[{"role": "user", "content": "find x"}],
        tools=tools,
        tool_choice="auto",
        response_format={"type": "json_object"},
    )
    result = complete(connection(wire), request)
    assert result.output == ""
    assert result.finish_reason == "tool_calls"
    assert result.tool_calls == [ToolCall(id="call_1", name="lookup", arguments='{"q": "x"}')]
    [seen] = wire.app.seen(PATH)
    assert seen.body["tools"] == tools
    assert seen.body["tool_choice"] == "auto"
    assert seen.body["response_format"] == {"type": "json_object"}


def test_stream_yields_text_then_the_result_with_usage(wire: WireServer) -> None:
    wire.app.add(PATH, Reply(sse=text_stream("Hel", "lo", "!")))
    events = collect(connection(wire))
    assert [e.text for e in events if isinstance(e, TextDelta)] == ["Hel", "lo", "!"]
    final = events[-1]
    assert isinstance(final, Finished)
    assert final.result.output == "Hello!"
    assert final.result.finish_reason == "stop"
    assert final.result.usage.input_tokens == 5 and final.result.usage.output_tokens == 2
    [seen] = wire.app.seen(PATH)
    assert seen.body["stream"] is True
    assert seen.body["stream_options"] == {"include_usage": True}


def test_stream_usage_can_be_turned_off_for_old_servers(wire: WireServer) -> None:
    wire.app.add(PATH, Reply(sse=text_stream("ok")))
    collect(connection(wire, stream_usage=False))
    assert "stream_options" not in wire.app.seen(PATH)[0].body


def test_streamed_tool_calls_are_assembled(wire: WireServer) -> None:
    def call_delta(**fields: Any) -> dict[str, Any]:
        return {"tool_calls": [{"index": 0, **fields}]}

    events: list[tuple[str | None, Any]] = [
        (
            None,
            chunk(
                call_delta(
                    id="call_9", type="function", function={"name": "lookup", "arguments": ""}
                )
            ),
        ),
        (None, chunk(call_delta(function={"arguments": '{"q": '}))),
        (None, chunk(call_delta(function={"arguments": '"x"}'}))),
        (None, chunk({}, finish="tool_calls")),
        (None, "[DONE]"),
    ]
    wire.app.add(PATH, Reply(sse=events))
    final = collect(connection(wire))[-1]
    assert isinstance(final, Finished)
    assert final.result.tool_calls == [ToolCall(id="call_9", name="lookup", arguments='{"q": "x"}')]
    assert final.result.finish_reason == "tool_calls"


@pytest.mark.parametrize(
    ("status", "kind", "caller_error"),
    [
        (400, "invalid_request_error", True),
        (404, "invalid_request_error", True),
        (422, "invalid_request_error", True),
    ],
)
def test_caller_mistakes_are_caller_errors_with_the_providers_message(
    wire: WireServer, status: int, kind: str, caller_error: bool
) -> None:
    wire.app.add(
        PATH, error(status, "The model `gpt-nope` does not exist", kind, "model_not_found")
    )
    with pytest.raises(ProviderError) as raised:
        complete(connection(wire))
    exc = raised.value
    assert exc.status == status
    assert exc.caller_error is caller_error
    assert not exc.retryable
    assert "The model `gpt-nope` does not exist" in exc.message
    assert len(wire.app.seen(PATH)) == 1  # the SDK did not retry on its own


@pytest.mark.parametrize("status", [401, 403])
def test_a_refused_key_is_the_connections_fault(wire: WireServer, status: int) -> None:
    wire.app.add(
        PATH, error(status, "Incorrect API key provided: sk-test-***", "invalid_request_error")
    )
    with pytest.raises(ProviderError) as raised:
        complete(connection(wire))
    exc = raised.value
    assert exc.status == status and not exc.caller_error and not exc.retryable
    assert "refused the API key" in exc.message
    assert "Incorrect API key provided" in exc.message


@pytest.mark.parametrize(
    ("headers", "expected"),
    [({"retry-after": "2"}, 2.0), ({"retry-after-ms": "250"}, 0.25), ({}, None)],
)
def test_429_is_retryable_with_retry_after(
    wire: WireServer, headers: dict[str, str], expected: float | None
) -> None:
    wire.app.add(
        PATH,
        error(429, "Rate limit reached for requests", "requests", "rate_limit_exceeded", **headers),
    )
    with pytest.raises(ProviderError) as raised:
        complete(connection(wire))
    exc = raised.value
    assert exc.status == 429 and exc.retryable and not exc.caller_error
    assert exc.retry_after == expected
    assert "Rate limit reached" in exc.message
    assert len(wire.app.seen(PATH)) == 1


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_are_retryable(wire: WireServer, status: int) -> None:
    wire.app.add(
        PATH,
        error(status, "The server had an error while processing your request.", "server_error"),
    )
    with pytest.raises(ProviderError) as raised:
        complete(connection(wire))
    assert raised.value.retryable and raised.value.status == status
    assert "The server had an error" in raised.value.message


def test_a_refused_connection_is_retryable() -> None:
    conn = ProviderConnection(
        name="down", kind="openai", base_url=f"http://127.0.0.1:{free_port()}/v1"
    )
    with pytest.raises(ProviderError) as raised:
        complete(conn)
    assert raised.value.retryable and raised.value.status is None
    assert "connection failed" in raised.value.message


def test_an_error_event_inside_a_stream_carries_its_message(wire: WireServer) -> None:
    events: list[tuple[str | None, Any]] = [
        (None, chunk({"content": "par"})),
        (None, {"error": {"message": "The model is overloaded", "type": "server_error"}}),
    ]
    wire.app.add(PATH, Reply(sse=events))

    async def main() -> list[str]:
        seen: list[str] = []
        with pytest.raises(ProviderError) as raised:
            async for event in OpenAIProvider().stream(connection(wire), REQUEST):
                if isinstance(event, TextDelta):
                    seen.append(event.text)
        assert raised.value.retryable
        assert "The model is overloaded" in raised.value.message
        return seen

    assert asyncio.run(main()) == ["par"]


def test_a_connection_cut_mid_stream_is_a_retryable_error_after_the_text_so_far(
    wire: WireServer,
) -> None:
    wire.app.add(PATH, Reply(sse=text_stream("one ", "two ", "three"), cut_after=3))

    async def main() -> list[str]:
        seen: list[str] = []
        with pytest.raises(ProviderError) as raised:
            async for event in OpenAIProvider().stream(connection(wire), REQUEST):
                assert isinstance(event, TextDelta), "no result after a cut"
                seen.append(event.text)
        assert raised.value.retryable
        assert "connection failed" in raised.value.message
        return seen

    assert asyncio.run(main()) == ["one ", "two "]


def test_models_are_listed_from_v1_models(wire: WireServer) -> None:
    models = [
        {"id": name, "object": "model", "created": 1, "owned_by": "me"}
        for name in ("b-model", "a-model")
    ]
    wire.app.add("/v1/models", Reply(body={"object": "list", "data": models}))
    found = asyncio.run(OpenAIProvider().list_models(connection(wire)))
    assert found == ["a-model", "b-model"]


def test_a_server_without_a_model_list_answers_none(wire: WireServer) -> None:
    wire.app.add("/v1/models", error(404, "Not Found", "not_found"))
    assert asyncio.run(OpenAIProvider().list_models(connection(wire))) is None


def test_azure_uses_the_deployment_path_api_version_and_api_key_header(wire: WireServer) -> None:
    path = "/openai/deployments/prod-4o/chat/completions"
    wire.app.add(path, Reply(body=completion("from azure")))
    conn = ProviderConnection(
        name="azure",
        kind="azure_openai",
        base_url=wire.url,
        api_key="azure-key",
        options={"api_version": "2024-10-21", "deployment": "prod-4o"},
    )
    result = asyncio.run(AzureOpenAIProvider().complete(conn, REQUEST))
    assert result.output == "from azure"
    [seen] = wire.app.seen(path)
    assert seen.query == "api-version=2024-10-21"
    assert seen.headers["api-key"] == "azure-key"


def test_azure_without_api_version_is_refused_before_any_call(wire: WireServer) -> None:
    conn = ProviderConnection(name="azure", kind="azure_openai", base_url=wire.url, api_key="k")
    with pytest.raises(ProviderError, match="api_version is required"):
        asyncio.run(AzureOpenAIProvider().complete(conn, REQUEST))
    assert wire.app.requests == []
