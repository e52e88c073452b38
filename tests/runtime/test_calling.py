"""``services.runtime.calling``: retries, timeouts, the concurrency limit and
cancellation, driven through the real SDKs against a local OpenAI-wire server."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from typing import Any

import pytest

from promptyard.plugins.api import (
    ChatRequest,
    ChatResult,
    Finished,
    Provider,
    ProviderConnection,
    ProviderError,
    StreamEvent,
    TextDelta,
)
from promptyard.plugins.builtin.providers.anthropic import AnthropicProvider
from promptyard.plugins.builtin.providers.openai import OpenAIProvider
from promptyard.services.runtime import calling
from promptyard.services.runtime.calling import ConcurrencyLimiter, RetryPolicy, backoff_delay
from tests.runtime._wire import Reply, WireServer
from tests.runtime.test_anthropic_provider import error as anthropic_error
from tests.runtime.test_anthropic_provider import message as anthropic_message
from tests.runtime.test_openai_provider import completion, error, text_stream

PATH = "/v1/chat/completions"
REQUEST = ChatRequest(model="gpt-test", messages=[{"role": "user", "content": "Hi"}])
FAST = RetryPolicy(attempts=3, base=0.01, cap=0.02, max_retry_after=5.0, max_queue_wait=5.0)


def connection(wire: WireServer, **fields: Any) -> ProviderConnection:
    fields.setdefault("timeout_seconds", 10)
    return ProviderConnection(
        name="local", kind="openai", base_url=f"{wire.url}/v1", api_key="k", **fields
    )


class Sleeps:
    """An injected sleep that records each wait (and really waits it)."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)
        await asyncio.sleep(delay)


def call(
    wire: WireServer, policy: RetryPolicy = FAST, sleep: Sleeps | None = None, **fields: Any
) -> ChatResult:
    async def main() -> ChatResult:
        return await calling.call(
            OpenAIProvider(),
            connection(wire, **fields),
            REQUEST,
            policy=policy,
            sleep=sleep or Sleeps(),
        )

    return asyncio.run(main())


def stream_texts(
    wire: WireServer, policy: RetryPolicy = FAST
) -> tuple[list[str], list[StreamEvent]]:
    seen: list[str] = []
    events: list[StreamEvent] = []

    async def main() -> None:
        async for event in calling.stream(
            OpenAIProvider(), connection(wire), REQUEST, policy=policy
        ):
            events.append(event)
            if isinstance(event, TextDelta):
                seen.append(event.text)

    asyncio.run(main())
    return seen, events


# --- retries ---------------------------------------------------------------------------


def test_429_waits_for_retry_after_then_succeeds(wire: WireServer) -> None:
    wire.app.add(PATH, error(429, "Rate limit reached", "requests", **{"retry-after": "0.2"}))
    wire.app.add(PATH, Reply(body=completion("after the wait")))
    sleeps = Sleeps()
    assert call(wire, sleep=sleeps).output == "after the wait"
    assert len(wire.app.seen(PATH)) == 2
    assert len(sleeps.delays) == 1 and sleeps.delays[0] >= 0.2


def test_anthropic_429_with_retry_after_ms_is_retried_through_its_sdk(wire: WireServer) -> None:
    wire.app.add(
        "/v1/messages",
        anthropic_error(429, "rate_limit_error", "slow down", **{"retry-after-ms": "150"}),
    )
    wire.app.add("/v1/messages", Reply(body=anthropic_message([{"type": "text", "text": "ok"}])))
    conn = ProviderConnection(
        name="c", kind="anthropic", base_url=wire.url, api_key="k", timeout_seconds=10
    )
    sleeps = Sleeps()
    result = asyncio.run(
        calling.call(AnthropicProvider(), conn, REQUEST, policy=FAST, sleep=sleeps)
    )
    assert result.output == "ok"
    assert sleeps.delays[0] >= 0.15
    assert len(wire.app.seen("/v1/messages")) == 2


def test_server_errors_are_retried_with_backoff_until_success(wire: WireServer) -> None:
    wire.app.add(PATH, error(500, "boom", "server_error"), error(503, "busy", "server_error"))
    wire.app.add(PATH, Reply(body=completion("third time")))
    sleeps = Sleeps()
    assert call(wire, sleep=sleeps).output == "third time"
    assert len(wire.app.seen(PATH)) == 3
    assert len(sleeps.delays) == 2 and all(0 <= d <= FAST.cap for d in sleeps.delays)


def test_retries_stop_after_the_policys_attempts(wire: WireServer) -> None:
    wire.app.add(PATH, *[error(500, f"boom {n}", "server_error") for n in range(3)])
    with pytest.raises(ProviderError, match="boom 1"):
        call(wire, policy=RetryPolicy(attempts=2, base=0.01, cap=0.01))
    assert len(wire.app.seen(PATH)) == 2


def test_errors_that_are_not_retryable_are_raised_at_once(wire: WireServer) -> None:
    wire.app.add(PATH, error(401, "Incorrect API key provided", "invalid_request_error"))
    sleeps = Sleeps()
    with pytest.raises(ProviderError, match="refused the API key"):
        call(wire, sleep=sleeps)
    assert len(wire.app.seen(PATH)) == 1 and sleeps.delays == []


def test_a_retry_after_beyond_the_cap_is_not_waited_for(wire: WireServer) -> None:
    wire.app.add(PATH, error(429, "Quota exceeded", "requests", **{"retry-after": "3600"}))
    sleeps = Sleeps()
    with pytest.raises(ProviderError) as raised:
        call(wire, sleep=sleeps)
    assert raised.value.retry_after == 3600.0
    assert len(wire.app.seen(PATH)) == 1 and sleeps.delays == []


def test_backoff_is_full_jitter_under_the_cap_and_never_below_retry_after() -> None:
    policy = RetryPolicy(base=1.0, cap=4.0, max_retry_after=10.0)
    rng = random.Random(1)
    delays = [backoff_delay(policy, retry, None, rng) for retry in range(8) for _ in range(50)]
    assert all(d is not None and 0.0 <= d <= 4.0 for d in delays)
    assert (
        max(d for d in delays if d is not None) > 2.0
    )  # the cap, not the base, bounds later retries
    assert all(0.0 <= (backoff_delay(policy, 0, None, rng) or 0) <= 1.0 for _ in range(50))
    assert backoff_delay(policy, 0, 7.5, rng) == 7.5
    assert backoff_delay(policy, 0, 10.5, rng) is None


# --- streams ---------------------------------------------------------------------------


def test_a_stream_that_fails_before_any_text_is_retried(wire: WireServer) -> None:
    wire.app.add(PATH, error(503, "busy", "server_error"))
    wire.app.add(PATH, Reply(sse=text_stream("x"), cut_after=0))  # cut before any text
    wire.app.add(PATH, Reply(sse=text_stream("Hel", "lo")))
    texts, events = stream_texts(wire)
    assert texts == ["Hel", "lo"]
    assert isinstance(events[-1], Finished) and events[-1].result.output == "Hello"
    assert len(wire.app.seen(PATH)) == 3


def test_a_stream_cut_after_text_is_not_retried_and_nothing_is_duplicated(wire: WireServer) -> None:
    wire.app.add(PATH, Reply(sse=text_stream("one ", "two ", "three"), cut_after=3))
    wire.app.add(PATH, Reply(sse=text_stream("one ", "two ", "three")))
    seen: list[str] = []

    async def main() -> None:
        with pytest.raises(ProviderError) as raised:
            async for event in calling.stream(
                OpenAIProvider(), connection(wire), REQUEST, policy=FAST
            ):
                assert isinstance(event, TextDelta)
                seen.append(event.text)
        assert raised.value.retryable

    asyncio.run(main())
    assert seen == ["one ", "two "]
    assert len(wire.app.seen(PATH)) == 1


# --- timeouts and cancellation ---------------------------------------------------------


def test_a_call_that_gets_no_answer_times_out_and_hangs_up(wire: WireServer) -> None:
    wire.app.add(PATH, Reply(hang=True))

    async def main() -> None:
        provider = OpenAIProvider()
        conn = connection(wire, timeout_seconds=0.3)
        with pytest.raises(ProviderError) as raised:
            await calling.call(provider, conn, REQUEST, policy=RetryPolicy(attempts=1))
        assert raised.value.retryable
        await _until(lambda: wire.app.disconnects == 1)

    asyncio.run(main())


async def _until(condition: Any) -> None:
    for _ in range(1000):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the condition never held")


def test_cancelling_a_call_closes_the_upstream_request(wire: WireServer) -> None:
    wire.app.add(PATH, Reply(hang=True))

    async def main() -> None:
        provider = OpenAIProvider()  # held: its client (and socket) stays alive
        task = asyncio.create_task(calling.call(provider, connection(wire), REQUEST))
        await _until(lambda: len(wire.app.requests) == 1)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await _until(lambda: wire.app.disconnects == 1)  # hung up by the cancel itself

    asyncio.run(main())


def test_cancelling_a_stream_closes_the_upstream_request(wire: WireServer) -> None:
    wire.app.add(PATH, Reply(sse=text_stream("first")[:2], hang=True))
    got: list[str] = []

    provider = OpenAIProvider()

    async def consume() -> None:
        async for event in calling.stream(provider, connection(wire), REQUEST):
            assert isinstance(event, TextDelta)
            got.append(event.text)

    async def main() -> None:
        task = asyncio.create_task(consume())
        await _until(lambda: got == ["first"])
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await _until(lambda: wire.app.disconnects == 1)

    asyncio.run(main())


def test_leaving_a_stream_early_closes_the_upstream_request(wire: WireServer) -> None:
    wire.app.add(PATH, Reply(sse=text_stream("first")[:2], hang=True))

    async def main() -> None:
        provider = OpenAIProvider()
        events = calling.stream(provider, connection(wire), REQUEST)
        first = await anext(events)
        assert first == TextDelta("first")
        await events.aclose()  # type: ignore[attr-defined]
        await _until(lambda: wire.app.disconnects == 1)

    asyncio.run(main())


# --- the concurrency limit -------------------------------------------------------------


def test_calls_on_a_connection_stay_within_its_concurrency_limit(wire: WireServer) -> None:
    wire.app.add(PATH, *[Reply(body=completion(f"answer {n}"), delay=0.05) for n in range(6)])
    limiter = ConcurrencyLimiter()
    conn = connection(wire, max_concurrency=2)

    async def main() -> list[ChatResult]:
        calls = [calling.call(OpenAIProvider(), conn, REQUEST, limiter=limiter) for _ in range(6)]
        return await asyncio.gather(*calls)

    results = asyncio.run(main())
    assert sorted(r.output for r in results) == [f"answer {n}" for n in range(6)]
    assert wire.app.max_in_flight == 2
    assert limiter.in_use(conn) == 0


def test_waiting_for_a_slot_is_bounded(wire: WireServer) -> None:
    wire.app.add(PATH, Reply(hang=True))
    conn = connection(wire, max_concurrency=1)
    policy = RetryPolicy(attempts=1, max_queue_wait=0.05)

    async def main() -> None:
        limiter = ConcurrencyLimiter()
        first = asyncio.create_task(calling.call(OpenAIProvider(), conn, REQUEST, limiter=limiter))
        await _until(lambda: len(wire.app.requests) == 1)
        with pytest.raises(ProviderError, match="concurrency limit") as raised:
            await calling.call(OpenAIProvider(), conn, REQUEST, limiter=limiter, policy=policy)
        assert raised.value.retryable
        first.cancel()
        with pytest.raises(asyncio.CancelledError):
            await first
        assert limiter.in_use(conn) == 0

    asyncio.run(main())
    assert len(wire.app.requests) == 1  # the refused call never went upstream


# --- a provider's own bug --------------------------------------------------------------


class Broken(Provider):
    kind = "broken"

    async def complete(self, connection: ProviderConnection, request: ChatRequest) -> ChatResult:
        raise KeyError("choices")

    async def stream(
        self, connection: ProviderConnection, request: ChatRequest
    ) -> AsyncIterator[StreamEvent]:
        raise KeyError("choices")
        yield TextDelta("")  # pragma: no cover


def test_a_providers_unexpected_exception_becomes_a_provider_error() -> None:
    conn = ProviderConnection(name="b", kind="broken")

    async def main() -> None:
        with pytest.raises(ProviderError, match="failed unexpectedly: KeyError") as raised:
            await calling.call(Broken(), conn, REQUEST)
        assert not raised.value.retryable
        with pytest.raises(ProviderError, match="failed unexpectedly: KeyError"):
            async for _ in calling.stream(Broken(), conn, REQUEST):
                pass

    asyncio.run(main())
