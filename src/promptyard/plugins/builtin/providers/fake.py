"""Kind ``fake``: a deterministic, local provider for demos, tests and benchmarks.

Models (a ``fake/`` prefix is accepted): ``echo`` answers the last user message,
``upper`` the same in capitals, ``json`` ``{"echo": <that text>}``, ``tools`` a call of
the request's first tool with ``{"input": <that text>}`` (an echo without tools). Any
other model is the caller's error (404).

Options (``connection.options``), all optional:

- ``output``: ``"echo"`` (default: what the model does), any other text (answered as
  is), or a list of texts answered in turn, cycling (per connection);
- ``latency_ms``: the whole call takes this long (default 0: no waiting at all);
  ``ttft_ms``: a stream's first chunk comes after this long (default: ``latency_ms``
  spread evenly over the chunks); ``tokens_per_second``: a stream's pace instead;
- ``chunks``: a stream's output in this many pieces (default 8; fewer for short text);
- ``input_tokens``, ``output_tokens``, ``cached_tokens``, ``reasoning_tokens``: the
  usage reported; unset input and output counts are ``ceil(characters / 4)`` of the
  messages' and the output's text;
- ``error_rate`` (0-1) with ``seed`` (default 0): that share of calls fail, in an order
  fixed by the seed (per connection, counted from the provider's creation);
  ``error_status`` (default 500), ``error_message``, ``retry_after`` (seconds, sent
  with a 429) shape the failure;
- ``fail_after_chunks``: a stream breaks (a retryable connection error) after that many
  chunks, as an upstream cut mid-stream would.

A ``max_tokens`` parameter cuts the output at ``4 * max_tokens`` characters
(``finish_reason`` ``length``).
"""

from __future__ import annotations

import asyncio
import json
import math
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

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
from promptyard.plugins.builtin.providers._common import connection_key, status_error

MODELS = ("echo", "upper", "json", "tools")
DEFAULT_CHUNKS = 8


def count_tokens(text: str) -> int:
    """The fake provider's token estimate: a quarter of the characters, rounded up."""
    return math.ceil(len(text) / 4)


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return ""


def _option_int(connection: ProviderConnection, key: str) -> int | None:
    value = connection.options.get(key)
    return None if value is None else int(value)


class FakeProvider(Provider):
    kind = "fake"
    label = "Fake"
    needs_api_key = False

    def __init__(self, *, sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep) -> None:
        self._sleep = sleep
        self._rngs: dict[tuple[Any, ...], random.Random] = {}
        self._turns: dict[tuple[Any, ...], int] = {}

    async def list_models(self, connection: ProviderConnection) -> list[str] | None:
        return list(MODELS)

    # --- what to answer -------------------------------------------------------------

    def _model(self, connection: ProviderConnection, request: ChatRequest) -> str:
        model = request.model.removeprefix("fake/")
        if model not in MODELS:
            raise ProviderError(
                f"Fake connection {connection.name!r}: unknown model {request.model!r}; "
                f"models: {', '.join(MODELS)}",
                status=404,
                caller_error=True,
            )
        return model

    def _maybe_fail(self, connection: ProviderConnection) -> None:
        rate = float(connection.options.get("error_rate") or 0.0)
        if rate <= 0:
            return
        seed = connection.options.get("seed", 0)
        key = (*connection_key(connection), seed)
        rng = self._rngs.get(key)
        if rng is None:
            rng = self._rngs[key] = random.Random(seed)
        if rng.random() >= rate:
            return
        status = int(connection.options.get("error_status", 500))
        message = str(connection.options.get("error_message") or "the fake provider failed")
        retry_after = connection.options.get("retry_after")
        headers = {"retry-after": str(retry_after)} if retry_after is not None else None
        raise status_error(f"Fake connection {connection.name!r}", status, message, headers=headers)

    def _scripted(self, connection: ProviderConnection) -> str | None:
        output = connection.options.get("output", "echo")
        if isinstance(output, list):
            if not output:
                return ""
            key = connection_key(connection)
            turn = self._turns.get(key, 0)
            self._turns[key] = turn + 1
            return str(output[turn % len(output)])
        return None if output == "echo" else str(output)

    def answer(self, connection: ProviderConnection, request: ChatRequest) -> ChatResult:
        """The whole answer, without waiting (and without the error draw)."""
        model = self._model(connection, request)
        prompt = next(
            (
                _text(m.get("content"))
                for m in reversed(request.messages)
                if m.get("role") == "user"
            ),
            "",
        )
        scripted = self._scripted(connection)
        calls: list[ToolCall] = []
        finish = "stop"
        if scripted is not None:
            output = scripted
        elif model == "upper":
            output = prompt.upper()
        elif model == "json":
            output = json.dumps({"echo": prompt})
        elif model == "tools" and request.tools:
            name = str((request.tools[0].get("function") or {}).get("name", "tool"))
            calls = [ToolCall(id="call_fake_0", name=name, arguments=json.dumps({"input": prompt}))]
            output, finish = "", "tool_calls"
        else:
            output = prompt
        max_tokens = request.params.get("max_tokens")
        if isinstance(max_tokens, int) and len(output) > 4 * max_tokens:
            output, finish = output[: 4 * max_tokens], "length"
        input_tokens = _option_int(connection, "input_tokens")
        if input_tokens is None:
            input_tokens = sum(count_tokens(_text(m.get("content"))) for m in request.messages)
        output_tokens = _option_int(connection, "output_tokens")
        if output_tokens is None:
            output_tokens = count_tokens(output + "".join(c.arguments for c in calls))
        usage = Usage(
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            cached_tokens=_option_int(connection, "cached_tokens"),
            reasoning_tokens=_option_int(connection, "reasoning_tokens"),
        )
        return ChatResult(
            output=output,
            finish_reason=finish,
            usage=usage,
            tool_calls=calls,
            model=f"fake/{model}",
        )

    # --- the calls ------------------------------------------------------------------

    async def complete(self, connection: ProviderConnection, request: ChatRequest) -> ChatResult:
        result = self.answer(connection, request)
        latency = float(connection.options.get("latency_ms") or 0)
        if latency > 0:
            await self._sleep(latency / 1000)
        self._maybe_fail(connection)
        return result

    async def stream(
        self, connection: ProviderConnection, request: ChatRequest
    ) -> AsyncIterator[StreamEvent]:
        result = self.answer(connection, request)
        options = connection.options
        pieces = split(result.output, int(options.get("chunks") or DEFAULT_CHUNKS))
        waits = self._waits(connection, pieces)
        fail_after = _option_int(connection, "fail_after_chunks")
        for index, piece in enumerate(pieces):
            if waits[index] > 0:
                await self._sleep(waits[index])
            if index == 0:
                self._maybe_fail(connection)
            if fail_after is not None and index >= fail_after:
                raise ProviderError(
                    f"Fake connection {connection.name!r}: connection failed: the stream was "
                    f"cut after {fail_after} chunk(s)",
                    retryable=True,
                )
            yield TextDelta(piece)
        if not pieces:
            if waits and waits[0] > 0:
                await self._sleep(waits[0])
            self._maybe_fail(connection)
        yield Finished(result)

    def _waits(self, connection: ProviderConnection, pieces: list[str]) -> list[float]:
        """Seconds to wait before each chunk (one entry even for an empty output)."""
        options = connection.options
        count = max(1, len(pieces))
        tps = float(options.get("tokens_per_second") or 0)
        ttft = options.get("ttft_ms")
        if tps > 0:
            waits = [count_tokens(p) / tps for p in pieces] or [0.0]
            if ttft is not None:
                waits[0] = float(ttft) / 1000
            return waits
        latency = float(options.get("latency_ms") or 0) / 1000
        if ttft is None:
            return [latency / count] * count
        first = float(ttft) / 1000
        rest = max(0.0, latency - first) / (count - 1) if count > 1 else 0.0
        return [first] + [rest] * (count - 1)


def split(text: str, chunks: int) -> list[str]:
    """``text`` in at most ``chunks`` pieces of near-equal length, in order."""
    if not text:
        return []
    chunks = max(1, min(chunks, len(text)))
    size, extra = divmod(len(text), chunks)
    pieces, start = [], 0
    for index in range(chunks):
        end = start + size + (1 if index < extra else 0)
        pieces.append(text[start:end])
        start = end
    return pieces
