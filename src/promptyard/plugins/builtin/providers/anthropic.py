"""Kind ``anthropic``: the Messages API through the official ``anthropic`` SDK.

Requests arrive in OpenAI's shapes and are translated: system messages are lifted into
``system``; ``tools`` (``{"type": "function", "function": {...}}``) become Anthropic
tools with an ``input_schema``; assistant ``tool_calls`` become ``tool_use`` blocks and
``tool`` messages ``tool_result`` blocks; ``stop`` becomes ``stop_sequences``;
``response_format`` ``json_schema`` becomes ``output_config.format``. OpenAI-only
parameters (``seed``, ``frequency_penalty``, ``presence_penalty``, ``logit_bias``,
``logprobs``, ``top_logprobs``, ``n``, ``parallel_tool_calls``) are dropped. ``max_tokens``
is required by Anthropic: from the request, else ``options.max_tokens``, else 4096.

Answers come back normalised: ``tool_use`` blocks as :class:`ToolCall` (arguments as JSON
text), stop reasons in OpenAI's words (``stop``, ``length``, ``tool_calls``), and input
tokens counting cache reads and writes (``cached_tokens`` = ``cache_read_input_tokens``),
as :class:`promptyard.plugins.api.Usage` defines them. Options: ``headers``,
``max_tokens``.
"""

from __future__ import annotations

import functools
import inspect
import json
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from promptyard.plugins.api import (
    ChatRequest,
    ChatResult,
    Finished,
    Provider,
    ProviderConnection,
    ProviderError,
    StreamEvent,
    TextDelta,
    ToolCall,
    Usage,
)
from promptyard.plugins.builtin.providers._common import (
    ClientCache,
    connection_error,
    error_text,
    error_type,
    headers_option,
    status_error,
)

if TYPE_CHECKING:
    from anthropic import AsyncAnthropic

DEFAULT_MAX_TOKENS = 4096
OPENAI_ONLY = frozenset(
    {
        "seed",
        "frequency_penalty",
        "presence_penalty",
        "logit_bias",
        "logprobs",
        "top_logprobs",
        "n",
        "parallel_tool_calls",
    }
)
RESERVED = frozenset(
    {"model", "messages", "system", "stream", "tools", "tool_choice", "response_format"}
)
STOP_REASONS = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
}


@functools.cache
def _known_params() -> frozenset[str]:
    from anthropic.resources.messages import AsyncMessages

    return frozenset(inspect.signature(AsyncMessages.create).parameters) - {"self"}


def map_error(label: str, exc: BaseException) -> ProviderError | None:
    """The :class:`ProviderError` for an ``anthropic`` SDK (or transport) exception."""
    import anthropic
    import httpx2

    if isinstance(exc, ProviderError):
        return exc
    if isinstance(exc, anthropic.APIStatusError):  # also an ``error`` event in a stream
        message = error_text(exc.body, exc.message)
        return status_error(
            label, exc.status_code, message, headers=exc.response.headers, kind=error_type(exc.body)
        )
    if isinstance(exc, anthropic.APIConnectionError):
        return connection_error(label, exc)
    if isinstance(exc, anthropic.APIError):
        return ProviderError(f"{label}: {error_text(exc.body, exc.message)}")
    if isinstance(exc, httpx2.TransportError):
        return connection_error(label, exc)
    return None


def _caller(message: str) -> ProviderError:
    return ProviderError(message, caller_error=True)


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return "" if content is None else str(content)


def _tool_use(call: dict[str, Any]) -> dict[str, Any]:
    function = call.get("function") or {}
    raw = function.get("arguments") or "{}"
    try:
        arguments = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        raise _caller(f"tool call {call.get('id')!r}: arguments are not JSON") from None
    if not isinstance(arguments, dict):
        raise _caller(f"tool call {call.get('id')!r}: arguments must be a JSON object")
    return {
        "type": "tool_use",
        "id": call.get("id"),
        "name": function.get("name"),
        "input": arguments,
    }


def translate_messages(messages: list[dict[str, Any]]) -> tuple[str | None, list[dict[str, Any]]]:
    """OpenAI-shaped messages as Anthropic's ``system`` and ``messages``."""
    system: list[str] = []
    out: list[dict[str, Any]] = []
    for message in messages:
        role = message.get("role")
        content = message.get("content")
        if role in ("system", "developer"):
            system.append(_text(content))
        elif role == "tool":
            block = {
                "type": "tool_result",
                "tool_use_id": message.get("tool_call_id"),
                "content": _text(content),
            }
            last = out[-1] if out else None
            if (
                last is not None
                and last["role"] == "user"
                and isinstance(last["content"], list)
                and all(b.get("type") == "tool_result" for b in last["content"])
            ):
                last["content"].append(block)
            else:
                out.append({"role": "user", "content": [block]})
        elif role == "assistant" and message.get("tool_calls"):
            blocks: list[dict[str, Any]] = []
            if _text(content):
                blocks.append({"type": "text", "text": _text(content)})
            blocks.extend(_tool_use(call) for call in message["tool_calls"])
            out.append({"role": "assistant", "content": blocks})
        elif role in ("user", "assistant"):
            out.append({"role": role, "content": content if content is not None else ""})
        else:
            raise _caller(f"message role {role!r} is not one Anthropic accepts")
    return ("\n\n".join(system) if system else None), out


def translate_tools(tools: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for tool in tools:
        function = tool.get("function") if tool.get("type", "function") == "function" else None
        if not isinstance(function, dict) or not function.get("name"):
            raise _caller("Anthropic takes only function tools: {type: function, function: {name}}")
        entry: dict[str, Any] = {
            "name": function["name"],
            "input_schema": function.get("parameters") or {"type": "object", "properties": {}},
        }
        if function.get("description"):
            entry["description"] = function["description"]
        out.append(entry)
    return out


def translate_tool_choice(choice: Any) -> dict[str, Any]:
    if choice in ("auto", "none"):
        return {"type": choice}
    if choice == "required":
        return {"type": "any"}
    if isinstance(choice, dict):
        name = (choice.get("function") or {}).get("name") or choice.get("name")
        if name:
            return {"type": "tool", "name": name}
    raise _caller(f"tool_choice {choice!r} has no Anthropic equivalent")


def usage_of(raw: dict[str, int | None]) -> Usage:
    reads = raw.get("cache_read_input_tokens")
    writes = raw.get("cache_creation_input_tokens")
    base = raw.get("input_tokens")
    return Usage(
        input_tokens=None if base is None else base + (reads or 0) + (writes or 0),
        output_tokens=raw.get("output_tokens"),
        cached_tokens=reads,
        reasoning_tokens=None,
    )


def _counts(usage: Any) -> dict[str, int | None]:
    keys = (
        "input_tokens",
        "output_tokens",
        "cache_read_input_tokens",
        "cache_creation_input_tokens",
    )
    return {key: getattr(usage, key, None) for key in keys}


class AnthropicProvider(Provider):
    kind = "anthropic"
    label = "Anthropic"
    needs_api_key = True
    default_base_url = "https://api.anthropic.com"

    def __init__(self) -> None:
        self._clients: ClientCache[AsyncAnthropic] = ClientCache(self._make_client)

    def _make_client(self, connection: ProviderConnection) -> AsyncAnthropic:
        from anthropic import AsyncAnthropic

        return AsyncAnthropic(
            api_key=connection.api_key or "none",
            base_url=connection.base_url or self.default_base_url,
            timeout=connection.timeout_seconds,
            max_retries=0,
            default_headers=headers_option(connection),
        )

    def label_for(self, connection: ProviderConnection) -> str:
        return f"{self.label} connection {connection.name!r}"

    def _error(self, connection: ProviderConnection, exc: BaseException) -> BaseException:
        return map_error(self.label_for(connection), exc) or exc

    def request_kwargs(
        self, connection: ProviderConnection, request: ChatRequest
    ) -> dict[str, Any]:
        system, messages = translate_messages(request.messages)
        params = dict(request.params)
        max_tokens = (
            params.pop("max_tokens", None)
            or params.pop("max_completion_tokens", None)
            or connection.options.get("max_tokens")
            or DEFAULT_MAX_TOKENS
        )
        kwargs: dict[str, Any] = {"model": request.model, "messages": messages}
        kwargs["max_tokens"] = max_tokens
        if system is not None:
            kwargs["system"] = system
        stop = params.pop("stop", None)
        if stop:
            kwargs["stop_sequences"] = [stop] if isinstance(stop, str) else list(stop)
        user = params.pop("user", None)
        if user:
            kwargs["metadata"] = {"user_id": str(user)}
        known = _known_params()
        extra: dict[str, Any] = {}
        for key, value in params.items():
            if key in RESERVED or key in OPENAI_ONLY or value is None:
                continue
            (kwargs if key in known else extra)[key] = value
        if request.tools:
            kwargs["tools"] = translate_tools(request.tools)
        if request.tool_choice is not None:
            kwargs["tool_choice"] = translate_tool_choice(request.tool_choice)
        if request.response_format:
            kwargs["output_config"] = self._output_format(request.response_format)
        if extra:
            kwargs["extra_body"] = extra
        return kwargs

    @staticmethod
    def _output_format(response_format: dict[str, Any]) -> dict[str, Any]:
        if response_format.get("type") == "json_schema":
            schema = (response_format.get("json_schema") or {}).get("schema")
            if isinstance(schema, dict):
                return {"format": {"type": "json_schema", "schema": schema}}
        raise _caller(
            "Anthropic takes structured output as response_format "
            "{type: json_schema, json_schema: {schema}} only"
        )

    async def list_models(self, connection: ProviderConnection) -> list[str] | None:
        client = self._clients.get(connection)
        try:
            return sorted({model.id async for model in client.models.list()})
        except Exception as exc:
            raise self._error(connection, exc) from exc

    async def complete(self, connection: ProviderConnection, request: ChatRequest) -> ChatResult:
        client = self._clients.get(connection)
        kwargs = self.request_kwargs(connection, request)
        try:
            message = await client.messages.create(**kwargs)
        except Exception as exc:
            raise self._error(connection, exc) from exc
        text: list[str] = []
        calls: list[ToolCall] = []
        for block in message.content:
            if block.type == "text":
                text.append(block.text)
            elif block.type == "tool_use":
                calls.append(
                    ToolCall(id=block.id, name=block.name, arguments=json.dumps(block.input))
                )
        stop = message.stop_reason
        return ChatResult(
            output="".join(text),
            finish_reason=STOP_REASONS.get(stop, stop) if stop else None,
            usage=usage_of(_counts(message.usage)),
            tool_calls=calls,
            model=message.model,
        )

    async def stream(
        self, connection: ProviderConnection, request: ChatRequest
    ) -> AsyncIterator[StreamEvent]:
        client = self._clients.get(connection)
        kwargs = self.request_kwargs(connection, request)
        try:
            upstream = await client.messages.create(**kwargs, stream=True)
        except Exception as exc:
            raise self._error(connection, exc) from exc
        text: list[str] = []
        tools: dict[int, list[str]] = {}
        counts: dict[str, int | None] = {}
        stop: str | None = None
        model: str | None = None
        try:
            async for event in upstream:
                if event.type == "message_start":
                    model = event.message.model
                    counts = _counts(event.message.usage)
                elif event.type == "content_block_start":
                    block = event.content_block
                    if block.type == "tool_use":
                        tools[event.index] = [block.id, block.name, ""]
                elif event.type == "content_block_delta":
                    delta = event.delta
                    if delta.type == "text_delta" and delta.text:
                        text.append(delta.text)
                        yield TextDelta(delta.text)
                    elif delta.type == "input_json_delta" and event.index in tools:
                        tools[event.index][2] += delta.partial_json
                elif event.type == "message_delta":
                    stop = event.delta.stop_reason or stop
                    counts.update({k: v for k, v in _counts(event.usage).items() if v is not None})
        except Exception as exc:
            raise self._error(connection, exc) from exc
        finally:
            await upstream.close()
        calls = [
            ToolCall(id=t[0], name=t[1], arguments=t[2] or "{}") for _, t in sorted(tools.items())
        ]
        result = ChatResult(
            output="".join(text),
            finish_reason=STOP_REASONS.get(stop, stop) if stop else None,
            usage=usage_of(counts),
            tool_calls=calls,
            model=model,
        )
        yield Finished(result)
