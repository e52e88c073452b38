"""Kinds ``openai`` (OpenAI and every OpenAI-compatible server) and ``azure_openai``.

Both talk Chat Completions through the official ``openai`` SDK (``AsyncOpenAI`` /
``AsyncAzureOpenAI``) with the SDK's own retries off: Promptyard retries
(:mod:`promptyard.services.runtime.calling`). Options (``connection.options``):

- ``headers``: extra HTTP headers sent on every request;
- ``organization``, ``project``: OpenAI's account headers;
- ``stream_usage`` (default true): ask for usage in streams (``stream_options``); turn it
  off for an older compatible server that refuses the field;
- ``azure_openai`` only: ``api_version`` (required by Azure) and ``deployment``.
"""

from __future__ import annotations

import functools
import inspect
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
    from openai import AsyncOpenAI

#: Request fields Promptyard sets itself; the same keys in ``params`` are ignored.
RESERVED = frozenset(
    {"model", "messages", "stream", "stream_options", "tools", "tool_choice", "response_format"}
)


@functools.cache
def _known_params() -> frozenset[str]:
    """Keyword arguments ``chat.completions.create`` takes; other params go in the body."""
    from openai.resources.chat.completions import AsyncCompletions

    return frozenset(inspect.signature(AsyncCompletions.create).parameters) - {"self"}


def map_error(label: str, exc: BaseException) -> ProviderError | None:
    """The :class:`ProviderError` for an ``openai`` SDK (or transport) exception."""
    import httpx2
    import openai

    if isinstance(exc, ProviderError):
        return exc
    if isinstance(exc, openai.APIStatusError):
        message = error_text(exc.body, exc.message)
        return status_error(
            label, exc.status_code, message, headers=exc.response.headers, kind=error_type(exc.body)
        )
    if isinstance(exc, openai.APIConnectionError):  # timeouts included
        return connection_error(label, exc)
    if isinstance(exc, openai.APIResponseValidationError):
        return ProviderError(f"{label}: the answer did not match the API's schema: {exc.message}")
    if isinstance(exc, openai.APIError):  # an error event inside a stream
        return status_error(
            label, 200, error_text(exc.body, exc.message), kind=error_type(exc.body)
        )
    if isinstance(exc, httpx2.TransportError):  # the connection broke while reading a stream
        return connection_error(label, exc)
    return None


def usage_of(usage: Any) -> Usage:
    if usage is None:
        return Usage()
    prompt_details = getattr(usage, "prompt_tokens_details", None)
    completion_details = getattr(usage, "completion_tokens_details", None)
    return Usage(
        input_tokens=getattr(usage, "prompt_tokens", None),
        output_tokens=getattr(usage, "completion_tokens", None),
        cached_tokens=getattr(prompt_details, "cached_tokens", None),
        reasoning_tokens=getattr(completion_details, "reasoning_tokens", None),
    )


class OpenAIProvider(Provider):
    kind = "openai"
    label = "OpenAI-compatible"
    needs_api_key = False  # Ollama, vLLM and llama.cpp usually run without one
    default_base_url: str | None = "https://api.openai.com/v1"

    def __init__(self) -> None:
        self._clients: ClientCache[AsyncOpenAI] = ClientCache(self._make_client)

    def _make_client(self, connection: ProviderConnection) -> AsyncOpenAI:
        from openai import AsyncOpenAI

        return AsyncOpenAI(
            api_key=connection.api_key or "none",
            base_url=connection.base_url or self.default_base_url or None,
            organization=connection.options.get("organization"),
            project=connection.options.get("project"),
            timeout=connection.timeout_seconds,
            max_retries=0,
            default_headers=headers_option(connection),
        )

    def label_for(self, connection: ProviderConnection) -> str:
        return f"{self.label} connection {connection.name!r}"

    def _error(self, connection: ProviderConnection, exc: BaseException) -> BaseException:
        return map_error(self.label_for(connection), exc) or exc

    def request_kwargs(self, request: ChatRequest) -> dict[str, Any]:
        known = _known_params()
        kwargs: dict[str, Any] = {"model": request.model, "messages": request.messages}
        extra: dict[str, Any] = {}
        for key, value in request.params.items():
            if key in RESERVED or value is None:
                continue
            (kwargs if key in known else extra)[key] = value
        if request.tools:
            kwargs["tools"] = request.tools
        if request.tool_choice is not None:
            kwargs["tool_choice"] = request.tool_choice
        if request.response_format:
            kwargs["response_format"] = request.response_format
        if extra:
            kwargs["extra_body"] = extra
        return kwargs

    async def list_models(self, connection: ProviderConnection) -> list[str] | None:
        import openai

        client = self._clients.get(connection)
        try:
            return sorted({model.id async for model in client.models.list()})
        except openai.NotFoundError:
            return None  # a compatible server without /models
        except Exception as exc:
            raise self._error(connection, exc) from exc

    async def complete(self, connection: ProviderConnection, request: ChatRequest) -> ChatResult:
        client = self._clients.get(connection)
        try:
            response = await client.chat.completions.create(**self.request_kwargs(request))
        except Exception as exc:
            raise self._error(connection, exc) from exc
        if not response.choices:
            raise ProviderError(f"{self.label_for(connection)}: the answer has no choices")
        choice = response.choices[0]
        message = choice.message
        calls = [
            ToolCall(id=call.id, name=call.function.name, arguments=call.function.arguments or "")
            for call in message.tool_calls or []
            if getattr(call, "function", None) is not None
        ]
        return ChatResult(
            output=message.content or "",
            finish_reason=choice.finish_reason,
            usage=usage_of(response.usage),
            tool_calls=calls,
            model=response.model,
        )

    async def stream(
        self, connection: ProviderConnection, request: ChatRequest
    ) -> AsyncIterator[StreamEvent]:
        client = self._clients.get(connection)
        kwargs = self.request_kwargs(request)
        kwargs["stream"] = True
        if connection.options.get("stream_usage", True):
            kwargs["stream_options"] = {"include_usage": True}
        try:
            upstream = await client.chat.completions.create(**kwargs)
        except Exception as exc:
            raise self._error(connection, exc) from exc
        text: list[str] = []
        calls: dict[int, list[str]] = {}
        finish: str | None = None
        usage = Usage()
        model: str | None = None
        try:
            async for chunk in upstream:
                model = chunk.model or model
                if chunk.usage is not None:
                    usage = usage_of(chunk.usage)
                for choice in chunk.choices or []:
                    if choice.index:
                        continue
                    delta = choice.delta
                    for call in (delta.tool_calls or []) if delta is not None else []:
                        slot = calls.setdefault(call.index, ["", "", ""])
                        slot[0] = call.id or slot[0]
                        if call.function is not None:
                            slot[1] = call.function.name or slot[1]
                            slot[2] += call.function.arguments or ""
                    if choice.finish_reason:
                        finish = choice.finish_reason
                    if delta is not None and delta.content:
                        text.append(delta.content)
                        yield TextDelta(delta.content)
        except Exception as exc:
            raise self._error(connection, exc) from exc
        finally:
            await upstream.close()
        result = ChatResult(
            output="".join(text),
            finish_reason=finish,
            usage=usage,
            tool_calls=[
                ToolCall(id=c[0], name=c[1], arguments=c[2]) for _, c in sorted(calls.items())
            ],
            model=model,
        )
        yield Finished(result)


class AzureOpenAIProvider(OpenAIProvider):
    """Azure OpenAI: ``base_url`` is the resource's endpoint
    (``https://NAME.openai.azure.com``); options ``api_version`` and ``deployment``."""

    kind = "azure_openai"
    label = "Azure OpenAI"
    needs_api_key = True
    default_base_url = None

    def _make_client(self, connection: ProviderConnection) -> AsyncOpenAI:
        from openai import AsyncAzureOpenAI

        if not connection.base_url:
            raise ProviderError(
                f"{self.label_for(connection)}: base_url (the Azure endpoint) is required"
            )
        api_version = connection.options.get("api_version")
        if not api_version:
            raise ProviderError(f"{self.label_for(connection)}: options.api_version is required")
        return AsyncAzureOpenAI(
            api_key=connection.api_key,
            azure_endpoint=connection.base_url,
            azure_deployment=connection.options.get("deployment"),
            api_version=str(api_version),
            timeout=connection.timeout_seconds,
            max_retries=0,
            default_headers=headers_option(connection),
        )

    async def list_models(self, connection: ProviderConnection) -> list[str] | None:
        return None  # Azure serves deployments, configured on the connection
