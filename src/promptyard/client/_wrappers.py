"""Thin wrappers for the ``openai`` and ``anthropic`` clients: every chat/messages call
they make is recorded as a generation (docs/sdk-reporting.md).

``wrap_openai(client, reporter=promptyard_client)`` replaces ``chat.completions.create``
on that client object (sync or async), ``wrap_anthropic`` replaces ``messages.create``
and ``messages.stream``; the calls behave exactly as before (same arguments, results,
streams and exceptions). Neither SDK is imported here: the wrappers only touch the client
object they are given, so ``openai``/``anthropic`` stay optional for SDK users.
"""

from __future__ import annotations

import functools
import inspect
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol, TypeVar

from promptyard.client._context import current_span
from promptyard.client._reporting import GenerationStatus, error_text, logger, new_id

__all__ = ["wrap_anthropic", "wrap_openai"]

C = TypeVar("C")
_MARK = "__promptyard_wrapped__"
#: A keyword argument the wrapped calls accept (and remove before calling the SDK): the
#: prompt object from ``get_prompt`` whose name and version the record links.
PROMPT_KWARG = "promptyard_prompt"


class Sink(Protocol):
    def _report_generation(self, record: dict[str, Any]) -> bool: ...


def _get(obj: Any, name: str) -> Any:
    if obj is None:
        return None
    if isinstance(obj, Mapping):
        return obj.get(name)
    return getattr(obj, name, None)


def _jsonable(value: Any) -> Any:
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        try:
            return dump(mode="json", exclude_none=True)
        except Exception:  # pragma: no cover
            return str(value)
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def _messages(messages: Any, system: Any = None) -> list[dict[str, Any]] | None:
    out: list[dict[str, Any]] = []
    if system is not None:
        out.append({"role": "system", "content": _jsonable(system)})
    if isinstance(messages, (list, tuple)):
        for message in messages:
            item = _jsonable(message)
            out.append(item if isinstance(item, dict) else {"content": item})
    return out or None


class _Call:
    """One provider call being recorded: started now, finished by :meth:`finish`."""

    def __init__(
        self,
        sink: Sink,
        provider: str,
        defaults: Mapping[str, Any],
        kwargs: Mapping[str, Any],
        prompt: Any = None,
    ) -> None:
        self.sink = sink
        self.perf = time.perf_counter()
        self.ttft_ms: float | None = None
        self.done = False
        self.text: list[str] = []
        record: dict[str, Any] = {"id": new_id(), "provider": provider, "start_time": time.time()}
        record.update(defaults)
        model = kwargs.get("model")
        if isinstance(model, str):
            record["model"] = model
        messages = _messages(kwargs.get("messages"), kwargs.get("system"))
        if messages is not None:
            record["input"] = messages
        if prompt is not None:
            record["prompt_name"] = prompt.name
            if prompt.version is not None:
                record["prompt_version"] = prompt.version
        span = current_span.get()
        if span is not None:
            span.link(record)
        self.record = record

    def first_token(self) -> None:
        if self.ttft_ms is None:
            self.ttft_ms = (time.perf_counter() - self.perf) * 1000.0

    def response_id(self, value: Any) -> None:
        # Kept as metadata, not as ``external_id``: some OpenAI-compatible servers reuse
        # ids (Ollama draws them from 0..999), and the server deduplicates external ids.
        if isinstance(value, str) and value:
            self.metadata("response_id", value)

    def metadata(self, key: str, value: Any) -> None:
        record = self.record
        record["metadata"] = {**(record.get("metadata") or {}), key: value}

    def finish(
        self, status: GenerationStatus = "ok", error: BaseException | str | None = None
    ) -> None:
        if self.done:
            return
        self.done = True
        try:
            record = self.record
            record["latency_ms"] = (time.perf_counter() - self.perf) * 1000.0
            if self.ttft_ms is not None:
                record["ttft_ms"] = self.ttft_ms
            if self.text and "output" not in record:
                record["output"] = "".join(self.text)
            record["status"] = status
            if error is not None:
                record["error"] = error if isinstance(error, str) else error_text(error)
            self.sink._report_generation(record)
        except Exception:  # pragma: no cover - reporting never breaks the host
            logger.exception("promptyard reporting: could not record a provider call")

    def failed(self, exc: BaseException) -> None:
        cancelled = type(exc).__name__ in ("CancelledError", "KeyboardInterrupt")
        self.finish("cancelled" if cancelled else "error", exc)


# ---- usage ---------------------------------------------------------------------------


def _openai_usage(record: dict[str, Any], usage: Any) -> None:
    if usage is None:
        return
    for key, value in (
        ("input_tokens", _get(usage, "prompt_tokens")),
        ("output_tokens", _get(usage, "completion_tokens")),
        ("cached_tokens", _get(_get(usage, "prompt_tokens_details"), "cached_tokens")),
        ("reasoning_tokens", _get(_get(usage, "completion_tokens_details"), "reasoning_tokens")),
    ):
        if isinstance(value, int):
            record[key] = value


def _anthropic_usage(record: dict[str, Any], usage: Any) -> None:
    """Anthropic counts cache reads and writes apart from ``input_tokens``; the record's
    ``input_tokens`` is their sum and ``cached_tokens`` the part read from the cache."""
    if usage is None:
        return
    plain = _get(usage, "input_tokens")
    read = _get(usage, "cache_read_input_tokens")
    written = _get(usage, "cache_creation_input_tokens")
    if isinstance(plain, int):
        record["input_tokens"] = plain + (read or 0) + (written or 0)
        record["cached_tokens"] = read or 0
    output = _get(usage, "output_tokens")
    if isinstance(output, int):
        record["output_tokens"] = output
    thinking = _get(_get(usage, "output_tokens_details"), "thinking_tokens")
    if isinstance(thinking, int):
        record["reasoning_tokens"] = thinking


# ---- OpenAI ----------------------------------------------------------------------------


def _openai_response(call: _Call, response: Any) -> None:
    record = call.record
    if isinstance(_get(response, "model"), str):
        record["model"] = response.model
    call.response_id(_get(response, "id"))
    _openai_usage(record, _get(response, "usage"))
    choices = _get(response, "choices") or []
    if choices:
        message = _get(choices[0], "message")
        content = _get(message, "content")
        if isinstance(content, str):
            record["output"] = content
        tools = _get(message, "tool_calls") or []
        names = [_get(_get(tool, "function"), "name") for tool in tools]
        metadata = dict(record.get("metadata") or {})
        if names:
            metadata["tool_calls"] = [n for n in names if isinstance(n, str)]
        reason = _get(choices[0], "finish_reason")
        if isinstance(reason, str):
            metadata["finish_reason"] = reason
        if metadata:
            record["metadata"] = metadata


def _openai_chunk(call: _Call, chunk: Any) -> None:
    record = call.record
    if "model" not in record or not call.text:
        model = _get(chunk, "model")
        if isinstance(model, str) and model:
            record["model"] = model
    call.response_id(_get(chunk, "id"))
    usage = _get(chunk, "usage")
    if usage is not None:
        _openai_usage(record, usage)
    for choice in _get(chunk, "choices") or []:
        delta = _get(choice, "delta")
        content = _get(delta, "content")
        if content:
            call.first_token()
            call.text.append(content)
        elif _get(delta, "tool_calls"):
            call.first_token()
        reason = _get(choice, "finish_reason")
        if isinstance(reason, str):
            record["metadata"] = {**(record.get("metadata") or {}), "finish_reason": reason}


# ---- Anthropic -------------------------------------------------------------------------


def _anthropic_response(call: _Call, message: Any) -> None:
    record = call.record
    if isinstance(_get(message, "model"), str):
        record["model"] = message.model
    call.response_id(_get(message, "id"))
    _anthropic_usage(record, _get(message, "usage"))
    texts: list[str] = []
    tools: list[str] = []
    for block in _get(message, "content") or []:
        kind = _get(block, "type")
        if kind == "text":
            texts.append(str(_get(block, "text") or ""))
        elif kind == "tool_use":
            tools.append(str(_get(block, "name")))
    if texts:
        record["output"] = "".join(texts)
    metadata = dict(record.get("metadata") or {})
    if tools:
        metadata["tool_calls"] = tools
    reason = _get(message, "stop_reason")
    if isinstance(reason, str):
        metadata["finish_reason"] = reason
    if metadata:
        record["metadata"] = metadata


def _anthropic_event(call: _Call, event: Any) -> None:
    kind = _get(event, "type")
    record = call.record
    if kind == "message_start":
        message = _get(event, "message")
        if isinstance(_get(message, "model"), str):
            record["model"] = message.model
        call.response_id(_get(message, "id"))
        _anthropic_usage(record, _get(message, "usage"))
    elif kind == "content_block_delta":
        delta = _get(event, "delta")
        call.first_token()
        if _get(delta, "type") == "text_delta":
            call.text.append(str(_get(delta, "text") or ""))
    elif kind == "message_delta":
        usage = _get(event, "usage")
        if _get(usage, "input_tokens") is not None:
            _anthropic_usage(record, usage)
        else:
            output = _get(usage, "output_tokens")
            if isinstance(output, int):
                record["output_tokens"] = output
        reason = _get(_get(event, "delta"), "stop_reason")
        if isinstance(reason, str):
            record["metadata"] = {**(record.get("metadata") or {}), "finish_reason": reason}


# ---- streams -----------------------------------------------------------------------------

_OnItem = Callable[[_Call, Any], None]


class _Stream:
    """A provider's sync stream, recorded as it is read; behaves as the stream it wraps."""

    def __init__(self, inner: Any, call: _Call, on_item: _OnItem) -> None:
        self._inner = inner
        self._call = call
        self._on_item = on_item
        self._iter = iter(inner)

    def __iter__(self) -> _Stream:
        return self

    def __next__(self) -> Any:
        try:
            item = next(self._iter)
        except StopIteration:
            self._call.finish()
            raise
        except BaseException as exc:
            self._call.failed(exc)
            raise
        try:
            self._on_item(self._call, item)
        except Exception:  # pragma: no cover
            logger.exception("promptyard reporting: could not read a stream event")
        return item

    def close(self) -> None:
        self._call.finish("cancelled", "the stream was closed before its end")
        self._inner.close()

    def __del__(self) -> None:  # left unread and unclosed: still recorded
        call = self.__dict__.get("_call")
        if call is not None and not call.done:
            call.finish("cancelled", "the stream was dropped before its end")

    def __enter__(self) -> _Stream:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        if exc_info[1] is not None:
            self._call.failed(exc_info[1])
        self.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class _AsyncStream:
    """A provider's async stream, recorded as it is read."""

    def __init__(self, inner: Any, call: _Call, on_item: _OnItem) -> None:
        self._inner = inner
        self._call = call
        self._on_item = on_item
        self._iter = inner.__aiter__()

    def __aiter__(self) -> _AsyncStream:
        return self

    async def __anext__(self) -> Any:
        try:
            item = await self._iter.__anext__()
        except StopAsyncIteration:
            self._call.finish()
            raise
        except BaseException as exc:
            self._call.failed(exc)
            raise
        try:
            self._on_item(self._call, item)
        except Exception:  # pragma: no cover
            logger.exception("promptyard reporting: could not read a stream event")
        return item

    async def close(self) -> None:
        self._call.finish("cancelled", "the stream was closed before its end")
        await self._inner.close()

    def __del__(self) -> None:
        call = self.__dict__.get("_call")
        if call is not None and not call.done:
            call.finish("cancelled", "the stream was dropped before its end")

    async def __aenter__(self) -> _AsyncStream:
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        if exc_info[1] is not None:
            self._call.failed(exc_info[1])
        await self.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


# ---- patching --------------------------------------------------------------------------


def _wrap_create(
    resource: Any,
    sink: Sink,
    provider: str,
    defaults: Mapping[str, Any],
    on_response: _OnItem,
    on_item: _OnItem,
) -> None:
    original = resource.create
    if getattr(original, _MARK, False):
        return

    async def settle(call: _Call, pending: Awaitable[Any], stream: bool) -> Any:
        try:
            result = await pending
        except BaseException as exc:
            call.failed(exc)
            raise
        if stream:
            return _AsyncStream(result, call, on_item)
        _finish_with(call, result, on_response)
        return result

    # The async SDK clients' ``create`` is a plain function returning a coroutine (their
    # argument checking decorator hides the ``async def``): tell them apart by the result.
    @functools.wraps(original)
    def create(*args: Any, **kwargs: Any) -> Any:
        prompt = kwargs.pop(PROMPT_KWARG, None)
        call = _Call(sink, provider, defaults, kwargs, prompt)
        stream = bool(kwargs.get("stream"))
        try:
            result = original(*args, **kwargs)
        except BaseException as exc:
            call.failed(exc)
            raise
        if inspect.isawaitable(result):
            return settle(call, result, stream)
        if stream:
            return _Stream(result, call, on_item)
        _finish_with(call, result, on_response)
        return result

    setattr(create, _MARK, True)
    resource.create = create


def _finish_with(call: _Call, result: Any, on_response: _OnItem) -> None:
    try:
        on_response(call, result)
    except Exception:  # pragma: no cover
        logger.exception("promptyard reporting: could not read a provider response")
    call.finish()


def _defaults(fields: Mapping[str, Any]) -> dict[str, Any]:
    allowed = {"user_id", "session_id", "feature", "agent", "environment", "tags", "metadata"}
    bad = set(fields) - allowed
    if bad:
        raise TypeError(f"unknown generation fields for a wrapper: {', '.join(sorted(bad))}")
    return {key: value for key, value in fields.items() if value is not None}


def wrap_openai(client: C, *, reporter: Sink, **fields: Any) -> C:
    """Record every ``client.chat.completions.create`` call of an ``openai.OpenAI`` or
    ``openai.AsyncOpenAI`` client (also OpenAI-compatible servers); returns ``client``.

    ``reporter`` is a Promptyard ``Client``/``AsyncClient``; ``fields`` are defaults for
    every record (``user_id``, ``session_id``, ``feature``, ``agent``, ``environment``,
    ``tags``, ``metadata``). Streams report usage when asked with
    ``stream_options={"include_usage": True}``.
    """
    completions = client.chat.completions  # type: ignore[attr-defined]
    _wrap_create(
        completions, reporter, "openai", _defaults(fields), _openai_response, _openai_chunk
    )
    return client


def wrap_anthropic(client: C, *, reporter: Sink, **fields: Any) -> C:
    """Record every ``client.messages.create`` (and ``messages.stream``) call of an
    ``anthropic.Anthropic`` or ``anthropic.AsyncAnthropic`` client; returns ``client``.
    Options as :func:`wrap_openai`."""
    messages = client.messages  # type: ignore[attr-defined]
    defaults = _defaults(fields)
    _wrap_create(messages, reporter, "anthropic", defaults, _anthropic_response, _anthropic_event)
    _wrap_stream(messages, reporter, defaults)
    return client


# ---- anthropic's messages.stream() -----------------------------------------------------


class _StreamManager:
    """``messages.stream(...)``: a (sync or async) context manager giving a MessageStream;
    recorded from the stream's events and its final message snapshot."""

    def __init__(self, inner: Any, call: _Call) -> None:
        self._inner = inner
        self._call = call
        self._stream: Any = None

    def _hook(self, stream: Any) -> Any:
        self._stream = stream
        iterator = getattr(stream, "_iterator", None)
        call = self._call
        if iterator is not None and hasattr(iterator, "__next__"):

            def watched() -> Any:
                for event in iterator:
                    _anthropic_event(call, event)
                    yield event

            stream._iterator = watched()
        elif iterator is not None and hasattr(iterator, "__anext__"):

            async def awatched() -> Any:
                async for event in iterator:
                    _anthropic_event(call, event)
                    yield event

            stream._iterator = awatched()
        return stream

    def _done(self, exc: BaseException | None) -> None:
        call = self._call
        if exc is not None:
            call.failed(exc)
            return
        snapshot = None
        try:
            snapshot = self._stream.current_message_snapshot
        except Exception:
            snapshot = None
        if snapshot is not None:
            call.text.clear()
            _anthropic_response(call, snapshot)
        complete = _get(snapshot, "stop_reason") is not None
        if complete:
            call.finish()
        else:
            call.finish("cancelled", "the stream was closed before its end")

    def __enter__(self) -> Any:
        try:
            return self._hook(self._inner.__enter__())
        except BaseException as exc:
            self._call.failed(exc)
            raise

    def __exit__(self, *exc_info: Any) -> Any:
        try:
            return self._inner.__exit__(*exc_info)
        finally:
            self._done(exc_info[1])

    async def __aenter__(self) -> Any:
        try:
            return self._hook(await self._inner.__aenter__())
        except BaseException as exc:
            self._call.failed(exc)
            raise

    async def __aexit__(self, *exc_info: Any) -> Any:
        try:
            return await self._inner.__aexit__(*exc_info)
        finally:
            self._done(exc_info[1])


def _wrap_stream(resource: Any, sink: Sink, defaults: Mapping[str, Any]) -> None:
    original = getattr(resource, "stream", None)
    if original is None or getattr(original, _MARK, False):
        return

    @functools.wraps(original)
    def stream(*args: Any, **kwargs: Any) -> Any:
        prompt = kwargs.pop(PROMPT_KWARG, None)
        call = _Call(sink, "anthropic", defaults, kwargs, prompt)
        return _StreamManager(original(*args, **kwargs), call)

    setattr(stream, _MARK, True)
    resource.stream = stream
